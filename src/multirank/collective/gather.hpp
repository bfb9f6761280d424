#pragma once
/// \file gather / gatherv / allgather: every rank's values collected on one rank (or all).
///
/// Trivially copyable values go through MPI_Igather / MPI_Igatherv / MPI_Iallgather; anything
/// else serializable travels point-to-point, serialized. Results are in rank order.

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <numeric>
#include <span>
#include <type_traits>
#include <vector>

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/datatype.hpp"
#include "multirank/core/wait.hpp"
#include "multirank/core/communicator.hpp"

namespace multirank {

/// Every rank's `value`, indexed by rank, on `root`; an empty vector elsewhere (collective).
template <class T>
std::vector<T> gather(const Communicator& comm, const T& value, int root = 0) {
  comm.check_rank(root);
  const bool is_root = comm.rank() == root;
  std::vector<T> out;
  if constexpr (std::is_trivially_copyable_v<T>) {
    if (is_root) out.resize(static_cast<std::size_t>(comm.size()));
    const MPI_Datatype type = bytes_datatype<T>();
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Igather(&value, 1, type, is_root ? out.data() : nullptr, 1, type, root, comm.native(), &req),
              "MPI_Igather");
    wait_request(req);
  } else {
    if (!is_root) {
      comm.send(root, LibraryTag::gather, value);
    } else {
      out.reserve(static_cast<std::size_t>(comm.size()));
      for (int r = 0; r < comm.size(); ++r)
        out.push_back(r == root ? value : comm.recv<T>(r, LibraryTag::gather));
    }
  }
  return out;
}

/// Every rank's `value`, indexed by rank, on every rank (collective).
template <class T>
std::vector<T> allgather(const Communicator& comm, const T& value) {
  std::vector<T> out;
  if constexpr (std::is_trivially_copyable_v<T>) {
    out.resize(static_cast<std::size_t>(comm.size()));
    const MPI_Datatype type = bytes_datatype<T>();
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Iallgather(&value, 1, type, out.data(), 1, type, comm.native(), &req), "MPI_Iallgather");
    wait_request(req);
  } else {
    out = gather(comm, value, 0);
    broadcast(comm, out, 0);
  }
  return out;
}

/// Concatenates every rank's `values` (any lengths, possibly empty) in rank order on `root`;
/// an empty vector elsewhere (collective). Totals past MPI's int counts fall back to messages.
template <class T>
std::vector<T> gatherv(const Communicator& comm, std::span<const T> values, int root = 0) {
  comm.check_rank(root);
  const bool is_root = comm.rank() == root;
  std::vector<T> out;
  if constexpr (std::is_trivially_copyable_v<T>) {
    const std::uint64_t mine = values.size();
    const std::vector<std::uint64_t> counts = allgather(comm, mine);
    const std::uint64_t total = std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
    if (total <= static_cast<std::uint64_t>(INT_MAX)) {
      std::vector<int> icounts;
      std::vector<int> displs;
      if (is_root) {
        out.resize(static_cast<std::size_t>(total));
        int at = 0;
        for (auto c : counts) {
          icounts.push_back(static_cast<int>(c));
          displs.push_back(at);
          at += static_cast<int>(c);
        }
      }
      const MPI_Datatype type = bytes_datatype<T>();
      MPI_Request req = MPI_REQUEST_NULL;
      check_mpi(MPI_Igatherv(values.data(), static_cast<int>(mine), type, out.data(), icounts.data(), displs.data(),
                             type, root, comm.native(), &req),
                "MPI_Igatherv");
      wait_request(req);
      return out;
    }
  }
  // Serialized items, or more elements than an int counts: one message per rank.
  if (!is_root) {
    comm.send(root, LibraryTag::gather, std::vector<T>(values.begin(), values.end()));
  } else {
    for (int r = 0; r < comm.size(); ++r) {
      if (r == root) {
        out.insert(out.end(), values.begin(), values.end());
      } else {
        auto part = comm.recv<std::vector<T>>(r, LibraryTag::gather);
        out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
      }
    }
  }
  return out;
}

/// gatherv of a vector.
template <class T, class A>
std::vector<T> gatherv(const Communicator& comm, const std::vector<T, A>& values, int root = 0) {
  return gatherv(comm, std::span<const T>(values.data(), values.size()), root);
}

}  // namespace multirank
