#pragma once
/// \file How one task input or result is laid out inside a chunk: a run of encoded items.
///
/// Raw items (trivially copyable) are their own bytes; contiguous ones (vector/string of trivially
/// copyable elements) are a 64-bit byte count and the elements; anything else is a 64-bit byte count
/// and its Boost.Serialization archive. A chunk of n items is the n encodings back to back, so a
/// coordinator slices chunks out of one input column without re-encoding.

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "multirank/core/codec.hpp"
#include "multirank/core/error.hpp"

namespace multirank::detail {

/// Bytes every encoded T takes when that is fixed (raw items), else 0.
template <class T>
inline constexpr std::size_t fixed_item_bytes = wire_kind_v<T> == WireKind::raw ? sizeof(T) : 0;

/// Appends the encoding of `value` to `out`; returns how many bytes it added.
template <class T>
std::size_t append_item(std::string& out, const T& value) {
  if constexpr (wire_kind_v<T> == WireKind::raw) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
    return sizeof(T);
  } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
    const std::uint64_t n = value.size() * sizeof(typename T::value_type);
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(reinterpret_cast<const char*>(value.data()), n);
    return sizeof n + n;
  } else {
    const std::string bytes = serialize_to_bytes(value);
    const std::uint64_t n = bytes.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(bytes);
    return sizeof n + n;
  }
}

/// Reads the byte count that prefixes a variable-size item.
inline std::uint64_t read_item_length(const char*& p, const char* end) {
  std::uint64_t n = 0;
  if (end - p < static_cast<std::ptrdiff_t>(sizeof n)) throw ProtocolError("truncated task item (length)");
  std::memcpy(&n, p, sizeof n);
  p += sizeof n;
  if (static_cast<std::uint64_t>(end - p) < n) throw ProtocolError("truncated task item (body)");
  return n;
}

/// Decodes the item at `p` into `value` and moves `p` past it.
template <class T>
void read_item(const char*& p, const char* end, T& value) {
  if constexpr (wire_kind_v<T> == WireKind::raw) {
    if (end - p < static_cast<std::ptrdiff_t>(sizeof(T))) throw ProtocolError("truncated task item");
    std::memcpy(static_cast<void*>(&value), p, sizeof(T));
    p += sizeof(T);
  } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
    using E = typename T::value_type;
    const std::uint64_t n = read_item_length(p, end);
    if (n % sizeof(E) != 0) throw ProtocolError("task item is not a whole number of elements");
    value.resize(n / sizeof(E));
    if (n != 0) std::memcpy(static_cast<void*>(value.data()), p, n);
    p += n;
  } else {
    const std::uint64_t n = read_item_length(p, end);
    deserialize_from_bytes(std::span<const char>(p, n), value);
    p += n;
  }
}

/// Size in bytes of the encoded item at `p` (and moves `p` past it).
template <class T>
std::size_t skip_item(const char*& p, const char* end) {
  if constexpr (wire_kind_v<T> == WireKind::raw) {
    p += sizeof(T);
    return sizeof(T);
  } else {
    const std::uint64_t n = read_item_length(p, end);
    p += n;
    return sizeof n + n;
  }
}

}  // namespace multirank::detail
