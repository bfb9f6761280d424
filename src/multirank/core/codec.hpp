#pragma once
/// \file How a C++ value becomes message bytes: raw, contiguous, or Boost.Serialization.
///
/// - raw: a trivially copyable T travels as its own bytes, no copy on either side;
/// - contiguous: std::vector<T> and std::basic_string<T> of trivially copyable T travel as
///   their element bytes, again without a copy;
/// - serialized: anything else with a Boost.Serialization `serialize` (strings inside
///   structures, vectors of strings, maps, user types) travels as a binary archive.
/// \note Serialized messages cost an encode and a decode; prefer trivially copyable items on hot paths.

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/unordered_map.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <cstddef>
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
}  // namespace detail

/// The wire kind chosen for T.
template <class T>
inline constexpr WireKind wire_kind_v =
    detail::contiguous_of<T>::value                                  ? WireKind::contiguous
    : (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>)     ? WireKind::raw
                                                                     : WireKind::serialized;

/// Encodes a serialized-kind value into a byte string.
template <class T>
std::string serialize_to_bytes(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    boost::archive::binary_oarchive archive(out, boost::archive::no_header);
    archive << value;
  }
  return std::move(out).str();
}

namespace detail {
/// Reads from a byte span in place (no copy).
class SpanBuf : public std::streambuf {
 public:
  SpanBuf(const char* data, std::size_t size) {
    char* p = const_cast<char*>(data);  // never written through: input area only
    setg(p, p, p + size);
  }
};
}  // namespace detail

/// Decodes a serialized-kind value from bytes; throws ProtocolError when they are not an
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

}  // namespace multirank
