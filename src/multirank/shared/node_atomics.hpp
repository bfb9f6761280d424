#pragma once
/// \file MPI's accumulate operations as processor atomics, for a window whose memory every rank
/// maps (MPI_Win_allocate_shared on one node).
///
/// Why: a window's atomics then need no help from the host rank. MPICH 4.0 (ch4) carries RMA
/// atomics on a shared-memory window as active messages that complete only when the host rank
/// polls MPI, so a host that sleeps between its own polls made every fetch_and_op wait for it
/// (about 1,200 operations a second); Open MPI's osc/sm already does what this does.
/// Lock-free atomics are address-free, so they are atomic across processes that map the same
/// memory. All of a window's accesses take this path or none do (RmaWindow decides per element
/// type), so MPI's and the processor's atomics never mix on one element.

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

namespace multirank::detail {

/// Whether elements of type T can take the processor-atomic path.
template <class T>
inline constexpr bool node_atomic_v = (std::is_integral_v<T> || std::is_floating_point_v<T>) &&
                                      !std::is_same_v<T, bool> && std::atomic_ref<T>::is_always_lock_free;

/// Whether `p` is aligned for std::atomic_ref<T>.
template <class T>
bool node_atomic_aligned(const void* p) noexcept {
  return reinterpret_cast<std::uintptr_t>(p) % std::atomic_ref<T>::required_alignment == 0;
}

/// `op` (an MPI predefined operation, MPI_REPLACE or MPI_NO_OP) applied to `current` and `operand`,
/// as MPI_Accumulate would combine them. Returns false for an operation it does not know.
template <class T>
bool combine(MPI_Op op, T current, T operand, T& out) noexcept {
  if (op == MPI_REPLACE) {
    out = operand;
  } else if (op == MPI_NO_OP) {
    out = current;
  } else if (op == MPI_SUM) {
    out = static_cast<T>(current + operand);
  } else if (op == MPI_PROD) {
    out = static_cast<T>(current * operand);
  } else if (op == MPI_MAX) {
    out = std::max(current, operand);
  } else if (op == MPI_MIN) {
    out = std::min(current, operand);
  } else if (op == MPI_LAND) {
    out = static_cast<T>((current != T{}) && (operand != T{}));
  } else if (op == MPI_LOR) {
    out = static_cast<T>((current != T{}) || (operand != T{}));
  } else if (op == MPI_LXOR) {
    out = static_cast<T>((current != T{}) != (operand != T{}));
  } else if constexpr (std::is_integral_v<T>) {
    if (op == MPI_BAND) {
      out = static_cast<T>(current & operand);
    } else if (op == MPI_BOR) {
      out = static_cast<T>(current | operand);
    } else if (op == MPI_BXOR) {
      out = static_cast<T>(current ^ operand);
    } else {
      return false;
    }
  } else {
    return false;
  }
  return true;
}

/// Atomically `*target = op(*target, operand)`; returns the previous value in `previous`.
/// False (nothing changed) for an operation `combine` does not know.
template <class T>
bool node_fetch_and_op(T* target, T operand, MPI_Op op, T& previous) noexcept {
  std::atomic_ref<T> cell(*target);
  if (op == MPI_NO_OP) {
    previous = cell.load();
    return true;
  }
  if (op == MPI_REPLACE) {
    previous = cell.exchange(operand);
    return true;
  }
  if constexpr (std::is_integral_v<T>) {
    if (op == MPI_SUM) {
      previous = cell.fetch_add(operand);
      return true;
    }
  }
  T expected = cell.load();
  T desired{};
  do {
    if (!combine(op, expected, operand, desired)) return false;
  } while (!cell.compare_exchange_weak(expected, desired));
  previous = expected;
  return true;
}

/// Atomically replaces `*target` by `desired` if it equals `expected`; returns what it held.
template <class T>
T node_compare_and_swap(T* target, T desired, T expected) noexcept {
  std::atomic_ref<T>(*target).compare_exchange_strong(expected, desired);
  return expected;  // on failure compare_exchange wrote the value it found; on success it is equal
}

}  // namespace multirank::detail
