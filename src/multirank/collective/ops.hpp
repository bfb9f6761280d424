#pragma once
/// \file Reduction operations: max/min functors, and how a C++ operation becomes an MPI_Op.
///
/// Any associative binary operation works with reduce/allreduce. A known one on an arithmetic
/// type (std::plus, std::multiplies, maximum, minimum, std::bit_and/or/xor) maps to MPI's
/// predefined op; a stateless operation on another trivially copyable type (a 128-bit sum, a
/// struct) becomes a user MPI_Op, non-commutative so that rank order is kept.

#include <mpi.h>

#include <functional>
#include <type_traits>
#include <utility>

#include "multirank/collective/datatype.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/finalize.hpp"

namespace multirank {

/// The larger of two values (like std::plus, usable as a reduction operation).
template <class T = void>
struct maximum {
  /// max(a, b).
  constexpr T operator()(const T& a, const T& b) const { return a < b ? b : a; }
};
/// Transparent maximum.
template <>
struct maximum<void> {
  /// max(a, b).
  template <class T>
  constexpr T operator()(const T& a, const T& b) const { return a < b ? b : a; }
};

/// The smaller of two values.
template <class T = void>
struct minimum {
  /// min(a, b).
  constexpr T operator()(const T& a, const T& b) const { return b < a ? b : a; }
};
/// Transparent minimum.
template <>
struct minimum<void> {
  /// min(a, b).
  template <class T>
  constexpr T operator()(const T& a, const T& b) const { return b < a ? b : a; }
};

namespace detail {
template <class Op, template <class> class Fn, class T>
inline constexpr bool is_op_v = std::is_same_v<Op, Fn<T>> || std::is_same_v<Op, Fn<void>>;
}  // namespace detail

/// MPI's predefined op equivalent to `Op` on T, or MPI_OP_NULL when there is none.
template <class Op, class T>
MPI_Op builtin_op() noexcept {
  using O = std::remove_cvref_t<Op>;
  if constexpr (!has_builtin_datatype_v<T>) {
    return MPI_OP_NULL;
  } else if constexpr (detail::is_op_v<O, std::plus, T>) {
    return MPI_SUM;
  } else if constexpr (detail::is_op_v<O, std::multiplies, T>) {
    return MPI_PROD;
  } else if constexpr (detail::is_op_v<O, maximum, T>) {
    return MPI_MAX;
  } else if constexpr (detail::is_op_v<O, minimum, T>) {
    return MPI_MIN;
  } else if constexpr (std::is_integral_v<T> && detail::is_op_v<O, std::bit_and, T>) {
    return MPI_BAND;
  } else if constexpr (std::is_integral_v<T> && detail::is_op_v<O, std::bit_or, T>) {
    return MPI_BOR;
  } else if constexpr (std::is_integral_v<T> && detail::is_op_v<O, std::bit_xor, T>) {
    return MPI_BXOR;
  } else {
    return MPI_OP_NULL;
  }
}

/// Whether `Op` on T can be an MPI user op: T trivially copyable, Op stateless (captureless
/// lambdas and standard functors are) and returning something assignable to T.
template <class Op, class T>
inline constexpr bool user_op_capable_v =
    std::is_trivially_copyable_v<T> && std::is_empty_v<std::remove_cvref_t<Op>> &&
    std::is_default_constructible_v<std::remove_cvref_t<Op>> &&
    std::is_invocable_v<const std::remove_cvref_t<Op>&, const T&, const T&> &&
    std::is_assignable_v<T&, std::invoke_result_t<const std::remove_cvref_t<Op>&, const T&, const T&>>;

namespace detail {
template <class Op, class T>
void apply_user_op(void* in, void* inout, int* len, MPI_Datatype* /*type*/) {
  // MPI's contract: inout[i] = in[i] op inout[i], where `in` comes from the lower ranks.
  const std::remove_cvref_t<Op> op{};
  auto* a = static_cast<const T*>(in);
  auto* b = static_cast<T*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = op(a[i], b[i]);
}
}  // namespace detail

/// An MPI user op applying `Op` to T (element-wise), created once per (Op, T) and freed at
/// MPI_Finalize. Declared non-commutative: MPI then combines in rank order, so any associative
/// operation gives the sequential result.
template <class Op, class T>
MPI_Op user_op() {
  static_assert(user_op_capable_v<Op, T>, "user_op needs a stateless Op on a trivially copyable T");
  static const MPI_Op op = [] {
    MPI_Op o = MPI_OP_NULL;
    check_mpi(MPI_Op_create(&detail::apply_user_op<Op, T>, /*commute=*/0, &o), "MPI_Op_create");
    detail::at_mpi_finalize([o]() mutable { MPI_Op_free(&o); });
    return o;
  }();
  return op;
}

}  // namespace multirank
