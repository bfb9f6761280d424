#pragma once
/// \file Block and cyclic partitions of an index range [lo, hi) over P ranks.
///
/// Both partitions are disjoint and together cover [lo, hi); every rank gets n / P or n / P + 1
/// indices (balanced within one), for any n >= 0 and P >= 1, n < P included. All arithmetic is
/// done on the unsigned type of the same width, so bounds anywhere in the index type work,
/// e.g. [0, 2^63) with std::uint64_t or [INT64_MIN, INT64_MAX) with std::int64_t.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "multirank/core/error.hpp"

namespace multirank {

namespace detail {
inline void check_partition_args(int rank, int size) {
  if (size < 1) throw UsageError("a partition needs at least one rank, got " + std::to_string(size));
  if (rank < 0 || rank >= size)
    throw UsageError("rank " + std::to_string(rank) + " is out of range for " + std::to_string(size) + " rank(s)");
}
}  // namespace detail

/// A contiguous half-open index range [lo, hi); iterable with range-for.
template <std::integral I>
struct BasicRange {
  using index_type = I;                          ///< the index type
  using size_type = std::make_unsigned_t<I>;     ///< wide enough for any hi - lo
  I lo{};  ///< first index
  I hi{};  ///< one past the last index

  /// Number of indices (hi - lo, computed without overflow).
  [[nodiscard]] constexpr size_type size() const noexcept {
    return hi > lo ? static_cast<size_type>(static_cast<size_type>(hi) - static_cast<size_type>(lo)) : 0;
  }
  /// True when the range holds no index.
  [[nodiscard]] constexpr bool empty() const noexcept { return !(hi > lo); }
  /// Whether `i` lies in the range.
  [[nodiscard]] constexpr bool contains(I i) const noexcept { return lo <= i && i < hi; }

  /// Forward iterator over the indices.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = I;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = I;
    constexpr iterator() = default;
    constexpr explicit iterator(I v) : v_(v) {}
    constexpr I operator*() const noexcept { return v_; }
    constexpr iterator& operator++() noexcept {
      v_ = static_cast<I>(static_cast<size_type>(v_) + 1U);
      return *this;
    }
    constexpr iterator operator++(int) noexcept {
      iterator old = *this;
      ++*this;
      return old;
    }
    constexpr bool operator==(const iterator&) const = default;

   private:
    I v_{};
  };
  /// First index.
  [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(lo); }
  /// One past the last index.
  [[nodiscard]] constexpr iterator end() const noexcept { return iterator(empty() ? lo : hi); }
  constexpr bool operator==(const BasicRange&) const = default;
};

/// A range of signed 64-bit indices.
using Range = BasicRange<std::int64_t>;
/// A range of unsigned 64-bit indices (bounds up to 2^64 - 1, so [0, 2^63] fits).
using URange = BasicRange<std::uint64_t>;

/// The indices lo + first, lo + first + stride, ... below hi: one rank's share of a cyclic partition.
template <std::integral I>
struct BasicStridedRange {
  using index_type = I;                       ///< the index type
  using size_type = std::make_unsigned_t<I>;  ///< wide enough for any count
  I first{};           ///< first index (meaningless when count == 0)
  size_type stride{1};  ///< distance between consecutive indices
  size_type count{0};   ///< number of indices

  /// Number of indices.
  [[nodiscard]] constexpr size_type size() const noexcept { return count; }
  /// True when there is no index.
  [[nodiscard]] constexpr bool empty() const noexcept { return count == 0; }
  /// The k-th index (k < size()).
  [[nodiscard]] constexpr I operator[](size_type k) const noexcept {
    return static_cast<I>(static_cast<size_type>(first) + k * stride);
  }

  /// Forward iterator over the indices.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = I;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = I;
    constexpr iterator() = default;
    constexpr iterator(const BasicStridedRange* r, size_type k) : r_(r), k_(k) {}
    constexpr I operator*() const noexcept { return (*r_)[k_]; }
    constexpr iterator& operator++() noexcept {
      ++k_;
      return *this;
    }
    constexpr iterator operator++(int) noexcept {
      iterator old = *this;
      ++k_;
      return old;
    }
    constexpr bool operator==(const iterator& o) const noexcept { return k_ == o.k_; }

   private:
    const BasicStridedRange* r_ = nullptr;
    size_type k_ = 0;
  };
  /// First index.
  [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(this, 0); }
  /// One past the last index.
  [[nodiscard]] constexpr iterator end() const noexcept { return iterator(this, count); }
};

/// Cyclic share with signed 64-bit indices.
using StridedRange = BasicStridedRange<std::int64_t>;
/// Cyclic share with unsigned 64-bit indices.
using UStridedRange = BasicStridedRange<std::uint64_t>;

/// Rank `rank`'s block of [lo, hi) split over `size` ranks: the first n % size ranks get one
/// index more than the others (n = hi - lo; an empty or reversed range gives empty blocks).
template <std::integral I>
constexpr BasicRange<I> block_range(I lo, I hi, int rank, int size) {
  detail::check_partition_args(rank, size);
  using U = std::make_unsigned_t<I>;
  const U n = BasicRange<I>{lo, hi}.size();
  const U p = static_cast<U>(size);
  const U r = static_cast<U>(rank);
  const U q = n / p;
  const U extra = n % p;
  // rank * q + min(rank, extra) <= n, so nothing here overflows.
  const U begin = r * q + (r < extra ? r : extra);
  const U len = q + (r < extra ? 1U : 0U);
  const U base = static_cast<U>(lo);
  return {static_cast<I>(base + begin), static_cast<I>(base + begin + len)};
}

/// Rank `rank`'s block of [0, n).
template <std::integral I>
constexpr BasicRange<I> block_range(I n, int rank, int size) {
  return block_range<I>(I{0}, n, rank, size);
}

/// Which rank's block of [lo, hi) over `size` ranks holds index `i` (lo <= i < hi).
template <std::integral I>
constexpr int block_owner(I lo, I hi, I i, int size) {
  using U = std::make_unsigned_t<I>;
  if (size < 1) throw UsageError("a partition needs at least one rank");
  if (!(lo <= i && i < hi)) throw UsageError("index is outside the partitioned range");
  const U n = BasicRange<I>{lo, hi}.size();
  const U k = static_cast<U>(static_cast<U>(i) - static_cast<U>(lo));
  const U p = static_cast<U>(size);
  const U q = n / p;
  const U extra = n % p;
  const U big = extra * (q + 1U);  // indices held by the ranks with one more
  if (k < big) return static_cast<int>(k / (q + 1U));
  return static_cast<int>(extra + (k - big) / q);
}

/// Rank `rank`'s share of [lo, hi) dealt round-robin over `size` ranks: lo + rank, lo + rank + size, ...
template <std::integral I>
constexpr BasicStridedRange<I> cyclic_range(I lo, I hi, int rank, int size) {
  detail::check_partition_args(rank, size);
  using U = std::make_unsigned_t<I>;
  const U n = BasicRange<I>{lo, hi}.size();
  const U p = static_cast<U>(size);
  const U r = static_cast<U>(rank);
  const U count = n > r ? (n - r - 1U) / p + 1U : 0U;
  return {static_cast<I>(static_cast<U>(lo) + (n > r ? r : 0U)), p, count};
}

/// Rank `rank`'s cyclic share of [0, n).
template <std::integral I>
constexpr BasicStridedRange<I> cyclic_range(I n, int rank, int size) {
  return cyclic_range<I>(I{0}, n, rank, size);
}

/// Element counts of a block partition of n items over `size` ranks (for scatterv/gatherv).
inline std::vector<std::size_t> block_counts(std::size_t n, int size) {
  detail::check_partition_args(0, size);
  std::vector<std::size_t> counts;
  counts.reserve(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) counts.push_back(block_range<std::size_t>(n, r, size).size());
  return counts;
}

}  // namespace multirank
