#pragma once
/// \file The range-sum exercise's computations: exact sums of [lo, hi), and a CPU-bound variant.

#include <cstdint>
#include <string>

#include "multirank/core/int128.hpp"

namespace multirank::exercises {

/// Which function of each element is summed.
enum class SumKernel {
  plain,  ///< the integers themselves, into an exact 128-bit total
  heavy   ///< mix(i), several rounds of a 64-bit mixer, summed with wrap-around
};

/// Parses "plain" / "heavy"; throws UsageError otherwise.
SumKernel parse_sum_kernel(const std::string& name);
/// The kernel's name.
std::string to_string(SumKernel kernel);

/// Rounds of the mixer in the heavy kernel.
inline constexpr int kHeavyRounds = 12;

/// Sum of every integer in [lo, hi), added one by one (no closed form), exact.
int128_t sum_plain(std::int64_t lo, std::int64_t hi);

/// Sum over [lo, hi) of heavy_mix(i), modulo 2^64.
std::uint64_t sum_heavy(std::int64_t lo, std::int64_t hi);

/// The CPU-bound function of the heavy kernel.
std::uint64_t heavy_mix(std::int64_t i);

/// Partial sum of [lo, hi) with either kernel, as a 128-bit value (heavy sums wrap modulo 2^64,
/// so partial sums of heavy combine by adding and reducing modulo 2^64).
int128_t partial_sum(SumKernel kernel, std::int64_t lo, std::int64_t hi);

/// Combines two partial sums of the same kernel.
int128_t combine_sums(SumKernel kernel, int128_t a, int128_t b);

/// The closed form n·lo + n(n-1)/2 of the plain sum of [lo, lo+n).
int128_t closed_form_sum(std::int64_t lo, std::int64_t n);

}  // namespace multirank::exercises
