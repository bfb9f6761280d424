#pragma once
/// \file Boost.MPI interop: a Boost.MPI view of a multirank communicator, for code that already
/// speaks Boost.MPI. Link `multirank::boost_mpi` (offered where Boost.MPI matches the MPI in use;
/// Debian's is built for Open MPI only).
/// \note Boost.MPI's collectives block inside MPI, which spins a core while a rank waits;
///   multirank's own collectives (multirank/collective) sleep.

#include <boost/mpi/communicator.hpp>

#include "multirank/core/communicator.hpp"

namespace multirank {

/// A Boost.MPI communicator on the same MPI communicator (not owning: `comm` must outlive it).
inline boost::mpi::communicator boost_view(const Communicator& comm) {
  return boost::mpi::communicator(comm.native(), boost::mpi::comm_attach);
}

}  // namespace multirank
