#pragma once
/// \file 128-bit integers for exact sums, with decimal conversion.

#include <string>

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
  return "-" + to_string(static_cast<uint128_t>(-(v + 1)) + 1);
}

}  // namespace multirank
