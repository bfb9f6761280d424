// Private to the study layer's sources (not an installed header): the few collectives the study
// files need, each non-blocking plus a sleeping wait, so ranks that wait do not spin a core.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "multirank/core/codec.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/wait.hpp"

namespace multirank::study::detail {

/// Waits for `req` with a Backoff instead of MPI_Wait's busy poll.
inline void wait_mpi(MPI_Request& req) {
  wait_until([&req] { return multirank::detail::test_request(req); });
}

/// Broadcasts a byte string from `root`.
inline void bcast_string(const Communicator& comm, std::string& bytes, int root) {
  if (comm.size() == 1) return;
  std::uint64_t size = bytes.size();
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(&size, 1, MPI_UINT64_T, root, comm.native(), &req), "MPI_Ibcast");
  wait_mpi(req);
  bytes.resize(size);
  // Pieces below INT_MAX bytes: MPI counts are ints.
  constexpr std::uint64_t piece = 1u << 30;
  for (std::uint64_t off = 0; off < size; off += piece) {
    const int n = static_cast<int>(std::min<std::uint64_t>(piece, size - off));
    check_mpi(MPI_Ibcast(bytes.data() + off, n, MPI_CHAR, root, comm.native(), &req), "MPI_Ibcast");
    wait_mpi(req);
  }
}

/// Broadcasts any serializable value from `root`.
template <class T>
void bcast_value(const Communicator& comm, T& value, int root) {
  if (comm.size() == 1) return;
  std::string bytes;
  if (comm.rank() == root) bytes = serialize_to_bytes(value);
  bcast_string(comm, bytes, root);
  if (comm.rank() != root) deserialize_from_bytes(std::span<const char>(bytes.data(), bytes.size()), value);
}

/// MPI_Allreduce of one value.
template <class T>
T allreduce_one(const Communicator& comm, T value, MPI_Datatype type, MPI_Op op) {
  T out{};
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallreduce(&value, &out, 1, type, op, comm.native(), &req), "MPI_Iallreduce");
  wait_mpi(req);
  return out;
}

/// MPI_Exscan of one value (0 on rank 0).
inline std::uint64_t exscan_sum(const Communicator& comm, std::uint64_t value) {
  std::uint64_t out = 0;
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Iexscan(&value, &out, 1, MPI_UINT64_T, MPI_SUM, comm.native(), &req), "MPI_Iexscan");
  wait_mpi(req);
  return comm.rank() == 0 ? 0 : out;
}

/// Every rank's string, in rank order, on every rank.
inline std::vector<std::string> allgather_strings(const Communicator& comm, const std::string& mine) {
  std::vector<std::string> all;
  if (comm.rank() == 0) {
    all.push_back(mine);
    constexpr int tag = kReservedTagBase + 801;
    for (int r = 1; r < comm.size(); ++r) all.push_back(comm.recv<std::string>(r, tag));
  } else {
    comm.send(0, kReservedTagBase + 801, mine);
  }
  bcast_value(comm, all, 0);
  return all;
}

/// The first non-empty message among the ranks' (lowest rank wins), on every rank; empty when
/// every rank succeeded. Lets a failure seen on some ranks become the same exception everywhere.
inline std::string agree_on_error(const Communicator& comm, const std::string& mine) {
  const int me = mine.empty() ? comm.size() : comm.rank();
  const int first = allreduce_one(comm, me, MPI_INT, MPI_MIN);
  if (first == comm.size()) return {};
  std::string message = mine;
  bcast_string(comm, message, first);
  return message;
}

}  // namespace multirank::study::detail
