#pragma once
/// \file GMP integers over multirank messages: limbs travel raw, straight into the receiver's mpz.

#include <gmpxx.h>

#include <cstdint>

#include "multirank/core/communicator.hpp"

namespace multirank::cli {

/// Sends `count` limbs as a non-negative big integer that recv_mpz receives (size, then limbs).
inline void send_limbs(const Communicator& comm, int dest, int tag, const mp_limb_t* limbs, std::uint64_t count) {
  comm.send(dest, tag, count);
  comm.send_bytes(dest, tag, limbs, count * sizeof(mp_limb_t));
}

/// Sends a non-negative big integer.
inline void send_mpz(const Communicator& comm, int dest, int tag, const mpz_class& x) {
  send_limbs(comm, dest, tag, mpz_limbs_read(x.get_mpz_t()), mpz_size(x.get_mpz_t()));
}

/// Receives what send_mpz sent, without an intermediate buffer.
inline mpz_class recv_mpz(const Communicator& comm, int source, int tag) {
  const auto limbs = comm.recv<std::uint64_t>(source, tag);
  mpz_class x;
  mp_limb_t* dst = mpz_limbs_write(x.get_mpz_t(), static_cast<mp_size_t>(limbs ? limbs : 1));
  comm.recv_bytes_known(source, tag, dst, limbs * sizeof(mp_limb_t));
  mpz_limbs_finish(x.get_mpz_t(), static_cast<mp_size_t>(limbs));
  return x;
}

}  // namespace multirank::cli
