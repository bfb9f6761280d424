#pragma once
/// \file 128-bit integers for exact sums, with decimal conversion.

#include <string>

#include "multirank/core/error.hpp"

namespace multirank {

__extension__ typedef __int128 int128_t;            ///< signed 128-bit integer
__extension__ typedef unsigned __int128 uint128_t;  ///< unsigned 128-bit integer

/// Decimal text of a 128-bit value.
inline std::string to_string(uint128_t v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

/// Decimal text of a signed 128-bit value.
inline std::string to_string(int128_t v) {
  if (v >= 0) return to_string(static_cast<uint128_t>(v));
  return std::string("-").append(to_string(static_cast<uint128_t>(-(v + 1)) + 1));
}

/// Parses decimal text (optionally signed) into a 128-bit value; throws UsageError for anything
/// else, a value out of range included.
inline int128_t parse_int128(const std::string& text) {
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative || (!text.empty() && text[0] == '+')) i = 1;
  if (i == text.size()) throw UsageError("not a 128-bit integer: '" + text + "'");
  // The magnitude may reach 2^127 for a negative value, 2^127 - 1 otherwise.
  const uint128_t limit = (static_cast<uint128_t>(1) << 127) - (negative ? 0 : 1);
  uint128_t v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') throw UsageError("not a 128-bit integer: '" + text + "'");
    const auto digit = static_cast<unsigned>(text[i] - '0');
    if (v > (limit - digit) / 10) throw UsageError("out of the 128-bit range: '" + text + "'");
    v = v * 10 + digit;
  }
  return negative ? static_cast<int128_t>(~v + 1) : static_cast<int128_t>(v);
}

}  // namespace multirank
