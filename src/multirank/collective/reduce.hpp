#pragma once
/// \file reduce / allreduce with any associative operation, built-in or user types.
///
/// ```cpp
/// multirank::uint128_t part = ...;                      // this rank's partial sum
/// auto total = multirank::reduce(comm, part, std::plus<>{});     // meaningful on rank 0
/// std::string s = ...;                                   // any type that messages carry
/// auto joined = multirank::allreduce(comm, s, std::plus<>{});  // on every rank, in rank order
/// ```
/// How the values travel, fastest first:
/// - arithmetic T with a known op (std::plus, std::multiplies, maximum, minimum, bit ops):
///   MPI_Ireduce / MPI_Iallreduce with MPI's predefined op;
/// - other trivially copyable T (multirank::uint128_t, a struct) with a stateless op (a standard
///   functor or a captureless lambda): the same calls with a user MPI_Op;
/// - anything else (GMP integers, strings, a stateful op): a binomial tree over point-to-point
///   messages, values serialized with Boost.Serialization.
/// Every path combines in rank order (op(rank 0's, op(rank 1's, ...)) up to associativity), so the
/// operation need not be commutative. Every wait sleeps instead of spinning.

#include <mpi.h>

#include <type_traits>
#include <utility>

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/datatype.hpp"
#include "multirank/core/wait.hpp"
#include "multirank/collective/ops.hpp"
#include "multirank/core/communicator.hpp"

namespace multirank {

namespace detail {

/// The MPI op to use for (Op, T), or MPI_OP_NULL for the point-to-point tree.
template <class Op, class T>
MPI_Op mpi_op_for() {
  if constexpr (!std::is_trivially_copyable_v<T>) {
    return MPI_OP_NULL;
  } else if constexpr (has_builtin_datatype_v<T>) {
    MPI_Op op = builtin_op<Op, T>();
    if (op != MPI_OP_NULL) return op;
    if constexpr (user_op_capable_v<Op, T>) return user_op<Op, T>();
    return MPI_OP_NULL;
  } else if constexpr (user_op_capable_v<Op, T>) {
    return user_op<Op, T>();
  } else {
    return MPI_OP_NULL;
  }
}

/// Binomial-tree reduction to rank 0 in rank order: at step `mask`, a rank with that bit set
/// hands its partial (covering ranks [rank, rank + mask)) to rank - mask, which appends it on
/// the right. Returns the total on rank 0, a partial elsewhere.
template <class T, class Op>
T tree_reduce_to_zero(const Communicator& comm, T acc, Op& op) {
  const int rank = comm.rank();
  const int size = comm.size();
  for (int mask = 1; mask < size; mask <<= 1) {
    if (rank & mask) {
      comm.send(rank - mask, LibraryTag::reduce, acc);
      break;
    }
    if (rank + mask < size) {
      T right = comm.recv<T>(rank + mask, LibraryTag::reduce);
      acc = op(std::as_const(acc), std::as_const(right));
    }
  }
  return acc;
}

}  // namespace detail

/// Combines every rank's `value` with `op` (associative; need not be commutative) and returns
/// the result on `root`; other ranks get an unspecified value (collective).
template <class T, class Op>
T reduce(const Communicator& comm, const T& value, Op op, int root = 0) {
  comm.check_rank(root);
  if (comm.size() == 1) return value;
  if constexpr (std::is_trivially_copyable_v<T>) {
    const MPI_Op mop = detail::mpi_op_for<Op, T>();
    if (mop != MPI_OP_NULL) {
      T result = value;
      MPI_Request req = MPI_REQUEST_NULL;
      check_mpi(MPI_Ireduce(&value, &result, 1, datatype_of<T>(), mop, root, comm.native(), &req), "MPI_Ireduce");
      wait_request(req);
      return result;
    }
  }
  T acc = detail::tree_reduce_to_zero(comm, value, op);
  if (root != 0) {
    if (comm.rank() == 0) comm.send(root, LibraryTag::reduce, acc);
    if (comm.rank() == root) acc = comm.recv<T>(0, LibraryTag::reduce);
  }
  return acc;
}

/// Combines every rank's `value` with `op` and returns the result on every rank (collective).
template <class T, class Op>
T allreduce(const Communicator& comm, const T& value, Op op) {
  if (comm.size() == 1) return value;
  if constexpr (std::is_trivially_copyable_v<T>) {
    const MPI_Op mop = detail::mpi_op_for<Op, T>();
    if (mop != MPI_OP_NULL) {
      T result = value;
      MPI_Request req = MPI_REQUEST_NULL;
      check_mpi(MPI_Iallreduce(&value, &result, 1, datatype_of<T>(), mop, comm.native(), &req), "MPI_Iallreduce");
      wait_request(req);
      return result;
    }
  }
  T acc = detail::tree_reduce_to_zero(comm, value, op);
  broadcast(comm, acc, 0);
  return acc;
}

}  // namespace multirank
