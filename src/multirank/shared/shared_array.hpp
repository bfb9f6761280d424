#pragma once
/// \file SharedArray<T>: a fixed-size array every rank reads and updates one-sidedly
/// (Python's `Array`).
///
/// ```cpp
/// multirank::SharedArray<double> hist(comm, 10);        // collective; lives on rank 0
/// hist.accumulate(3, std::vector<double>{1.0, 2.0});    // hist[3] += 1, hist[4] += 2, atomically
/// auto all = hist.get(0, hist.size());                  // a copy of the whole array
/// ```
/// Every access is an accumulate operation (MPI_Get_accumulate with MPI_NO_OP for reads,
/// MPI_Accumulate with MPI_REPLACE for writes; on one node the processor's atomics on the mapped
/// memory, see RmaWindow), so each element is read and written atomically even when ranks touch
/// the same elements concurrently; a range as a whole is not atomic (hold a DistributedLock for that).

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "multirank/collective/datatype.hpp"
#include "multirank/collective/ops.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/shared/window.hpp"

namespace multirank {

/// `size` elements of arithmetic type T hosted on one rank (rank 0 by default).
/// Construction and destruction are collective.
template <class T>
class SharedArray {
  static_assert(has_builtin_datatype_v<T>, "SharedArray needs an arithmetic type MPI knows (not bool)");

 public:
  /// Creates `size` elements on `host`, each `initial` (collective).
  SharedArray(const Communicator& comm, std::size_t size, T initial = T{}, int host = 0)
      : window_(comm, size * sizeof(T), host, static_cast<int>(sizeof(T))), size_(size) {
    if (window_.comm().rank() == host && size > 0 && initial != T{}) put(0, std::vector<T>(size, initial));
    window_.comm().barrier();
  }

  /// Number of elements.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The rank whose memory holds the elements.
  [[nodiscard]] int host() const noexcept { return window_.host(); }

  /// Element `i` (atomic read).
  [[nodiscard]] T load(std::size_t i) const {
    check(i, 1);
    return window_.fetch_and_op(T{}, MPI_NO_OP, static_cast<MPI_Aint>(i));
  }
  /// Sets element `i` (atomic write).
  void store(std::size_t i, T value) const {
    check(i, 1);
    (void)window_.fetch_and_op(value, MPI_REPLACE, static_cast<MPI_Aint>(i));
  }
  /// Adds `delta` to element `i` and returns its previous value.
  T fetch_add(std::size_t i, T delta) const {
    check(i, 1);
    return window_.fetch_and_op(delta, MPI_SUM, static_cast<MPI_Aint>(i));
  }

  /// Copies elements [offset, offset + out.size()) into `out`.
  void get(std::size_t offset, std::span<T> out) const {
    check(offset, out.size());
    window_.get_elements(out.data(), out.size(), static_cast<MPI_Aint>(offset));
  }
  /// Elements [offset, offset + count) as a vector.
  [[nodiscard]] std::vector<T> get(std::size_t offset, std::size_t count) const {
    std::vector<T> out(count);
    get(offset, std::span<T>(out));
    return out;
  }
  /// The whole array as a vector.
  [[nodiscard]] std::vector<T> to_vector() const { return get(0, size_); }

  /// Overwrites elements [offset, offset + values.size()) with `values`.
  void put(std::size_t offset, std::span<const T> values) const { accumulate_op(offset, values, MPI_REPLACE); }
  /// put of a vector.
  void put(std::size_t offset, const std::vector<T>& values) const { put(offset, std::span<const T>(values)); }

  /// Combines `values` into elements [offset, offset + values.size()) with `op` (default: add):
  /// std::plus, std::multiplies, maximum, minimum, or a bit operation for integers.
  template <class Op = std::plus<>>
  void accumulate(std::size_t offset, std::span<const T> values, Op = Op{}) const {
    const MPI_Op op = builtin_op<Op, T>();
    if (op == MPI_OP_NULL) throw UsageError("SharedArray::accumulate: this operation has no MPI equivalent for the element type");
    accumulate_op(offset, values, op);
  }
  /// accumulate of a vector.
  template <class Op = std::plus<>>
  void accumulate(std::size_t offset, const std::vector<T>& values, Op op = Op{}) const {
    accumulate(offset, std::span<const T>(values), op);
  }

 private:
  void check(std::size_t offset, std::size_t count) const {
    if (offset > size_ || count > size_ - offset)
      throw UsageError("SharedArray: elements [" + std::to_string(offset) + ", " + std::to_string(offset + count) +
                       ") are outside an array of " + std::to_string(size_));
  }

  void accumulate_op(std::size_t offset, std::span<const T> values, MPI_Op op) const {
    check(offset, values.size());
    window_.accumulate_elements(values.data(), values.size(), static_cast<MPI_Aint>(offset), op);
  }

  RmaWindow window_;
  std::size_t size_ = 0;
};

}  // namespace multirank
