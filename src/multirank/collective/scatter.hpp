#pragma once
/// \file scatter / scatterv / scatter_block: one rank's values dealt out to every rank.
///
/// Trivially copyable values go through MPI_Iscatter / MPI_Iscatterv; anything else
/// serializable travels point-to-point, serialized. For index ranges there is nothing to send:
/// each rank computes its own share with block_range / cyclic_range (partition.hpp).

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/datatype.hpp"
#include "multirank/core/wait.hpp"
#include "multirank/collective/partition.hpp"
#include "multirank/core/communicator.hpp"

namespace multirank {

/// Rank r receives `values[r]` from `root`; `values` (one per rank) matters on root only (collective).
template <class T>
T scatter(const Communicator& comm, std::span<const T> values, int root = 0) {
  comm.check_rank(root);
  const bool is_root = comm.rank() == root;
  if (is_root && values.size() != static_cast<std::size_t>(comm.size()))
    throw UsageError("scatter needs one value per rank: got " + std::to_string(values.size()) + " for " +
                     std::to_string(comm.size()) + " rank(s)");
  if constexpr (std::is_trivially_copyable_v<T>) {
    T out{};
    const MPI_Datatype type = bytes_datatype<T>();
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Iscatter(is_root ? values.data() : nullptr, 1, type, &out, 1, type, root, comm.native(), &req),
              "MPI_Iscatter");
    wait_request(req);
    return out;
  } else {
    if (!is_root) return comm.recv<T>(root, LibraryTag::scatter);
    std::vector<Request> sends;
    for (int r = 0; r < comm.size(); ++r)
      if (r != root) sends.push_back(comm.isend_ref(r, LibraryTag::scatter, values[static_cast<std::size_t>(r)]));
    wait_all(sends);
    return values[static_cast<std::size_t>(root)];
  }
}

/// scatter of a vector.
template <class T, class A>
T scatter(const Communicator& comm, const std::vector<T, A>& values, int root = 0) {
  return scatter(comm, std::span<const T>(values.data(), values.size()), root);
}

/// Rank r receives `counts[r]` consecutive elements of `data`, in rank order, from `root`;
/// `data` and `counts` matter on root only, where the counts must add up to data.size() (collective).
template <class T>
std::vector<T> scatterv(const Communicator& comm, std::span<const T> data, std::span<const std::size_t> counts,
                        int root = 0) {
  comm.check_rank(root);
  const bool is_root = comm.rank() == root;
  if (is_root) {
    if (counts.size() != static_cast<std::size_t>(comm.size()))
      throw UsageError("scatterv needs one count per rank: got " + std::to_string(counts.size()) + " for " +
                       std::to_string(comm.size()) + " rank(s)");
    const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
    if (total != data.size())
      throw UsageError("scatterv counts add up to " + std::to_string(total) + " but there are " +
                       std::to_string(data.size()) + " elements");
  }
  std::vector<std::uint64_t> counts64;
  if (is_root) counts64.assign(counts.begin(), counts.end());
  std::uint64_t total = is_root ? data.size() : 0;
  broadcast(comm, total, root);
  const std::uint64_t mine = scatter(comm, std::span<const std::uint64_t>(counts64), root);
  std::vector<T> out;
  if constexpr (std::is_trivially_copyable_v<T>) {
    if (total <= static_cast<std::uint64_t>(INT_MAX)) {
      out.resize(static_cast<std::size_t>(mine));
      std::vector<int> icounts;
      std::vector<int> displs;
      if (is_root) {
        int at = 0;
        for (auto c : counts) {
          icounts.push_back(static_cast<int>(c));
          displs.push_back(at);
          at += static_cast<int>(c);
        }
      }
      const MPI_Datatype type = bytes_datatype<T>();
      MPI_Request req = MPI_REQUEST_NULL;
      check_mpi(MPI_Iscatterv(is_root ? data.data() : nullptr, icounts.data(), displs.data(), type, out.data(),
                              static_cast<int>(mine), type, root, comm.native(), &req),
                "MPI_Iscatterv");
      wait_request(req);
      return out;
    }
  }
  // Serialized items, or more elements than an int counts: one message per rank.
  if (!is_root) return comm.recv<std::vector<T>>(root, LibraryTag::scatter);
  std::vector<Request> sends;
  std::size_t at = 0;
  for (int r = 0; r < comm.size(); ++r) {
    const std::size_t c = counts[static_cast<std::size_t>(r)];
    if (r == root) out.assign(data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + c));
    else sends.push_back(comm.isend(r, LibraryTag::scatter, std::vector<T>(data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + c))));
    at += c;
  }
  wait_all(sends);
  return out;
}

/// scatterv of a vector.
template <class T, class A>
std::vector<T> scatterv(const Communicator& comm, const std::vector<T, A>& data, const std::vector<std::size_t>& counts,
                        int root = 0) {
  return scatterv(comm, std::span<const T>(data.data(), data.size()), std::span<const std::size_t>(counts), root);
}

/// Deals `data` (significant on root) out in contiguous blocks balanced within one element:
/// rank r gets the elements block_range(data.size(), r, P) (collective).
template <class T>
std::vector<T> scatter_block(const Communicator& comm, std::span<const T> data, int root = 0) {
  comm.check_rank(root);
  std::vector<std::size_t> counts;
  if (comm.rank() == root) counts = block_counts(data.size(), comm.size());
  return scatterv(comm, data, std::span<const std::size_t>(counts), root);
}

/// scatter_block of a vector.
template <class T, class A>
std::vector<T> scatter_block(const Communicator& comm, const std::vector<T, A>& data, int root = 0) {
  return scatter_block(comm, std::span<const T>(data.data(), data.size()), root);
}

}  // namespace multirank
