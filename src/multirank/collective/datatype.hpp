#pragma once
/// \file MPI datatypes for C++ types: the predefined one for arithmetic types, and a cached
/// contiguous-bytes type for any other trivially copyable type.

#include <mpi.h>

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "multirank/core/error.hpp"
#include "multirank/core/finalize.hpp"

namespace multirank {

/// The predefined MPI datatype for an arithmetic T (bool excluded), or MPI_DATATYPE_NULL.
template <class T>
MPI_Datatype builtin_datatype() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return MPI_DATATYPE_NULL;
  } else if constexpr (std::is_integral_v<U>) {
    // Chosen by width and signedness so that long / long long / int64_t all map the same way.
    if constexpr (std::is_signed_v<U>) {
      if constexpr (sizeof(U) == 1) return MPI_INT8_T;
      else if constexpr (sizeof(U) == 2) return MPI_INT16_T;
      else if constexpr (sizeof(U) == 4) return MPI_INT32_T;
      else if constexpr (sizeof(U) == 8) return MPI_INT64_T;
      else return MPI_DATATYPE_NULL;
    } else {
      if constexpr (sizeof(U) == 1) return MPI_UINT8_T;
      else if constexpr (sizeof(U) == 2) return MPI_UINT16_T;
      else if constexpr (sizeof(U) == 4) return MPI_UINT32_T;
      else if constexpr (sizeof(U) == 8) return MPI_UINT64_T;
      else return MPI_DATATYPE_NULL;
    }
  } else if constexpr (std::is_same_v<U, float>) {
    return MPI_FLOAT;
  } else if constexpr (std::is_same_v<U, double>) {
    return MPI_DOUBLE;
  } else if constexpr (std::is_same_v<U, long double>) {
    return MPI_LONG_DOUBLE;
  } else {
    return MPI_DATATYPE_NULL;
  }
}

/// Whether T has a predefined MPI datatype (see builtin_datatype).
template <class T>
inline constexpr bool has_builtin_datatype_v =
    std::is_arithmetic_v<std::remove_cv_t<T>> && !std::is_same_v<std::remove_cv_t<T>, bool> &&
    (!std::is_integral_v<std::remove_cv_t<T>> || sizeof(T) <= 8);

/// A committed MPI datatype of sizeof(T) contiguous bytes, created once per T and freed at
/// MPI_Finalize. Lets counts in collectives be element counts instead of byte counts.
/// \note Created once per process: MPI cannot be initialised twice, so the handle stays valid.
template <class T>
MPI_Datatype bytes_datatype() {
  static_assert(std::is_trivially_copyable_v<T>, "bytes_datatype needs a trivially copyable type");
  if constexpr (sizeof(T) == 1) {
    return MPI_BYTE;
  } else {
    static const MPI_Datatype type = [] {
      MPI_Datatype t = MPI_DATATYPE_NULL;
      check_mpi(MPI_Type_contiguous(static_cast<int>(sizeof(T)), MPI_BYTE, &t), "MPI_Type_contiguous");
      check_mpi(MPI_Type_commit(&t), "MPI_Type_commit");
      detail::at_mpi_finalize([t]() mutable { MPI_Type_free(&t); });
      return t;
    }();
    return type;
  }
}

/// The datatype a trivially copyable T travels as: its predefined type if any, else bytes_datatype.
template <class T>
MPI_Datatype datatype_of() {
  if constexpr (has_builtin_datatype_v<T>) return builtin_datatype<T>();
  else return bytes_datatype<T>();
}

}  // namespace multirank
