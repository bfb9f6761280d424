#include "multirank/shared/window.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <utility>

namespace multirank {

RmaWindow::RmaWindow(const Communicator& comm, std::size_t bytes, int host, int disp_unit)
    : comm_(comm.dup()), host_(host), bytes_(bytes), disp_unit_(disp_unit) {
  comm_.check_rank(host);
  if (disp_unit < 1) throw UsageError("an RMA window needs a positive displacement unit");
  const bool hosting = comm_.rank() == host;
  void* base = nullptr;
  // MPI_Win_allocate synchronises internally with a spinning barrier; meet in a sleeping one
  // first so that ranks arriving late do not make the others burn a core.
  comm_.barrier();
  // On one node, a shared-memory window (Open MPI's osc/sm): atomics are plain memory
  // operations, and Open MPI 4.1's osc/rdma over btl/vader crashes in MPI_Compare_and_swap
  // (open-mpi/ompi#7967, #11349). Across nodes, a regular window.
  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(comm_.native(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int node_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_free(&node);
  shared_memory_ = node_size == comm_.size();  // the same answer on every rank
  const auto local_bytes = static_cast<MPI_Aint>(hosting ? bytes : 0);
  if (shared_memory_) {
    check_mpi(MPI_Win_allocate_shared(local_bytes, disp_unit, MPI_INFO_NULL, comm_.native(), &base, &win_),
              "MPI_Win_allocate_shared");
    // Every rank maps the host's memory: the atomics become the processor's (node_atomics.hpp).
    MPI_Aint size = 0;
    int unit = 0;
    check_mpi(MPI_Win_shared_query(win_, host_, &size, &unit, &node_base_), "MPI_Win_shared_query");
    if (bytes == 0) node_base_ = nullptr;
  } else {
    check_mpi(MPI_Win_allocate(local_bytes, disp_unit, MPI_INFO_NULL, comm_.native(), &base, &win_),
              "MPI_Win_allocate");
  }
  check_mpi(MPI_Win_set_errhandler(win_, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
  if (hosting && bytes > 0) std::memset(base, 0, bytes);  // before anyone can access it
  check_mpi(MPI_Win_lock_all(MPI_MODE_NOCHECK, win_), "MPI_Win_lock_all");
  comm_.barrier();  // the host's zero fill (and the caller's initial value) happen-before any access
}

RmaWindow::RmaWindow(RmaWindow&& other) noexcept
    : comm_(std::move(other.comm_)),
      win_(std::exchange(other.win_, MPI_WIN_NULL)),
      host_(other.host_),
      bytes_(other.bytes_),
      disp_unit_(other.disp_unit_),
      shared_memory_(other.shared_memory_),
      node_base_(std::exchange(other.node_base_, nullptr)) {}

RmaWindow& RmaWindow::operator=(RmaWindow&& other) noexcept {
  if (this != &other) {
    release();
    comm_ = std::move(other.comm_);
    win_ = std::exchange(other.win_, MPI_WIN_NULL);
    host_ = other.host_;
    bytes_ = other.bytes_;
    disp_unit_ = other.disp_unit_;
    shared_memory_ = other.shared_memory_;
    node_base_ = std::exchange(other.node_base_, nullptr);
  }
  return *this;
}

RmaWindow::~RmaWindow() { release(); }

void RmaWindow::free() {
  if (win_ == MPI_WIN_NULL) return;
  comm_.barrier();  // nobody frees while another rank still operates on the window
  check_mpi(MPI_Win_unlock_all(win_), "MPI_Win_unlock_all");
  check_mpi(MPI_Win_free(&win_), "MPI_Win_free");
  win_ = MPI_WIN_NULL;
  node_base_ = nullptr;
}

void RmaWindow::release() noexcept {
  if (win_ == MPI_WIN_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  // While an exception unwinds, the other ranks may never reach the matching free: leak the
  // window rather than wait for them (the job is about to be aborted anyway).
  if (finalized || std::uncaught_exceptions() > 0) return;
  try {
    free();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multirank: freeing an RMA window failed: %s\n", e.what());
  }
}

}  // namespace multirank
