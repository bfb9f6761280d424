#pragma once
/// \file GMP big integers (mpz_class) as message values: Boost.Serialization of their limbs,
/// so they can be sent, gathered, broadcast and reduced like any other value.
///
/// ```cpp
/// #include <multirank/collective/gmp.hpp>
/// mpz_class part = ...;   // this rank's product
/// mpz_class all = multirank::reduce(comm, part, std::multiplies<>{});  // exact, on rank 0
/// ```
/// \note Needs -lgmpxx -lgmp (pkg-config gmpxx) in the program that includes it.

#include <gmpxx.h>

#include <boost/serialization/binary_object.hpp>
#include <boost/serialization/split_free.hpp>

#include <cstddef>
#include <cstdint>

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
