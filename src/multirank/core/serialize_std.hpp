#pragma once
/// \file Boost.Serialization support for std::tuple, std::optional and 128-bit integers,
/// which Boost 1.74 does not provide.

#include <boost/serialization/split_free.hpp>

#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

#include "multirank/core/int128.hpp"

namespace boost::serialization {

template <class Archive, class... Ts>
void serialize(Archive& ar, std::tuple<Ts...>& t, const unsigned int /*version*/) {
  std::apply([&ar](auto&... parts) { ((ar & parts), ...); }, t);
}

template <class Archive, class T>
void save(Archive& ar, const std::optional<T>& o, const unsigned int /*version*/) {
  const bool has = o.has_value();
  ar << has;
  if (has) ar << *o;
}
template <class Archive, class T>
void load(Archive& ar, std::optional<T>& o, const unsigned int /*version*/) {
  bool has = false;
  ar >> has;
  if (has) {
    T value{};
    ar >> value;
    o = std::move(value);
  } else {
    o.reset();
  }
}
template <class Archive, class T>
void serialize(Archive& ar, std::optional<T>& o, const unsigned int version) {
  split_free(ar, o, version);
}

template <class Archive>
void serialize(Archive& ar, multirank::int128_t& v, const unsigned int /*version*/) {
  auto* words = reinterpret_cast<std::uint64_t*>(&v);
  ar & words[0];
  ar & words[1];
}
template <class Archive>
void serialize(Archive& ar, multirank::uint128_t& v, const unsigned int /*version*/) {
  auto* words = reinterpret_cast<std::uint64_t*>(&v);
  ar & words[0];
  ar & words[1];
}

}  // namespace boost::serialization
