#pragma once
/// \file broadcast: one rank's value to every rank, over MPI_Ibcast, without spinning.

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <span>
#include <string>

#include "multirank/collective/datatype.hpp"
#include "multirank/core/wait.hpp"
#include "multirank/core/codec.hpp"
#include "multirank/core/communicator.hpp"

namespace multirank {

namespace detail {
/// Broadcasts `bytes` bytes at `data` from `root`, in pieces that fit MPI's int counts.
inline void broadcast_bytes(const Communicator& comm, void* data, std::size_t bytes, int root) {
  auto* p = static_cast<char*>(data);
  constexpr std::size_t piece = std::size_t{1} << 30;
  std::size_t offset = 0;
  do {
    const std::size_t len = std::min(piece, bytes - offset);
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Ibcast(p + offset, static_cast<int>(len), MPI_BYTE, root, comm.native(), &req), "MPI_Ibcast");
    wait_request(req);
    offset += len;
  } while (offset < bytes);
}
}  // namespace detail

/// Makes every rank's `value` equal to `root`'s (collective). Trivially copyable values, and
/// vectors/strings of them, travel as raw bytes; anything else serializable as a Boost archive.
template <class T>
void broadcast(const Communicator& comm, T& value, int root = 0) {
  comm.check_rank(root);
  if (comm.size() == 1) return;
  if constexpr (wire_kind_v<T> == WireKind::raw) {
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Ibcast(&value, 1, bytes_datatype<T>(), root, comm.native(), &req), "MPI_Ibcast");
    wait_request(req);
  } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
    using E = typename T::value_type;
    std::uint64_t n = value.size();
    detail::broadcast_bytes(comm, &n, sizeof n, root);
    if (comm.rank() != root) value.resize(static_cast<std::size_t>(n));
    detail::broadcast_bytes(comm, value.data(), static_cast<std::size_t>(n) * sizeof(E), root);
  } else {
    std::string bytes;
    if (comm.rank() == root) bytes = encode_bytes(value);
    broadcast(comm, bytes, root);
    if (comm.rank() != root) decode_bytes(std::span<const char>(bytes.data(), bytes.size()), value);
  }
}

/// Returns `root`'s `value` on every rank (collective); convenient for temporaries.
template <class T>
T broadcast_value(const Communicator& comm, T value, int root = 0) {
  broadcast(comm, value, root);
  return value;
}

}  // namespace multirank
