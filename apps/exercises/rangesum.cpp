#include "exercises/rangesum.hpp"

#include <algorithm>

#include "multirank/core/error.hpp"

namespace multirank::exercises {

SumKernel parse_sum_kernel(const std::string& name) {
  if (name == "plain") return SumKernel::plain;
  if (name == "heavy") return SumKernel::heavy;
  throw UsageError("unknown kernel '" + name + "' (plain or heavy)");
}

std::string to_string(SumKernel kernel) { return kernel == SumKernel::plain ? "plain" : "heavy"; }

int128_t sum_plain(std::int64_t lo, std::int64_t hi) {
  // Every element is really added: the empty asm hides the induction variable from the
  // optimiser, which would otherwise replace the loop with the closed form.
  int128_t total = 0;
  for (std::int64_t i = lo; i < hi; ++i) {
    std::int64_t x = i;
    asm("" : "+r"(x));
    total += x;
  }
  return total;
}

std::uint64_t heavy_mix(std::int64_t i) {
  auto x = static_cast<std::uint64_t>(i);
  for (int r = 0; r < kHeavyRounds; ++r) {  // splitmix64 finaliser, repeated
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    x ^= x >> 31;
  }
  return x;
}

std::uint64_t sum_heavy(std::int64_t lo, std::int64_t hi) {
  std::uint64_t total = 0;
  for (std::int64_t i = lo; i < hi; ++i) total += heavy_mix(i);
  return total;
}

int128_t partial_sum(SumKernel kernel, std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return 0;
  return kernel == SumKernel::plain ? sum_plain(lo, hi) : static_cast<int128_t>(sum_heavy(lo, hi));
}

int128_t combine_sums(SumKernel kernel, int128_t a, int128_t b) {
  if (kernel == SumKernel::plain) return a + b;
  return static_cast<int128_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

int128_t closed_form_sum(std::int64_t lo, std::int64_t n) {
  const auto n128 = static_cast<int128_t>(n);
  return n128 * lo + n128 * (n128 - 1) / 2;
}

}  // namespace multirank::exercises
