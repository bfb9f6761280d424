#pragma once
/// \file Stable names of types and functions: the same text from GCC and Clang, for keys that
/// travel between ranks (task keys, the manager's entry types) and for messages.
///
/// The compiler's own spelling (`__PRETTY_FUNCTION__`, `typeid(T).name()`) differs between
/// compilers: GCC writes `long int`, `std::__cxx11::basic_string<char>`, `{anonymous}::f` and
/// `std::vector<std::vector<int> >`; Clang writes `long`, `std::basic_string<char>`,
/// `&(anonymous namespace)::f` and `std::vector<std::vector<int>>`. normalize_name() maps both to
/// one spelling:
/// - fundamental types in their shortest form (`long`, `unsigned long long`, `short`);
/// - no inline ABI namespace (`std::__cxx11::`), anonymous namespaces as `{anonymous}`;
/// - trailing default template arguments dropped (`std::char_traits<..>`, `std::allocator<..>`,
///   `std::less<..>`, `std::hash<..>`, `std::equal_to<..>`, `std::default_delete<..>`);
/// - `std::string` and `std::string_view` for `std::basic_string<char>` and its view;
/// - a space only between two words and after a comma; no `&` before a function.
/// A function is named by its qualified name and parameter types (function_name).
/// tests/core/type_name_test.cpp checks the names of common types and functions against fixed
/// text, in the GCC and the Clang build alike.

#include <string>
#include <string_view>

namespace multirank {

namespace detail {

/// The text between `[` and `]` of a __PRETTY_FUNCTION__ that names one template argument,
/// after its `=` (GCC: "[with T = X; ...]", Clang: "[T = X]").
std::string_view template_argument_text(std::string_view pretty) noexcept;

template <class T>
const char* pretty_of_type() noexcept {
  return __PRETTY_FUNCTION__;
}
template <auto F>
const char* pretty_of_value() noexcept {
  return __PRETTY_FUNCTION__;
}

}  // namespace detail

/// The one spelling of a type or function name written by GCC or Clang (see the file comment).
std::string normalize_name(std::string_view compiler_spelling);

/// T's stable name, e.g. "std::map<std::string, long>" or "ns::Point".
template <class T>
const std::string& type_name() {
  static const std::string name = normalize_name(detail::template_argument_text(detail::pretty_of_type<T>()));
  return name;
}

namespace detail {
/// Drops the template arguments a name ends with ("ns::twice<long>" -> "ns::twice"): Clang never
/// writes them for a function template's specialization, GCC always does.
std::string without_template_arguments(std::string name);

template <class Fn>
struct parameter_names;
template <class R, class... A>
struct parameter_names<R (*)(A...)> {
  static std::string text() {
    std::string out;
    ((out += (out.empty() ? "" : ", ") + type_name<A>()), ...);
    return out;
  }
};
template <class R, class... A>
struct parameter_names<R (*)(A...) noexcept> : parameter_names<R (*)(A...)> {};
}  // namespace detail

/// What identifies function F, the same from GCC and Clang: its qualified name and its parameter
/// types, e.g. "ns::square(int)", "{anonymous}::helper(const std::string&)", "ns::twice(long)" for
/// the specialization twice<long> (parameters, not template arguments, tell specializations and
/// overloads apart: Clang does not write a specialization's template arguments).
template <auto F>
const std::string& function_name() {
  static const std::string name =
      detail::without_template_arguments(normalize_name(detail::template_argument_text(detail::pretty_of_value<F>()))) +
      "(" + detail::parameter_names<decltype(F)>::text() + ")";
  return name;
}

}  // namespace multirank
