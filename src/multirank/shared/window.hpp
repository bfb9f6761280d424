#pragma once
/// \file A passive-target MPI-3 RMA window whose memory lives on one hosting rank.
///
/// The building block of SharedValue, SharedArray, SharedCounter and DistributedLock: the host
/// rank allocates the bytes (MPI_Win_allocate_shared when all ranks share a node, else
/// MPI_Win_allocate), every rank opens one shared access epoch
/// (MPI_Win_lock_all) for the window's whole life, and each operation completes with
/// MPI_Win_flush before it returns, so it is visible to every rank afterwards.
/// \note The host never has to take part in the operations: any rank reads and updates the
/// memory one-sidedly. On one node every rank maps the host's memory and the atomics are the
/// processor's (node_atomics.hpp), whatever the MPI; across nodes they are MPI's, and with MPICH
/// they progress when the host rank polls MPI (multirank's waits do at least every millisecond).

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>

#include "multirank/collective/datatype.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/shared/node_atomics.hpp"

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
    if (T* local = node_element<T>(disp)) {
      if (!detail::node_fetch_and_op(local, operand, op, previous))
        throw UsageError("RmaWindow: an operation that MPI_Fetch_and_op does not take");
      return previous;
    }
    check_mpi(MPI_Fetch_and_op(&operand, &previous, builtin_datatype<T>(), host_, disp, op, win_), "MPI_Fetch_and_op");
    flush();
    return previous;
  }
  /// Atomically replaces the element at `disp` by `desired` if it equals `expected`; returns
  /// the value it had (equal to `expected` exactly when the swap happened).
  template <class T>
  T compare_and_swap(T desired, T expected, MPI_Aint disp) const {
    if (T* local = node_element<T>(disp)) return detail::node_compare_and_swap(local, desired, expected);
    T previous{};
    check_mpi(MPI_Compare_and_swap(&desired, &expected, &previous, builtin_datatype<T>(), host_, disp, win_),
              "MPI_Compare_and_swap");
    flush();
    return previous;
  }
  /// Reads `count` elements from `disp` on, each atomically (MPI_Get_accumulate with MPI_NO_OP).
  template <class T>
  void get_elements(T* out, std::size_t count, MPI_Aint disp) const {
    if (T* local = node_element<T>(disp)) {
      for (std::size_t i = 0; i < count; ++i) (void)detail::node_fetch_and_op(local + i, T{}, MPI_NO_OP, out[i]);
      return;
    }
    for_pieces(count, [&](std::size_t at, int n) {
      check_mpi(MPI_Get_accumulate(nullptr, 0, builtin_datatype<T>(), out + at, n, builtin_datatype<T>(), host_,
                                   disp + static_cast<MPI_Aint>(at), n, builtin_datatype<T>(), MPI_NO_OP, win_),
                "MPI_Get_accumulate");
    });
    flush();
  }
  /// Combines `count` values into the elements from `disp` on with `op` (MPI_REPLACE writes),
  /// each element atomically (MPI_Accumulate).
  template <class T>
  void accumulate_elements(const T* values, std::size_t count, MPI_Aint disp, MPI_Op op) const {
    if (T* local = node_element<T>(disp)) {
      T previous{};
      for (std::size_t i = 0; i < count; ++i)
        if (!detail::node_fetch_and_op(local + i, values[i], op, previous))
          throw UsageError("RmaWindow: an operation that MPI_Accumulate does not take");
      return;
    }
    for_pieces(count, [&](std::size_t at, int n) {
      check_mpi(MPI_Accumulate(values + at, n, builtin_datatype<T>(), host_, disp + static_cast<MPI_Aint>(at), n,
                               builtin_datatype<T>(), op, win_),
                "MPI_Accumulate");
    });
    flush();
  }

 private:
  /// The element at `disp` in this process's mapping of the host's memory, when every access to
  /// T elements takes the processor-atomic path; null otherwise (MPI's path).
  template <class T>
  T* node_element(MPI_Aint disp) const noexcept {
    if constexpr (detail::node_atomic_v<T>) {
      if (node_base_ == nullptr) return nullptr;
      char* at = static_cast<char*>(node_base_) + disp * disp_unit_;
      if (!detail::node_atomic_aligned<T>(at)) return nullptr;
      return reinterpret_cast<T*>(at);
    } else {
      return nullptr;
    }
  }
  // MPI counts are ints: longer ranges go in pieces.
  template <class F>
  static void for_pieces(std::size_t count, F&& f) {
    constexpr std::size_t piece = INT_MAX;
    for (std::size_t at = 0; at < count; at += piece) f(at, static_cast<int>(std::min(piece, count - at)));
  }
  void release() noexcept;
  Communicator comm_;
  MPI_Win win_ = MPI_WIN_NULL;
  int host_ = 0;
  std::size_t bytes_ = 0;
  MPI_Aint disp_unit_ = 1;
  bool shared_memory_ = false;
  void* node_base_ = nullptr;  ///< the host's memory as this process maps it (one node), else null
};

}  // namespace multirank
