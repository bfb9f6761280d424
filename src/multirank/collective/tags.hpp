#pragma once
/// \file Tags the collective helpers use for their point-to-point paths.

#include "multirank/core/communicator.hpp"

namespace multirank::collective_tags {

/// First tag of the collective layer's reserved block (kReservedTagBase + 100 .. + 109).
inline constexpr int kBase = kReservedTagBase + 100;
inline constexpr int kReduce = kBase + 0;     ///< reduction tree
inline constexpr int kBroadcast = kBase + 1;  ///< broadcast tree
inline constexpr int kGather = kBase + 2;     ///< gather / gatherv of serialized values
inline constexpr int kScatter = kBase + 3;    ///< scatter / scatterv of serialized values

}  // namespace multirank::collective_tags
