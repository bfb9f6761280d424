#include <gtest/gtest.h>

#include <limits>

#include "exercises/factorial.hpp"
#include "exercises/rangesum.hpp"
#include "exercises/uneven_task.hpp"
#include "multirank/core/error.hpp"

using namespace multirank;
using namespace multirank::exercises;

TEST(Factorial, HighRootAndLowTermsMultiplyToTheFactorialForEverySplit) {
  for (std::uint64_t n : {0UL, 1UL, 2UL, 3UL, 10UL, 97UL, 1000UL, 20000UL, 123457UL}) {
    const mpz_class expected = reference_factorial(n);
    EXPECT_EQ(factorial(n), expected) << "n=" << n;
    const FactorialParts parts(n);
    mpz_class power;
    mpz_pow_ui(power.get_mpz_t(), parts.high_root(kFactorialLowBits).get_mpz_t(), 1UL << kFactorialLowBits);
    EXPECT_EQ(parts.high_power(kFactorialLowBits), power) << "n=" << n;
    for (int m = 0; m <= 6; ++m) {
      mpz_class product = parts.high_root(m);
      mpz_pow_ui(product.get_mpz_t(), product.get_mpz_t(), 1UL << m);
      std::vector<mpz_class> low;
      for (int k = 0; k < m; ++k) low.push_back(parts.low_term(k));
      product *= balanced_product(low);
      mpz_mul_2exp(product.get_mpz_t(), product.get_mpz_t(), parts.two_exponent());
      EXPECT_EQ(product, expected) << "n=" << n << " m=" << m;
    }
  }
  EXPECT_EQ(balanced_product({}), 1);
  EXPECT_EQ(balanced_product({mpz_class(6), mpz_class(7), mpz_class(1) << 200}), mpz_class(42) << 200);
}

TEST(Factorial, DigitsLeadingAndTrailingDigits) {
  const mpz_class f = reference_factorial(100);
  const std::string s = f.get_str();
  EXPECT_EQ(decimal_digits(f), s.size());
  EXPECT_EQ(decimal_digits(mpz_class(1000)), 4U);
  EXPECT_EQ(decimal_digits(mpz_class(999)), 3U);
  EXPECT_EQ(leading_digits(f, s.size(), 10), s.substr(0, 10));
  EXPECT_EQ(trailing_digits(f, 30), s.substr(s.size() - 30));
  EXPECT_EQ(trailing_digits(mpz_class(7), 3), "007");
  EXPECT_EQ(legendre_exponent(100, 5), 24U);  // 100! ends in 24 zeros
  EXPECT_EQ(primes_up_to(30), (std::vector<std::uint32_t>{2, 3, 5, 7, 11, 13, 17, 19, 23, 29}));
  EXPECT_THROW(FactorialParts(std::uint64_t{1} << 32), UsageError);
}

TEST(RangeSum, PlainSumsAreExactAgainstTheClosedForm) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  struct Case { std::int64_t lo, n; };
  for (const auto c : {Case{0, 0}, Case{0, 1}, Case{-17, 1000}, Case{-5'000'000, 10'000'001},
                       Case{big - 1'000'000, 1'000'000}, Case{std::numeric_limits<std::int64_t>::min(), 1000}}) {
    EXPECT_EQ(sum_plain(c.lo, c.lo + c.n), closed_form_sum(c.lo, c.n)) << c.lo << " " << c.n;
  }
  EXPECT_EQ(to_string(closed_form_sum(big - 1'000'000, 1'000'000)), "9223372036854275806500000");
}

TEST(RangeSum, PartialSumsCombineToTheWholeForBothKernels) {
  for (const auto kernel : {SumKernel::plain, SumKernel::heavy}) {
    const int128_t whole = partial_sum(kernel, -1000, 300000);
    int128_t parts = 0;
    for (std::int64_t lo = -1000; lo < 300000; lo += 77777)
      parts = combine_sums(kernel, parts, partial_sum(kernel, lo, std::min<std::int64_t>(lo + 77777, 300000)));
    EXPECT_EQ(parts, whole);
  }
  EXPECT_EQ(parse_sum_kernel("heavy"), SumKernel::heavy);
  EXPECT_THROW(parse_sum_kernel("fast"), UsageError);
  EXPECT_NE(heavy_mix(1), heavy_mix(2));
}

TEST(UnevenTasks, DefaultsParsingAndDeterminism) {
  const auto tasks = default_uneven_tasks();
  ASSERT_EQ(tasks.size(), 8U);
  EXPECT_EQ(tasks[2].size, 8'000'000);
  EXPECT_EQ(tasks[5].complexity, 8);
  const auto parsed = parse_uneven_tasks("1:3M:3,2:500K:0,7:12:1");
  ASSERT_EQ(parsed.size(), 3U);
  EXPECT_EQ(parsed[0].size, 3'000'000);
  EXPECT_EQ(parsed[1].size, 500'000);
  EXPECT_EQ(parsed[2].id, 7);
  EXPECT_THROW(parse_uneven_tasks(""), UsageError);
  EXPECT_THROW(parse_uneven_tasks("1:3M"), UsageError);
  EXPECT_THROW(parse_uneven_tasks("1:x:3"), UsageError);
  const UnevenTask small{1, 1000, 1};
  EXPECT_EQ(run_uneven_task(small), run_uneven_task(small));
  EXPECT_DOUBLE_EQ(uneven_task_work(small), 1000 + 1e6);
}
