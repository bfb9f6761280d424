#pragma once
/// \file Pipe<T>: a typed duplex channel between two ranks, one end of Python's multiprocessing.Pipe().
///
/// Each of the two ranks builds its own end, naming the other one:
/// \code
///   multirank::Pipe<std::string> pipe(comm, /*peer*/ comm.rank() == 0 ? 1 : 0);
///   if (comm.rank() == 0) { pipe.send("hello"); pipe.close(); }
///   else while (auto line = pipe.recv()) use(*line);   // empty optional: the peer closed
/// \endcode
///
/// Wire format (same tag for everything, so end-of-stream can never overtake data): a payload
/// shorter than kPipeInlineBytes travels in one message followed by a frame byte; a larger one
/// travels as a 9-byte header message and then the payload itself, without a copy (split into
/// pieces by the Communicator when it exceeds message_chunk_bytes()); end-of-stream is a message
/// holding only its frame byte. An empty string or vector is a one-byte message, never confused
/// with end-of-stream.
///
/// Waiting: for an item, a Pipe polls tightly for a few microseconds and then with the core
/// Backoff (asleep after ~200 us). While a large payload is actually moving, both ends keep
/// polling for about as long as the copy should take (MPI moves it only while polled), and
/// only then fall back to sleeping.

#include <chrono>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "multirank/core/codec.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/request.hpp"
#include "multirank/core/tags.hpp"

namespace multirank {

namespace detail {

/// The frame byte that ends every pipe message.
enum class PipeFrame : unsigned char { data = 1, end = 2, large = 3 };

/// Payloads at least this large travel as a header plus the payload itself (no copy); smaller
/// ones are copied next to their frame byte (a copy costs less than a second message).
inline constexpr std::size_t kPipeInlineBytes = 8192;

/// What the first message of a pipe transfer said.
struct PipeHead {
  PipeFrame kind = PipeFrame::end;  ///< data (payload inline), large (payload follows) or end
  std::size_t bytes = 0;            ///< payload size
};

/// The untyped half of a pipe end: validation, framing and transport over one (peer, tag).
/// Sending and receiving use separate buffers, so one thread may send while another receives.
class PipeTransport {
 public:
  /// An unusable end (default or moved-from).
  PipeTransport() = default;
  /// Validates `peer` and `channel` (UsageError) and keeps a pointer to `comm`.
  PipeTransport(const Communicator& comm, int peer, int channel);
  /// Takes over `other`, which becomes unusable.
  PipeTransport(PipeTransport&& other) noexcept;
  /// Takes over `other`, which becomes unusable.
  PipeTransport& operator=(PipeTransport&& other) noexcept;
  PipeTransport(const PipeTransport&) = delete;
  PipeTransport& operator=(const PipeTransport&) = delete;
  ~PipeTransport() = default;

  /// Whether this end is bound to a communicator.
  [[nodiscard]] bool valid() const noexcept { return comm_ != nullptr; }
  /// The other end's rank.
  [[nodiscard]] int peer() const noexcept { return peer_; }
  /// The channel number.
  [[nodiscard]] int channel() const noexcept { return channel_; }
  /// The MPI tag of this channel.
  [[nodiscard]] Tag tag() const noexcept { return tag_; }

  /// Sends a payload; returns once `data` may be reused.
  void send(const void* data, std::size_t bytes);
  /// Starts sending a payload that `keep` keeps alive until the request completes.
  [[nodiscard]] Request isend(const void* data, std::size_t bytes, std::shared_ptr<const void> keep);
  /// Sends the end-of-stream marker.
  void send_end();
  /// Receives one message of at most `capacity` bytes straight into `buffer`; returns its size.
  /// Only for payloads whose frame fits one piece (see small_frame_fits).
  std::size_t recv_small(void* buffer, std::size_t capacity);
  /// Receives the next message's head; an inline payload is then in received().
  PipeHead recv_head();
  /// Receives the payload announced by a `large` head into `destination`.
  void recv_large(void* destination, std::size_t bytes);
  /// The inline payload of the last recv_head().
  [[nodiscard]] std::span<const char> received(std::size_t bytes) const { return {recv_buf_.data(), bytes}; }
  /// Whether a message (data or end) is waiting, waiting at most `timeout` for one.
  bool poll(std::chrono::duration<double> timeout) const;
  /// Whether an inline frame of `payload` bytes travels as a single MPI message.
  static bool small_frame_fits(std::size_t payload);

  /// Throws UsageError unless this end is usable.
  void require_valid(const char* operation) const;

 private:
  void send_frame(const void* frame, std::size_t bytes);
  void send_large_header(std::size_t bytes);
  /// A pipe to this rank itself: an MPI may complete a send to oneself only once it is received
  /// (MPICH does, even for a few bytes), so these sends never wait.
  [[nodiscard]] bool to_self() const noexcept { return peer_ == comm_->rank(); }
  /// Sends a copy of `bytes` without waiting (to_self): the request joins `pending_`.
  void send_copy(const void* data, std::size_t bytes);
  /// Drops the pending sends that completed.
  void reap_pending();

  const Communicator* comm_ = nullptr;
  int peer_ = -1;
  int channel_ = -1;
  Tag tag_ = Tag::pipe(0);
  std::vector<char> send_buf_;
  std::vector<char> recv_buf_;
  std::deque<Request> pending_;  ///< sends to this rank itself not yet received (waited for on destruction)
};

/// The error for a message that is not what a Pipe<T> of this T would send.
[[noreturn]] void throw_pipe_mismatch(int peer, int channel, std::size_t got, std::size_t expected);

}  // namespace detail

/// One end of a typed, duplex, FIFO channel between this rank and `peer` (Python's
/// `multiprocessing.Pipe()` Connection). Built by each of the two ranks; not collective.
///
/// - `send`/`isend` push items to the peer; `recv` takes the peer's items in the order sent.
/// - `close()` tells the peer no more items follow; once the peer closed and every item was
///   received, `recv()` returns an empty optional (end-of-stream), again on every later call.
/// - Several pipes between the same two ranks never interfere when their `channel`s differ;
///   a pipe on channel c uses Tag::pipe(c) of `comm`, which no user tag can equal.
/// - T travels as core/codec.hpp describes (raw, contiguous or Boost-serialized) and must be
///   default-constructible.
/// \note An end is meant for one thread; one thread sending while another receives is fine.
/// \note With peer == own rank (a loopback pipe), a blocking `send` of an item of
///   kPipeInlineBytes or more waits for its own `recv`: use `isend` for large items there.
/// \note close() is explicit: destroying an end sends nothing, because a message nobody
///   receives could outlive its communicator and reach a later one that reuses its context.
///   A peer waiting for end-of-stream waits until close() is called.
/// \note The communicator must outlive the pipe.
template <class T>
class Pipe {
 public:
  /// The item type.
  using value_type = T;

  /// An unusable end; assign a real one to it.
  Pipe() = default;
  /// This rank's end of the pipe to `peer` on `channel` (0 <= channel < kPipeChannels).
  /// Throws UsageError for a peer or channel out of range.
  Pipe(const Communicator& comm, int peer, int channel = 0) : t_(comm, peer, channel) {}
  /// Takes over `other`'s end; `other` becomes unusable.
  Pipe(Pipe&& other) noexcept : t_(std::move(other.t_)), closed_(other.closed_), at_end_(other.at_end_) {}
  /// Takes over `other`'s end (this end is dropped as it is: close it first if the peer waits).
  Pipe& operator=(Pipe&& other) noexcept {
    if (this != &other) {
      t_ = std::move(other.t_);
      closed_ = other.closed_;
      at_end_ = other.at_end_;
    }
    return *this;
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  /// Drops the end without sending anything (see the class note on close()).
  ~Pipe() = default;

  /// The other end's rank.
  [[nodiscard]] int peer() const noexcept { return t_.peer(); }
  /// The channel number.
  [[nodiscard]] int channel() const noexcept { return t_.channel(); }
  /// Whether this end was closed (no more sends).
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// Whether the peer's end-of-stream was received (every item before it was received too).
  [[nodiscard]] bool at_end() const noexcept { return at_end_; }

  /// Sends `value`; returns once it may be changed. Throws UsageError after close().
  void send(const T& value) {
    require_open("send");
    if constexpr (wire_kind_v<T> == WireKind::raw) {
      t_.send(&value, sizeof(T));
    } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
      t_.send(value.data(), value.size() * sizeof(typename T::value_type));
    } else {
      const std::string bytes = encode_bytes(value);
      t_.send(bytes.data(), bytes.size());
    }
  }

  /// Starts sending `value` (owned by the request until it completes) and returns the
  /// waitable handle; items keep their order with every other send on this pipe.
  [[nodiscard]] Request isend(T value) {
    require_open("isend");
    if constexpr (wire_kind_v<T> == WireKind::serialized) {
      auto bytes = std::make_shared<const std::string>(encode_bytes(value));
      return t_.isend(bytes->data(), bytes->size(), bytes);
    } else {
      auto owned = std::make_shared<const T>(std::move(value));
      if constexpr (wire_kind_v<T> == WireKind::raw) {
        return t_.isend(owned.get(), sizeof(T), owned);
      } else {
        return t_.isend(owned->data(), owned->size() * sizeof(typename T::value_type), owned);
      }
    }
  }

  /// The next item from the peer, waiting (sleeping) for it; empty once the peer closed and
  /// every item was received.
  std::optional<T> recv() {
    std::optional<T> out(std::in_place);
    if (!recv_into(*out)) return std::nullopt;
    return out;
  }

  /// Receives the next item into `out`, reusing its storage (a vector or string keeps its
  /// capacity); returns false, leaving `out` alone, at end-of-stream.
  bool recv_into(T& out) {
    if (at_end_) return false;
    t_.require_valid("recv");
    if constexpr (wire_kind_v<T> == WireKind::raw && sizeof(T) < detail::kPipeInlineBytes) {
      if (detail::PipeTransport::small_frame_fits(sizeof(T))) return recv_raw_fast(out);
    }
    const detail::PipeHead head = t_.recv_head();
    if (head.kind == detail::PipeFrame::end) {
      at_end_ = true;
      return false;
    }
    const bool large = head.kind == detail::PipeFrame::large;
    if constexpr (wire_kind_v<T> == WireKind::raw) {
      if (head.bytes != sizeof(T)) detail::throw_pipe_mismatch(peer(), channel(), head.bytes, sizeof(T));
      if (large) {
        t_.recv_large(&out, sizeof(T));
      } else {
        std::memcpy(static_cast<void*>(&out), t_.received(sizeof(T)).data(), sizeof(T));
      }
    } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
      using E = typename T::value_type;
      if (head.bytes % sizeof(E) != 0) detail::throw_pipe_mismatch(peer(), channel(), head.bytes, sizeof(E));
      out.resize(head.bytes / sizeof(E));
      if (large) {
        t_.recv_large(out.data(), head.bytes);
      } else if (head.bytes > 0) {
        std::memcpy(static_cast<void*>(out.data()), t_.received(head.bytes).data(), head.bytes);
      }
    } else {
      if (large) {
        std::string bytes(head.bytes, '\0');
        t_.recv_large(bytes.data(), head.bytes);
        decode_bytes(std::span<const char>(bytes.data(), bytes.size()), out);
      } else {
        decode_bytes(t_.received(head.bytes), out);
      }
    }
    return true;
  }

  /// Whether `recv()` would return without waiting (an item or end-of-stream is there),
  /// waiting at most `timeout` (sleeping) for that.
  bool poll(std::chrono::duration<double> timeout = std::chrono::duration<double>::zero()) const {
    if (at_end_) return true;
    t_.require_valid("poll");
    return t_.poll(timeout);
  }

  /// The next item if one arrives within `timeout`; empty on timeout or end-of-stream
  /// (at_end() tells which).
  std::optional<T> recv_for(std::chrono::duration<double> timeout) {
    if (!poll(timeout)) return std::nullopt;
    return recv();
  }

  /// The next item if one is already there; empty otherwise or at end-of-stream (at_end() tells).
  std::optional<T> try_recv() { return recv_for(std::chrono::duration<double>::zero()); }

  /// Tells the peer that no more items follow (its recv() reports end-of-stream after the
  /// items already sent). Later sends throw UsageError; closing twice does nothing.
  /// Receiving from the peer still works after close().
  void close() {
    if (closed_) return;
    t_.require_valid("close");
    t_.send_end();
    closed_ = true;
  }

 private:
  void require_open(const char* operation) const {
    t_.require_valid(operation);
    if (closed_)
      throw UsageError(std::string("Pipe: ") + operation + " after close() on the pipe to rank " +
                       std::to_string(peer()) + ", channel " + std::to_string(channel()));
  }

  bool recv_raw_fast(T& out) {
    // The hot path of small fixed-size items: one posted receive straight into a stack buffer.
    alignas(T) unsigned char buffer[sizeof(T) + 1];
    const std::size_t got = t_.recv_small(buffer, sizeof(T) + 1);
    if (got == sizeof(T) + 1 && buffer[sizeof(T)] == static_cast<unsigned char>(detail::PipeFrame::data)) {
      std::memcpy(static_cast<void*>(&out), buffer, sizeof(T));
      return true;
    }
    if (got == 1 && buffer[0] == static_cast<unsigned char>(detail::PipeFrame::end)) {
      at_end_ = true;
      return false;
    }
    detail::throw_pipe_mismatch(peer(), channel(), got == 0 ? 0 : got - 1, sizeof(T));
  }

  detail::PipeTransport t_;
  bool closed_ = false;
  bool at_end_ = false;
};

}  // namespace multirank
