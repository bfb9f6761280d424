#pragma once
/// \file Factorials of large numbers with GMP, split into pieces that ranks compute independently.
///
/// n! = 2^e(2) · ∏ p^e(p) over the odd primes p ≤ n, with e(p) from Legendre's formula. The odd
/// part is written H^(2^m) · L, where
///
///     H = ∏ p^(e(p) >> m)                              (the high root)
///     L = ∏_{k<m} G_k,  G_k = (∏_{bit k of e(p) set} p)^(2^k)   (the low terms)
///
/// A plain square-and-multiply over the exponent bits (what mpz_fac_ui does too) multiplies a
/// huge square by a small prime product at every bit, and these unbalanced products cost about
/// as much as a balanced product of the same output size. Gathering the m lowest bits into L
/// replaces m of them by one balanced product H^(2^m) · L, and leaves independent pieces: H and
/// its squarings on one rank, the G_k on others, the final product split by bit ranges of
/// H^(2^m).

#include <gmpxx.h>

#include <cstdint>
#include <vector>

namespace multirank::exercises {

/// The primes up to n, ascending (sieve of Eratosthenes).
std::vector<std::uint32_t> primes_up_to(std::uint64_t n);

/// The exponent of prime p in n! (Legendre's formula).
std::uint64_t legendre_exponent(std::uint64_t n, std::uint64_t p);

/// Product of `values` by balanced binary splitting (fast for many small factors).
mpz_class product_tree(const std::vector<std::uint32_t>& values);

/// Product of `values` by multiplying the two smallest first (balanced operand sizes).
mpz_class balanced_product(std::vector<mpz_class> values);

/// The exponent bits gathered into the low terms (m above).
inline constexpr int kFactorialLowBits = 5;

/// The odd primes up to n with their exponents in n!, and the pieces of n! built from them.
/// n must fit in 32 bits (UsageError otherwise).
class FactorialParts {
 public:
  explicit FactorialParts(std::uint64_t n);

  /// 2's exponent in n!: n! = 2^two_exponent() · high_root(m)^(2^m) · ∏_{k<m} low_term(k).
  [[nodiscard]] std::uint64_t two_exponent() const noexcept { return two_exponent_; }
  /// H = ∏ p^(e(p) >> m), by square-and-multiply over the bits of e(p) >> m.
  [[nodiscard]] mpz_class high_root(int m) const;
  /// H^(2^m): the high root squared m times.
  [[nodiscard]] mpz_class high_power(int m) const;
  /// G_k = (∏ of the odd primes whose exponent has bit k set)^(2^k).
  [[nodiscard]] mpz_class low_term(int k) const;

 private:
  std::uint64_t two_exponent_;
  std::vector<std::uint32_t> primes_;      // the odd primes up to n
  std::vector<std::uint64_t> exponents_;   // their exponents in n!
};

/// n! on one core, assembled from FactorialParts (equal to reference_factorial(n)).
mpz_class factorial(std::uint64_t n);

/// n! with GMP's own mpz_fac_ui (the reference and the baseline).
mpz_class reference_factorial(std::uint64_t n);

/// Decimal digits of x > 0, exactly.
std::uint64_t decimal_digits(const mpz_class& x);

/// The first `count` decimal digits of x > 0.
std::string leading_digits(const mpz_class& x, std::uint64_t digits, int count);

/// The last `count` decimal digits of x (zero-padded).
std::string trailing_digits(const mpz_class& x, int count);

}  // namespace multirank::exercises
