#pragma once
/// \file Message tags, a type of their own (like MPL's tag_t), so that a tag is never taken for
/// a rank or a count, and so that the library's tags can never meet a user's.
///
/// The tag space of a communicator:
/// - user tags: Tag{0} .. Tag{kUserTagLimit - 1}, or a value of the user's own enumeration;
/// - pipe channels: Tag::pipe(c) for 0 <= c < kPipeChannels, reserved for Pipe;
/// - the library's own tags on a user's communicator (clock synchronisation, the collectives'
///   point-to-point paths), each named once in LibraryTag; their values follow from their place
///   in that list, never from a hand-counted range.
/// The library's components that own a communicator (Queue, Pool, Pipeline, Manager) duplicate
/// the caller's and use tags of their own on it, which nothing else can see.

#include <mpi.h>

#include <type_traits>

namespace multirank {

/// Tags below this are the user's; the pipes' and the library's tags lie above.
inline constexpr int kUserTagLimit = 20000;
/// How many independent pipe channels one pair of ranks has on one communicator.
inline constexpr int kPipeChannels = 10000;

/// The library's own tags on a user's communicator.
enum class LibraryTag : int {
  clock,      ///< SyncClock's ping-pong
  reduce,     ///< the reduction tree of values that no MPI_Op handles
  broadcast,  ///< reserved for a broadcast tree
  gather,     ///< gather / gatherv of serialized values
  scatter,    ///< scatter / scatterv of serialized values
};

/// A message tag: a user's (explicit from an int, implicit from an enumeration), a pipe
/// channel's, a library tag, or "any" for receives.
class Tag {
 public:
  /// A user tag; it must lie in [0, kUserTagLimit) (checked where it is used: UsageError).
  constexpr explicit Tag(int value) noexcept : value_(value) {}
  /// A user tag from an enumeration of the user's (its value).
  template <class E>
    requires(std::is_enum_v<E> && !std::is_same_v<E, LibraryTag>)
  constexpr Tag(E value) noexcept  // NOLINT: implicit, as MPL's tags accept enums
      : value_(static_cast<int>(static_cast<std::underlying_type_t<E>>(value))) {}
  /// One of the library's tags.
  constexpr Tag(LibraryTag tag) noexcept  // NOLINT: implicit
      : value_(kPipeBase + kPipeChannels + static_cast<int>(tag)), reserved_(true) {}
  /// The tag of pipe channel `channel` (0 <= channel < kPipeChannels).
  static constexpr Tag pipe(int channel) noexcept { return Tag(kPipeBase + channel, true); }
  /// Any tag (MPI_ANY_TAG), for receives and probes.
  static constexpr Tag any() noexcept { return Tag(MPI_ANY_TAG, true); }
  /// The tag a received message carried.
  static constexpr Tag received(int value) noexcept { return Tag(value, value >= kUserTagLimit); }

  /// The MPI tag.
  [[nodiscard]] constexpr int value() const noexcept { return value_; }
  /// Whether it is the library's (a pipe's, a LibraryTag, or any), not a user tag.
  [[nodiscard]] constexpr bool reserved() const noexcept { return reserved_; }
  /// Whether it is MPI_ANY_TAG.
  [[nodiscard]] constexpr bool is_any() const noexcept { return value_ == MPI_ANY_TAG; }
  /// Tags are equal when their MPI values are.
  friend constexpr bool operator==(Tag a, Tag b) noexcept { return a.value_ == b.value_; }

 private:
  static constexpr int kPipeBase = kUserTagLimit;
  constexpr Tag(int value, bool reserved) noexcept : value_(value), reserved_(reserved) {}
  int value_;
  bool reserved_ = false;
};

}  // namespace multirank
