#pragma once
/// \file The check that every rank passed the same arguments to a collective constructor (a
/// Queue's roles and options, a pool's options, a pipeline's stages, a manager's host): ranks
/// that disagree would otherwise wait for messages that never come. Each rank folds its
/// arguments into an ArgumentDigest; require_same_arguments compares the digests in one sleeping
/// allreduce and throws the same UsageError on every rank when they differ.

#include <bit>
#include <concepts>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "multirank/core/communicator.hpp"

namespace multirank {

/// A 64-bit digest (FNV-1a) of a constructor's arguments, in the order they are added.
class ArgumentDigest {
 public:
  /// Adds an integer, bool or enumeration.
  template <class I>
    requires std::integral<I> || std::is_enum_v<I>
  ArgumentDigest& add(I value) noexcept {
    if constexpr (std::is_enum_v<I>) {
      return add_word(static_cast<std::uint64_t>(static_cast<std::underlying_type_t<I>>(value)));
    } else {
      return add_word(static_cast<std::uint64_t>(value));
    }
  }
  /// Adds a floating-point number (its bits).
  ArgumentDigest& add(double value) noexcept { return add_word(std::bit_cast<std::uint64_t>(value)); }
  /// Adds a text (its length, then its bytes).
  ArgumentDigest& add(std::string_view text) noexcept {
    add_word(text.size());
    for (const char c : text) mix(static_cast<unsigned char>(c));
    return *this;
  }
  /// Adds a list of integers (its length, then each).
  template <std::integral I>
  ArgumentDigest& add(const std::vector<I>& values) noexcept {
    add_word(values.size());
    for (const I v : values) add(v);
    return *this;
  }
  /// The digest so far.
  [[nodiscard]] std::uint64_t value() const noexcept { return hash_; }

 private:
  ArgumentDigest& add_word(std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(v >> (8 * i)));
    return *this;
  }
  void mix(unsigned char byte) noexcept {
    hash_ ^= byte;
    hash_ *= 1099511628211ULL;
  }
  std::uint64_t hash_ = 14695981039346656037ULL;
};

/// Collective over `comm`: returns when every rank's `digest` is the same, else throws
/// UsageError(`what`) on every rank. Waits sleeping (one MPI_Iallreduce).
void require_same_arguments(const Communicator& comm, const ArgumentDigest& digest, std::string_view what);

}  // namespace multirank
