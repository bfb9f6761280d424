#include "multirank/pool/internal/chunk_policy.hpp"

#include <algorithm>
#include <cmath>

namespace multirank::detail {
namespace {
// Work per chunk below which per-message costs (~µs) would show; above which balance suffers.
constexpr double kMinChunkSeconds = 50e-6;
constexpr double kMaxChunkSeconds = 20e-3;
constexpr std::size_t kMaxChunksInFlight = 64;
}  // namespace

std::size_t auto_chunk_items(std::size_t remaining, int workers, double item_seconds) noexcept {
  if (remaining == 0) return 0;
  if (item_seconds < 0) return 1;  // never timed: one input, to learn its cost
  const double per = std::max(item_seconds, 1e-9);
  const double w = std::max(workers, 1);
  const double guided = std::ceil(static_cast<double>(remaining) / (2.0 * w));
  const double lo = std::max(1.0, std::floor(kMinChunkSeconds / per));
  const double hi = std::max(lo, std::floor(kMaxChunkSeconds / per));
  const double n = std::clamp(guided, lo, hi);
  return std::min(remaining, static_cast<std::size_t>(n));
}

bool wants_another_chunk(std::size_t chunks, double seconds_left, std::size_t unknown,
                         std::size_t long_unsure, std::size_t workers) noexcept {
  if (chunks < std::max<std::size_t>(workers, 1)) return true;
  if (chunks >= kMaxChunksInFlight + workers - 1 || unknown > 0 || long_unsure > 0) return false;
  // (The coordinator polls at least every millisecond, so it does not miss this 4 ms window.)
  return seconds_left < kPrefetchSeconds && seconds_left > -kPrefetchSeconds;
}

}  // namespace multirank::detail
