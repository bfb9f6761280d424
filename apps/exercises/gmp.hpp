#pragma once
/// \file GMP big integers (mpz_class) over multirank messages, for the factorial exercises.
///
/// - As message values: a Boost.Serialization of their limbs, so they can be sent, gathered,
///   broadcast and reduced like any other value
///   (`mpz_class all = multirank::reduce(comm, part, std::multiplies<>{});`).
/// - Raw: send_mpz / recv_mpz move the limbs as bytes straight into the receiver's integer, with
///   no archive and no intermediate buffer (the factorial's slices, megabytes each).
/// \note Needs -lgmpxx -lgmp (pkg-config gmpxx) in the program that includes it.

#include <gmpxx.h>

#include <boost/serialization/binary_object.hpp>
#include <boost/serialization/split_free.hpp>

#include <cstddef>
#include <cstdint>

#include "multirank/core/communicator.hpp"

namespace boost::serialization {

/// Writes the signed limb count, then the limbs as one binary block.
template <class Archive>
void save(Archive& ar, const mpz_class& z, const unsigned int /*version*/) {
  const mpz_srcptr p = z.get_mpz_t();
  const std::int64_t limbs = static_cast<std::int64_t>(mpz_size(p));
  const std::int64_t signed_limbs = mpz_sgn(p) < 0 ? -limbs : limbs;
  ar << signed_limbs;
  if (limbs > 0)
    ar << make_binary_object(const_cast<mp_limb_t*>(mpz_limbs_read(p)),
                             static_cast<std::size_t>(limbs) * sizeof(mp_limb_t));
}

/// Reads what save wrote, straight into the integer's limbs.
template <class Archive>
void load(Archive& ar, mpz_class& z, const unsigned int /*version*/) {
  std::int64_t signed_limbs = 0;
  ar >> signed_limbs;
  const std::int64_t limbs = signed_limbs < 0 ? -signed_limbs : signed_limbs;
  mpz_ptr p = z.get_mpz_t();
  if (limbs == 0) {
    mpz_set_ui(p, 0);
    return;
  }
  mp_limb_t* dst = mpz_limbs_write(p, static_cast<mp_size_t>(limbs));
  ar >> make_binary_object(dst, static_cast<std::size_t>(limbs) * sizeof(mp_limb_t));
  mpz_limbs_finish(p, static_cast<mp_size_t>(signed_limbs));
}

/// Boost.Serialization entry point for mpz_class.
template <class Archive>
void serialize(Archive& ar, mpz_class& z, const unsigned int version) {
  split_free(ar, z, version);
}

}  // namespace boost::serialization

namespace multirank::exercises {

/// Sends `count` limbs as a non-negative big integer that recv_mpz receives (size, then limbs).
inline void send_limbs(const Communicator& comm, int dest, Tag tag, const mp_limb_t* limbs, std::uint64_t count) {
  comm.send(dest, tag, count);
  comm.send_bytes(dest, tag, limbs, count * sizeof(mp_limb_t));
}

/// Sends a non-negative big integer.
inline void send_mpz(const Communicator& comm, int dest, Tag tag, const mpz_class& x) {
  send_limbs(comm, dest, tag, mpz_limbs_read(x.get_mpz_t()), mpz_size(x.get_mpz_t()));
}

/// Receives what send_mpz sent, without an intermediate buffer.
inline mpz_class recv_mpz(const Communicator& comm, int source, Tag tag) {
  const auto limbs = comm.recv<std::uint64_t>(source, tag);
  mpz_class x;
  mp_limb_t* dst = mpz_limbs_write(x.get_mpz_t(), static_cast<mp_size_t>(limbs ? limbs : 1));
  comm.recv_bytes_known(source, tag, dst, limbs * sizeof(mp_limb_t));
  mpz_limbs_finish(x.get_mpz_t(), static_cast<mp_size_t>(limbs));
  return x;
}

}  // namespace multirank::exercises
