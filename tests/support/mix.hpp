#pragma once
// A 64-bit mixer (splitmix64's finalizer): checksums and reproducible payloads in the tests.
#include <cstdint>

namespace multirank::testing {

/// A well-mixed function of x (a bijection on 64-bit values).
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace multirank::testing
