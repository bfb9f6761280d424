#pragma once
/// \file What the library keeps until MPI_Finalize (committed datatypes, user operations), freed
/// when MPI finalizes, however it is finalized (Environment, or the user's own MPI_Finalize).

#include <functional>

namespace multirank::detail {

/// Runs `release` at the start of MPI_Finalize (through a delete callback of an attribute on
/// MPI_COMM_SELF, which MPI calls first), the latest registered first. MPI must be initialised.
/// \note MPICH prints "leaked handle pool objects" at MPI_Finalize for datatypes never freed.
void at_mpi_finalize(std::function<void()> release);

}  // namespace multirank::detail
