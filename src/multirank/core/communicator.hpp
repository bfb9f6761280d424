#pragma once
/// \file The library's communicator: a private duplicate of the user's, checked, with typed messages.

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "multirank/core/codec.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/request.hpp"
#include "multirank/core/tags.hpp"

namespace multirank {

/// What a received or probed message was.
struct Status {
  int source = MPI_ANY_SOURCE;  ///< the sender's rank
  Tag tag = Tag::any();         ///< the message tag
  std::size_t bytes = 0;        ///< bytes of its first piece (all of it unless split)
};

/// Largest piece a message travels in; larger messages are split and reassembled. Default 1 GiB
/// (MPI counts are ints); `MULTIRANK_MESSAGE_CHUNK_BYTES` overrides it, and Environment checks at
/// start that every rank has the same value. No message travels in more than 256 pieces: a longer
/// one goes in pieces larger than the setting (so that few pieces are ever in flight to a peer).
std::size_t message_chunk_bytes();
/// Sets the piece size (collectively: the same value on every rank).
void set_message_chunk_bytes(std::size_t bytes);

/// Owns a duplicate of an MPI communicator with MPI_ERRORS_RETURN, so library traffic never
/// collides with the user's messages and every failure becomes an exception.
///
/// Typed point-to-point: `send(dest, Tag{t}, x)`, `recv<T>(src, Tag{t})`, `isend(dest, Tag{t}, x)`;
/// see codec.hpp for how a type travels and tags.hpp for tags. Waiting polls with a Backoff
/// instead of spinning.
class Communicator {
 public:
  /// An empty (null) communicator.
  Communicator() = default;
  /// Duplicates `comm` (collective over it).
  explicit Communicator(MPI_Comm comm);
  /// A duplicate of MPI_COMM_WORLD.
  static Communicator world() { return Communicator(MPI_COMM_WORLD); }
  Communicator(Communicator&& other) noexcept;
  Communicator& operator=(Communicator&& other) noexcept;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  ~Communicator();

  /// This process's rank.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// Number of ranks.
  [[nodiscard]] int size() const noexcept { return size_; }
  /// The underlying MPI handle (MPI_COMM_NULL when empty).
  [[nodiscard]] MPI_Comm native() const noexcept { return comm_; }
  /// False for the empty communicator (e.g. a split that excluded this rank).
  [[nodiscard]] explicit operator bool() const noexcept { return comm_ != MPI_COMM_NULL; }

  /// Another private duplicate (collective).
  [[nodiscard]] Communicator dup() const { return Communicator(comm_); }
  /// MPI_Comm_split; ranks passing MPI_UNDEFINED get an empty communicator (collective).
  [[nodiscard]] Communicator split(int color, int key) const;
  /// A barrier that sleeps instead of spinning while it waits (collective).
  void barrier() const;

  /// Throws UsageError unless 0 <= r < size() (or MPI_ANY_SOURCE where allowed).
  void check_rank(int r, bool any_allowed = false) const;
  /// Throws UsageError unless `tag` is a user tag in [0, kUserTagLimit), a tag of the library's
  /// within MPI's upper bound, or (where allowed) Tag::any().
  void check_tag(Tag tag, bool any_allowed = false) const;

  /// Sends `value` and returns once its buffer may be reused.
  template <class T>
  void send(int dest, Tag tag, const T& value) const;
  /// Starts sending `value`, which the request owns until completion.
  template <class T>
  [[nodiscard]] Request isend(int dest, Tag tag, T value) const;
  /// Starts sending `value` without a copy; it must stay alive and unchanged until the request completes.
  template <class T>
  [[nodiscard]] Request isend_ref(int dest, Tag tag, const T& value) const;
  /// Receives a T from `source` (or MPI_ANY_SOURCE) with `tag` (or Tag::any()).
  template <class T>
  T recv(int source, Tag tag, Status* status = nullptr) const;
  /// Receives into an existing object (reuses a container's storage).
  template <class T>
  Status recv_into(int source, Tag tag, T& out) const;
  /// Blocks (sleeping) until a matching message is there.
  Status probe(int source, Tag tag) const;
  /// A matching message's status if one is there now.
  std::optional<Status> iprobe(int source, Tag tag) const;
  /// Waits at most `timeout` for a matching message.
  std::optional<Status> probe_for(int source, Tag tag, std::chrono::duration<double> timeout) const;

  // Byte-level transport under the typed calls; splits and reassembles large messages.
  /// Sends bytes, blocking until the buffer may be reused.
  void send_bytes(int dest, Tag tag, const void* data, std::size_t bytes) const;
  /// Starts sending bytes; `keep` is held until completion.
  [[nodiscard]] Request isend_bytes(int dest, Tag tag, const void* data, std::size_t bytes,
                                    std::shared_ptr<const void> keep) const;
  /// Receives exactly `bytes` bytes into `data`.
  Status recv_bytes_known(int source, Tag tag, void* data, std::size_t bytes) const;
  /// Receives a message of unknown length; `place(offset, piece)` must make room for `piece`
  /// more bytes at `offset` and return where they go.
  Status recv_bytes_unknown(int source, Tag tag,
                            const std::function<char*(std::size_t offset, std::size_t piece)>& place) const;

 private:
  void reset() noexcept;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
  int tag_ub_ = 32767;
};

template <class T>
void Communicator::send(int dest, Tag tag, const T& value) const {
  if constexpr (wire_kind_v<T> == WireKind::raw) {
    send_bytes(dest, tag, &value, sizeof(T));
  } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
    send_bytes(dest, tag, value.data(), value.size() * sizeof(typename T::value_type));
  } else {
    const std::string bytes = encode_bytes(value);
    send_bytes(dest, tag, bytes.data(), bytes.size());
  }
}

template <class T>
Request Communicator::isend(int dest, Tag tag, T value) const {
  if constexpr (wire_kind_v<T> == WireKind::serialized) {
    auto bytes = std::make_shared<const std::string>(encode_bytes(value));
    return isend_bytes(dest, tag, bytes->data(), bytes->size(), bytes);
  } else {
    auto owned = std::make_shared<const T>(std::move(value));
    if constexpr (wire_kind_v<T> == WireKind::raw) {
      return isend_bytes(dest, tag, owned.get(), sizeof(T), owned);
    } else {
      return isend_bytes(dest, tag, owned->data(), owned->size() * sizeof(typename T::value_type), owned);
    }
  }
}

template <class T>
Request Communicator::isend_ref(int dest, Tag tag, const T& value) const {
  if constexpr (wire_kind_v<T> == WireKind::raw) {
    return isend_bytes(dest, tag, &value, sizeof(T), nullptr);
  } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
    return isend_bytes(dest, tag, value.data(), value.size() * sizeof(typename T::value_type), nullptr);
  } else {
    return isend(dest, tag, value);
  }
}

template <class T>
Status Communicator::recv_into(int source, Tag tag, T& out) const {
  if constexpr (wire_kind_v<T> == WireKind::raw) {
    return recv_bytes_known(source, tag, &out, sizeof(T));
  } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
    using E = typename T::value_type;
    std::size_t total = 0;
    Status st = recv_bytes_unknown(source, tag, [&out, &total](std::size_t offset, std::size_t piece) {
      total = offset + piece;
      out.resize((total + sizeof(E) - 1) / sizeof(E));
      return reinterpret_cast<char*>(out.data()) + offset;
    });
    if (total % sizeof(E) != 0)
      throw ProtocolError("received " + std::to_string(total) + " bytes, not a whole number of " +
                       std::to_string(sizeof(E)) + "-byte elements");
    out.resize(total / sizeof(E));
    return st;
  } else {
    std::string bytes;
    Status st = recv_bytes_unknown(source, tag, [&bytes](std::size_t offset, std::size_t piece) {
      bytes.resize(offset + piece);
      return bytes.data() + offset;
    });
    decode_bytes(std::span<const char>(bytes.data(), bytes.size()), out);
    return st;
  }
}

template <class T>
T Communicator::recv(int source, Tag tag, Status* status) const {
  T value{};
  Status st = recv_into(source, tag, value);
  if (status) *status = st;
  return value;
}

}  // namespace multirank
