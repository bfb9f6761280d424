// The exercises' GMP adapter: big integers reduced exactly over the ranks, in both directions of
// the wire (archive and raw limbs), at 1-4 ranks.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>

#include "exercises/gmp.hpp"
#include "multirank/collective/partition.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/communicator.hpp"

using multirank::Communicator;

namespace {

TEST(Gmp, GmpProductIsTheExactFactorial) {
  const auto comm = Communicator::world();
  for (unsigned long n : {1UL, 2UL, 5UL, 200UL, 3000UL}) {
    mpz_class part = 1;
    for (auto i : multirank::block_range<std::uint64_t>(1, n + 1, comm.rank(), comm.size()))
      part *= static_cast<unsigned long>(i);
    mpz_class expect;
    mpz_fac_ui(expect.get_mpz_t(), n);
    const mpz_class total = multirank::reduce(comm, part, std::multiplies<>{}, comm.size() - 1);
    if (comm.rank() == comm.size() - 1) { EXPECT_EQ(total, expect) << "n=" << n; }
    const mpz_class everywhere = multirank::allreduce(comm, part, std::multiplies<mpz_class>{});
    EXPECT_EQ(everywhere, expect) << "n=" << n;
  }
}

TEST(Gmp, GmpSignsAndZeroSurviveTheWire) {
  const auto comm = Communicator::world();
  // Each rank contributes -(2^200 + rank) and 0; the sum is exact and negative.
  mpz_class mine = -((mpz_class(1) << 200) + comm.rank());
  const mpz_class total = multirank::allreduce(comm, mine, std::plus<>{});
  const long p = comm.size();
  EXPECT_EQ(total, -(p * (mpz_class(1) << 200) + p * (p - 1) / 2));
  const mpz_class zero = multirank::allreduce(comm, mpz_class(0), std::plus<>{});
  EXPECT_EQ(zero, 0);
  EXPECT_EQ(multirank::allreduce(comm, mpz_class(comm.rank() == 0 ? -7 : 3), multirank::minimum<>{}),
            comm.size() == 1 ? 3 * 0 - 7 : -7);
}

TEST(Gmp, RawLimbsTravelIntoTheReceiversInteger) {
  const auto comm = Communicator::world();
  if (comm.size() < 2) GTEST_SKIP() << "needs two ranks";
  const mpz_class big = (mpz_class(1) << 100000) + 12345;
  if (comm.rank() == 0) {
    multirank::exercises::send_mpz(comm, 1, multirank::Tag{7}, big);
    multirank::exercises::send_mpz(comm, 1, multirank::Tag{7}, mpz_class(0));
  } else if (comm.rank() == 1) {
    EXPECT_EQ(multirank::exercises::recv_mpz(comm, 0, multirank::Tag{7}), big);
    EXPECT_EQ(multirank::exercises::recv_mpz(comm, 0, multirank::Tag{7}), 0);
  }
}

}  // namespace
