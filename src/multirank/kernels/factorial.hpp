#pragma once
/// \file Factorials of large numbers with GMP, split into shares that ranks compute independently.
///
/// n! = 2^e2 · ∏ p^e(p) over the odd primes p ≤ n, with e(p) from Legendre's formula. The odd
/// primes are dealt into `parts` shares of nearly equal weight (∑ e(p)·log2 p); each share is
/// computed with a product tree per exponent bit and a squaring chain, and the shares' product
/// times 2^e2 is n!.

#include <gmpxx.h>

#include <cstdint>
#include <vector>

namespace multirank::kernels {

/// The primes up to n, ascending (sieve of Eratosthenes).
std::vector<std::uint32_t> primes_up_to(std::uint64_t n);

/// The exponent of prime p in n! (Legendre's formula).
std::uint64_t legendre_exponent(std::uint64_t n, std::uint64_t p);

/// Product of `values` by balanced binary splitting (fast for many small factors).
mpz_class product_tree(const std::vector<std::uint32_t>& values);

/// Share `part` (0-based) of `parts`: the product over its odd primes of p^e(p). The product of
/// all shares, times 2^legendre_exponent(n, 2), is n!. n must fit in 32 bits.
mpz_class factorial_share(std::uint64_t n, int part, int parts);

/// n! with GMP's own mpz_fac_ui (the reference and the baseline).
mpz_class reference_factorial(std::uint64_t n);

/// Decimal digits of x > 0, exactly.
std::uint64_t decimal_digits(const mpz_class& x);

/// The first `count` decimal digits of x > 0.
std::string leading_digits(const mpz_class& x, std::uint64_t digits, int count);

/// The last `count` decimal digits of x (zero-padded).
std::string trailing_digits(const mpz_class& x, int count);

}  // namespace multirank::kernels
