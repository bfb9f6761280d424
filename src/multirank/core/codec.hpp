#pragma once
/// \file The one codec: how a C++ value becomes message bytes, and how items are framed in a
/// batch. Every layer uses it: typed messages, broadcasts, pipes, queue batches, pool chunks and
/// results, pipeline envelopes and manager entries.
///
/// How a value travels (its WireKind):
/// - raw: a trivially copyable T travels as its own bytes, no copy on either side;
/// - contiguous: std::vector<T> and std::basic_string<T> of trivially copyable T travel as their
///   element bytes, again without a copy;
/// - serialized: anything else is encoded by Codec<T>: a Boost.Serialization binary archive
///   (strings inside structures, vectors of strings, maps, user types with `serialize`), unless
///   Codec is specialized for the type (the pipeline's envelopes are, so that their trivially
///   copyable items stay raw bytes).
///
/// Framing, for a batch of items in one message (a queue batch, a pool chunk): an item of fixed
/// size (raw) is its bytes; any other is a 64-bit byte count and its bytes; a batch is its items
/// back to back, so a pool slices chunks out of one column of inputs without re-encoding them,
/// and an empty string or vector is an item like any other.
/// \note Serialized messages cost an encode and a decode; prefer trivially copyable items on hot paths.

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/unordered_map.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <sstream>
#include <streambuf>
#include <string>
#include <type_traits>
#include <vector>

#include "multirank/core/error.hpp"
#include "multirank/core/serialize_std.hpp"

namespace multirank {

/// How a type travels.
enum class WireKind { raw, contiguous, serialized };

namespace detail {
template <class T>
struct contiguous_of : std::false_type {};
template <class T, class A>
struct contiguous_of<std::vector<T, A>> : std::bool_constant<std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>> {
  using value_type = T;
};
template <class T, class Tr, class A>
struct contiguous_of<std::basic_string<T, Tr, A>> : std::is_trivially_copyable<T> {
  using value_type = T;
};

/// Reads from a byte span in place (no copy).
class SpanBuf : public std::streambuf {
 public:
  SpanBuf(const char* data, std::size_t size) {
    char* p = const_cast<char*>(data);  // never written through: input area only
    setg(p, p, p + static_cast<std::ptrdiff_t>(size));
  }
};

[[noreturn]] inline void throw_size_mismatch(std::size_t got, std::size_t unit, const char* what) {
  throw ProtocolError(std::string("received ") + std::to_string(got) + " bytes, not " + what + " of " +
                      std::to_string(unit) + "-byte elements: do both ends use the same type?");
}
}  // namespace detail

/// Encodes a value as a Boost.Serialization binary archive.
template <class T>
std::string serialize_to_bytes(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    boost::archive::binary_oarchive archive(out, boost::archive::no_header);
    archive << value;
  }
  return std::move(out).str();
}

/// Decodes a Boost.Serialization binary archive; throws ProtocolError when the bytes are not an
/// archive of a T (truncated, corrupt, or written for another type).
template <class T>
void deserialize_from_bytes(std::span<const char> bytes, T& value) {
  detail::SpanBuf buf(bytes.data(), bytes.size());
  std::istream in(&buf);
  try {
    boost::archive::binary_iarchive archive(in, boost::archive::no_header);
    archive >> value;
  } catch (const boost::archive::archive_exception& e) {
    throw ProtocolError(std::string("a message could not be decoded (") + e.what() + "; " + std::to_string(bytes.size()) +
                        " bytes): do both ends use the same type?");
  }
}

/// How T becomes bytes and back. The primary template covers every type by its wire kind;
/// specialize it (with kind = WireKind::serialized, encode and decode) to give a type an
/// encoding of its own.
template <class T, class Enable = void>
struct Codec {
  /// How T travels.
  static constexpr WireKind kind = detail::contiguous_of<T>::value                              ? WireKind::contiguous
                                   : (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>) ? WireKind::raw
                                                                                                : WireKind::serialized;
  /// Appends the bytes of `value` to `out`.
  static void encode(std::string& out, const T& value) {
    if constexpr (kind == WireKind::raw) {
      out.append(reinterpret_cast<const char*>(&value), sizeof(T));
    } else if constexpr (kind == WireKind::contiguous) {
      out.append(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(typename T::value_type));
    } else {
      out.append(serialize_to_bytes(value));
    }
  }
  /// Decodes `value` from exactly `bytes`; throws ProtocolError when they cannot be a T.
  static void decode(std::span<const char> bytes, T& value) {
    if constexpr (kind == WireKind::raw) {
      if (bytes.size() != sizeof(T)) detail::throw_size_mismatch(bytes.size(), sizeof(T), "one");
      std::memcpy(static_cast<void*>(&value), bytes.data(), sizeof(T));
    } else if constexpr (kind == WireKind::contiguous) {
      using E = typename T::value_type;
      if (bytes.size() % sizeof(E) != 0) detail::throw_size_mismatch(bytes.size(), sizeof(E), "a whole number");
      value.resize(bytes.size() / sizeof(E));
      if (!bytes.empty()) std::memcpy(static_cast<void*>(value.data()), bytes.data(), bytes.size());
    } else {
      deserialize_from_bytes(bytes, value);
    }
  }
};

/// The wire kind chosen for T.
template <class T>
inline constexpr WireKind wire_kind_v = Codec<T>::kind;

/// The bytes of `value` (appended to nothing): its encoding as one message.
template <class T>
std::string encode_bytes(const T& value) {
  std::string out;
  Codec<T>::encode(out, value);
  return out;
}

/// Decodes `value` from the bytes of one message.
template <class T>
void decode_bytes(std::span<const char> bytes, T& value) {
  Codec<T>::decode(bytes, value);
}

// ---- Framing: items in a batch ----

/// Bytes every framed T takes when that is fixed (raw items), else 0.
template <class T>
inline constexpr std::size_t fixed_item_bytes = wire_kind_v<T> == WireKind::raw ? sizeof(T) : 0;

/// Bytes `value` takes framed when that is known without encoding it (raw and contiguous
/// items), else 0 (a serialized item's size is known only once it is encoded).
template <class T>
std::size_t framed_item_bytes(const T& value) noexcept {
  if constexpr (fixed_item_bytes<T> != 0) {
    return sizeof(T);
  } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
    return sizeof(std::uint64_t) + value.size() * sizeof(typename T::value_type);
  } else {
    return 0;
  }
}

/// Appends `value`, framed, to `out`; returns how many bytes it added.
template <class T>
std::size_t append_item(std::string& out, const T& value) {
  if constexpr (fixed_item_bytes<T> != 0) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
    return sizeof(T);
  } else {
    const std::size_t at = out.size();
    out.append(sizeof(std::uint64_t), '\0');
    Codec<T>::encode(out, value);
    const std::uint64_t n = out.size() - at - sizeof n;
    std::memcpy(out.data() + at, &n, sizeof n);
    return sizeof n + static_cast<std::size_t>(n);
  }
}

namespace detail {
/// The body of the variable-size item at `p` (moving `p` past it).
inline std::span<const char> read_item_body(const char*& p, const char* end) {
  std::uint64_t n = 0;
  if (static_cast<std::size_t>(end - p) < sizeof n) throw ProtocolError("a truncated item (its length)");
  std::memcpy(&n, p, sizeof n);
  p += sizeof n;
  if (static_cast<std::uint64_t>(end - p) < n) throw ProtocolError("a truncated item (its body)");
  const std::span<const char> body(p, static_cast<std::size_t>(n));
  p += n;
  return body;
}
}  // namespace detail

/// Decodes the framed item at `p` into `value` and moves `p` past it; ProtocolError when the
/// bytes end first or are not a T.
template <class T>
void read_item(const char*& p, const char* end, T& value) {
  if constexpr (fixed_item_bytes<T> != 0) {
    if (static_cast<std::size_t>(end - p) < sizeof(T)) throw ProtocolError("a truncated item");
    std::memcpy(static_cast<void*>(&value), p, sizeof(T));
    p += sizeof(T);
  } else {
    Codec<T>::decode(detail::read_item_body(p, end), value);
  }
}

/// Size of the framed item at `p` (and moves `p` past it).
template <class T>
std::size_t skip_item(const char*& p, const char* end) {
  if constexpr (fixed_item_bytes<T> != 0) {
    if (static_cast<std::size_t>(end - p) < sizeof(T)) throw ProtocolError("a truncated item");
    p += sizeof(T);
    return sizeof(T);
  } else {
    return sizeof(std::uint64_t) + detail::read_item_body(p, end).size();
  }
}

/// Decodes the `count` framed items of `batch` in order, each into the T& that `place()` returns
/// (a new element of a container, say); throws ProtocolError unless they fill the batch exactly.
template <class T, class Place>
void read_batch(std::span<const char> batch, std::size_t count, Place&& place) {
  if constexpr (fixed_item_bytes<T> != 0) {
    if (batch.size() != count * sizeof(T))
      throw ProtocolError("a batch of " + std::to_string(count) + " items of " + std::to_string(sizeof(T)) +
                          " bytes holds " + std::to_string(batch.size()) + " bytes: do both ends use the same type?");
  }
  const char* p = batch.data();
  const char* const end = p + batch.size();
  for (std::size_t i = 0; i < count; ++i) read_item(p, end, static_cast<T&>(place()));
  if (p != end)
    throw ProtocolError("a batch of " + std::to_string(count) + " items has " + std::to_string(end - p) +
                        " bytes left over: do both ends use the same type?");
}

}  // namespace multirank
