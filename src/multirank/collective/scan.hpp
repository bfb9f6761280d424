#pragma once
/// \file exscan: every rank gets the combination of the values of the ranks before it (an
/// exclusive prefix), e.g. where its rows start in a file that every rank writes a part of.

#include <mpi.h>

#include <type_traits>
#include <utility>
#include <vector>

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/datatype.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/collective/scatter.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/wait.hpp"

namespace multirank {

/// op(value of rank 0, ..., value of rank r-1) on rank r, and `identity` on rank 0 (collective).
/// Numbers with a known op and trivially copyable values with a stateless op go through
/// MPI_Iexscan; anything else is gathered on rank 0, combined in rank order and scattered back.
/// Waiting sleeps.
template <class T, class Op>
T exscan(const Communicator& comm, const T& value, Op op, const T& identity) {
  if (comm.size() == 1) return identity;
  if constexpr (std::is_trivially_copyable_v<T>) {
    const MPI_Op mop = detail::mpi_op_for<Op, T>();
    if (mop != MPI_OP_NULL) {
      T result = identity;
      MPI_Request req = MPI_REQUEST_NULL;
      check_mpi(MPI_Iexscan(&value, &result, 1, datatype_of<T>(), mop, comm.native(), &req), "MPI_Iexscan");
      wait_request(req);
      return comm.rank() == 0 ? identity : result;
    }
  }
  const std::vector<T> all = gather(comm, value, 0);
  std::vector<T> prefixes;
  if (comm.rank() == 0) {
    prefixes.reserve(all.size());
    T acc = identity;
    for (const T& v : all) {
      prefixes.push_back(acc);
      acc = op(std::as_const(acc), v);
    }
  }
  return scatter(comm, prefixes, 0);
}

}  // namespace multirank
