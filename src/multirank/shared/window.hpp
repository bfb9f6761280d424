#pragma once
/// \file A passive-target MPI-3 RMA window whose memory lives on one hosting rank.
///
/// The building block of SharedValue, SharedArray, SharedCounter and DistributedLock: the host
/// rank allocates the bytes (MPI_Win_allocate_shared when all ranks share a node, else
/// MPI_Win_allocate), every rank opens one shared access epoch
/// (MPI_Win_lock_all) for the window's whole life, and each operation completes with
/// MPI_Win_flush before it returns, so it is visible to every rank afterwards.
/// \note The host never has to take part in the operations: any rank reads and updates the
/// memory one-sidedly (on one node Open MPI maps it into every process).

#include <mpi.h>

#include <cstddef>

#include "multirank/collective/datatype.hpp"
#include "multirank/core/communicator.hpp"

namespace multirank {

/// An RMA window of `bytes` bytes on `host` (zero bytes elsewhere), locked for shared access
/// on every rank from construction to destruction. Construction and destruction are collective.
class RmaWindow {
 public:
  /// An empty window (no MPI resources).
  RmaWindow() = default;
  /// Allocates `bytes` on `host`, zero-filled, with displacement unit `disp_unit` (collective).
  RmaWindow(const Communicator& comm, std::size_t bytes, int host, int disp_unit = 1);
  RmaWindow(RmaWindow&& other) noexcept;
  RmaWindow& operator=(RmaWindow&& other) noexcept;
  RmaWindow(const RmaWindow&) = delete;
  RmaWindow& operator=(const RmaWindow&) = delete;
  /// Frees the window (collective: every rank must destroy it, in the same order).
  ~RmaWindow();

  /// The rank whose memory the window exposes.
  [[nodiscard]] int host() const noexcept { return host_; }
  /// The MPI window handle.
  [[nodiscard]] MPI_Win native() const noexcept { return win_; }
  /// The private communicator the window was created over.
  [[nodiscard]] const Communicator& comm() const noexcept { return comm_; }
  /// Size of the exposed memory in bytes.
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  /// Whether every rank is on one node and the window is a shared-memory one.
  [[nodiscard]] bool shared_memory() const noexcept { return shared_memory_; }
  /// Completes every operation this rank started on the window (MPI_Win_flush to the host).
  void flush() const { check_mpi(MPI_Win_flush(host_, win_), "MPI_Win_flush"); }
  /// Frees the window now, collectively; the destructor then does nothing.
  void free();

  /// Atomically applies `op` (MPI_SUM, MPI_REPLACE, MPI_NO_OP, ...) with `operand` to the
  /// element at `disp` and returns its previous value; completed before returning.
  template <class T>
  T fetch_and_op(T operand, MPI_Op op, MPI_Aint disp) const {
    T previous{};
    check_mpi(MPI_Fetch_and_op(&operand, &previous, builtin_datatype<T>(), host_, disp, op, win_), "MPI_Fetch_and_op");
    flush();
    return previous;
  }
  /// Atomically replaces the element at `disp` by `desired` if it equals `expected`; returns
  /// the value it had (equal to `expected` exactly when the swap happened).
  template <class T>
  T compare_and_swap(T desired, T expected, MPI_Aint disp) const {
    T previous{};
    check_mpi(MPI_Compare_and_swap(&desired, &expected, &previous, builtin_datatype<T>(), host_, disp, win_),
              "MPI_Compare_and_swap");
    flush();
    return previous;
  }

 private:
  void release() noexcept;
  Communicator comm_;
  MPI_Win win_ = MPI_WIN_NULL;
  int host_ = 0;
  std::size_t bytes_ = 0;
  bool shared_memory_ = false;
};

}  // namespace multirank
