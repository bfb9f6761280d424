#pragma once
/// \file The typed item buffers of one rank's end of a queue, as its protocol sees them (Queue<T>
/// implements it with the one codec's batch framing).

#include <cstddef>
#include <span>
#include <string>

namespace multirank::detail {

/// The typed item buffers of one rank, reached by the protocol through this interface.
class QueueStore {
 public:
  virtual ~QueueStore() = default;
  /// Items waiting to be sent (producer side).
  [[nodiscard]] virtual std::size_t outbox_size() const = 0;
  /// Items received and not yet got (consumer side).
  [[nodiscard]] virtual std::size_t inbox_size() const = 0;
  /// Moves up to `max_items` (at least one) items from the outbox front into `out`, appending
  /// their framing, and stops before `out` passes `max_bytes`; returns how many it moved.
  virtual std::size_t pack(std::size_t max_items, std::size_t max_bytes, std::string& out) = 0;
  /// About how many outbox items make a full batch under these limits (at least one).
  [[nodiscard]] virtual std::size_t batch_items(std::size_t max_items, std::size_t max_bytes) const = 0;
  /// Decodes `count` items from `bytes` and appends them to the inbox (ProtocolError if they do not fit).
  virtual void unpack(std::span<const char> bytes, std::size_t count) = 0;
  /// Drops everything still buffered (at shutdown, when no consumer is left to take it).
  virtual void clear() = 0;
};

}  // namespace multirank::detail
