#include "multirank/pool/chunksize.hpp"

#include <algorithm>
#include <cmath>

namespace multirank::detail {
namespace {
// Work per chunk below which per-message costs (~µs) would show; above which balance suffers.
constexpr double kMinChunkSeconds = 50e-6;
constexpr double kMaxChunkSeconds = 20e-3;
// Queued work a remote worker should hold beyond its running chunk: the coordinator may be
// sleeping up to 1 ms between polls when it has nothing else to do.
constexpr double kPrefetchSeconds = 2e-3;
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

bool wants_another_chunk(std::size_t chunks, double seconds, std::size_t unknown) noexcept {
  if (chunks == 0) return true;
  if (chunks >= kMaxChunksInFlight) return false;
  if (unknown > 0) return false;  // an untimed chunk may be long: queue nothing behind it
  return seconds < kPrefetchSeconds;
}

}  // namespace multirank::detail
