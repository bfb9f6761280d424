// Stable names: fixed text for common types and functions. The same expectations run in the GCC
// and the Clang build (scripts/test.sh builds both), so both compilers give the same keys.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "multirank/core/type_name.hpp"

namespace names_test {
struct Point {
  int x = 0;
};
namespace inner {
template <class T>
struct Box {};
}  // namespace inner
int square(int x) { return x * x; }
std::string shout(const std::string& s) { return s + "!"; }
template <class T>
T twice(T x) {
  return x + x;
}
}  // namespace names_test

namespace {
struct Hidden {};
int hidden(int x) { return x; }
}  // namespace

int plain_function(long) noexcept { return 0; }

namespace {

using multirank::function_name;
using multirank::type_name;

TEST(TypeName, FundamentalTypesHaveTheirShortestSpelling) {
  EXPECT_EQ(type_name<int>(), "int");
  EXPECT_EQ(type_name<unsigned>(), "unsigned int");
  EXPECT_EQ(type_name<std::int64_t>(), "long");
  EXPECT_EQ(type_name<std::uint64_t>(), "unsigned long");
  EXPECT_EQ(type_name<long long>(), "long long");
  EXPECT_EQ(type_name<unsigned long long>(), "unsigned long long");
  EXPECT_EQ(type_name<short>(), "short");
  EXPECT_EQ(type_name<unsigned short>(), "unsigned short");
  EXPECT_EQ(type_name<char>(), "char");
  EXPECT_EQ(type_name<signed char>(), "signed char");
  EXPECT_EQ(type_name<std::uint8_t>(), "unsigned char");
  EXPECT_EQ(type_name<double>(), "double");
  EXPECT_EQ(type_name<long double>(), "long double");
  EXPECT_EQ(type_name<bool>(), "bool");
  EXPECT_EQ(type_name<const char*>(), "const char*");
  EXPECT_EQ(type_name<int[3]>(), "int[3]");
}

TEST(TypeName, StandardTypesDropDefaultsAndTheAbiNamespace) {
  EXPECT_EQ(type_name<std::string>(), "std::string");
  EXPECT_EQ(type_name<std::string_view>(), "std::string_view");
  EXPECT_EQ(type_name<std::vector<int>>(), "std::vector<int>");
  EXPECT_EQ(type_name<std::vector<std::string>>(), "std::vector<std::string>");
  EXPECT_EQ(type_name<std::vector<std::vector<int>>>(), "std::vector<std::vector<int>>");
  EXPECT_EQ((type_name<std::map<std::string, int>>()), "std::map<std::string, int>");
  EXPECT_EQ((type_name<std::unordered_map<std::string, std::vector<std::uint8_t>>>()),
            "std::unordered_map<std::string, std::vector<unsigned char>>");
  EXPECT_EQ((type_name<std::pair<int, double>>()), "std::pair<int, double>");
  EXPECT_EQ((type_name<std::tuple<int, std::string, double>>()), "std::tuple<int, std::string, double>");
  EXPECT_EQ(type_name<std::optional<long>>(), "std::optional<long>");
  EXPECT_EQ((type_name<std::array<int, 4>>()), "std::array<int, 4>");
}

TEST(TypeName, UserTypesKeepTheirNamespaces) {
  EXPECT_EQ(type_name<names_test::Point>(), "names_test::Point");
  EXPECT_EQ(type_name<names_test::inner::Box<names_test::Point>>(), "names_test::inner::Box<names_test::Point>");
  EXPECT_EQ(type_name<Hidden>(), "{anonymous}::Hidden");
  EXPECT_EQ(type_name<std::vector<names_test::Point>>(), "std::vector<names_test::Point>");
}

TEST(FunctionName, QualifiedNamesWithoutTheCompilersDecorations) {
  EXPECT_EQ(function_name<names_test::square>(), "names_test::square(int)");
  EXPECT_EQ(function_name<&names_test::square>(), "names_test::square(int)");
  EXPECT_EQ(function_name<names_test::shout>(), "names_test::shout(const std::string&)");
  EXPECT_EQ(function_name<hidden>(), "{anonymous}::hidden(int)");
  EXPECT_EQ(function_name<plain_function>(), "plain_function(long)");
  // Specializations of a function template differ by their parameters.
  EXPECT_EQ(function_name<names_test::twice<long>>(), "names_test::twice(long)");
  EXPECT_EQ(function_name<names_test::twice<std::string>>(), "names_test::twice(std::string)");
}

TEST(NormalizeName, BothCompilersSpellingsGiveOneText) {
  using multirank::normalize_name;
  EXPECT_EQ(normalize_name("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"),
            "std::string");
  EXPECT_EQ(normalize_name("std::map<std::__cxx11::basic_string<char>, long int>"), "std::map<std::string, long>");
  EXPECT_EQ(normalize_name("std::map<std::basic_string<char>, long>"), "std::map<std::string, long>");
  EXPECT_EQ(normalize_name("&(anonymous namespace)::f"), "{anonymous}::f");
  EXPECT_EQ(normalize_name("{anonymous}::f"), "{anonymous}::f");
  EXPECT_EQ(normalize_name("long long unsigned int"), "unsigned long long");
  EXPECT_EQ(normalize_name("std::vector<std::vector<short int> >"), "std::vector<std::vector<short>>");
  EXPECT_EQ(normalize_name("const char *"), "const char*");
  EXPECT_EQ(normalize_name("void (*)(int, double)"), "void(*)(int, double)");
}

}  // namespace
