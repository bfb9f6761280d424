#include "exercises/factorial.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "multirank/core/error.hpp"

namespace multirank::exercises {

std::vector<std::uint32_t> primes_up_to(std::uint64_t n) {
  std::vector<std::uint32_t> primes;
  if (n < 2) return primes;
  if (n > std::numeric_limits<std::uint32_t>::max()) throw UsageError("primes_up_to: n must fit in 32 bits");
  // odd-only sieve: index i stands for 2i+1
  const std::uint64_t size = (n - 1) / 2 + 1;
  std::vector<bool> composite(size, false);
  primes.push_back(2);
  for (std::uint64_t i = 1; i < size; ++i) {
    if (composite[i]) continue;
    const std::uint64_t p = 2 * i + 1;
    primes.push_back(static_cast<std::uint32_t>(p));
    for (std::uint64_t j = p * p / 2; j < size; j += p) composite[j] = true;
  }
  return primes;
}

std::uint64_t legendre_exponent(std::uint64_t n, std::uint64_t p) {
  std::uint64_t e = 0;
  for (std::uint64_t q = n / p; q > 0; q /= p) e += q;
  return e;
}

mpz_class product_tree(const std::vector<std::uint32_t>& values) {
  // Leaves: pack small factors into machine words first.
  std::vector<mpz_class> level;
  unsigned long word = 1;
  for (const std::uint32_t v : values) {
    if (v == 0) return 0;
    if (word > std::numeric_limits<unsigned long>::max() / v) {
      level.emplace_back(word);
      word = 1;
    }
    word *= v;
  }
  if (word != 1 || level.empty()) level.emplace_back(word);
  while (level.size() > 1) {
    std::vector<mpz_class> next((level.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) mpz_mul(next[i / 2].get_mpz_t(), level[i].get_mpz_t(), level[i + 1].get_mpz_t());
    if (level.size() % 2) next.back() = std::move(level.back());
    level = std::move(next);
  }
  return level.front();
}

mpz_class balanced_product(std::vector<mpz_class> values) {
  if (values.empty()) return 1;
  auto larger = [](const mpz_class& a, const mpz_class& b) { return mpz_size(a.get_mpz_t()) > mpz_size(b.get_mpz_t()); };
  std::make_heap(values.begin(), values.end(), larger);
  while (values.size() > 1) {
    std::pop_heap(values.begin(), values.end(), larger);
    mpz_class a = std::move(values.back());
    values.pop_back();
    std::pop_heap(values.begin(), values.end(), larger);
    mpz_mul(values.back().get_mpz_t(), values.back().get_mpz_t(), a.get_mpz_t());
    std::push_heap(values.begin(), values.end(), larger);
  }
  return std::move(values.front());
}

FactorialParts::FactorialParts(std::uint64_t n) : two_exponent_(legendre_exponent(n, 2)) {
  if (n > std::numeric_limits<std::uint32_t>::max()) throw UsageError("factorial: n must be below 2^32");
  primes_ = primes_up_to(n);
  if (!primes_.empty()) primes_.erase(primes_.begin());  // 2 is two_exponent_
  exponents_.reserve(primes_.size());
  for (const std::uint32_t p : primes_) exponents_.push_back(legendre_exponent(n, p));
}

mpz_class FactorialParts::high_root(int m) const {
  if (m < 0 || m > 63) throw UsageError("FactorialParts::high_root: m must be in [0, 63]");
  std::uint64_t max_exponent = 0;
  for (const auto e : exponents_) max_exponent = std::max(max_exponent, e >> m);
  int top_bit = -1;
  while (top_bit < 63 && (max_exponent >> (top_bit + 1)) != 0) ++top_bit;
  // ∏ p^f = ∏_k (∏_{bit k of f set} p)^(2^k): square-and-multiply from the top bit down.
  mpz_class acc = 1;
  std::vector<std::uint32_t> group;
  for (int k = top_bit; k >= 0; --k) {
    if (acc != 1) mpz_mul(acc.get_mpz_t(), acc.get_mpz_t(), acc.get_mpz_t());
    group.clear();
    for (std::size_t i = 0; i < primes_.size(); ++i)
      if (((exponents_[i] >> m) >> k) & 1U) group.push_back(primes_[i]);
    if (!group.empty()) {
      const mpz_class g = product_tree(group);
      mpz_mul(acc.get_mpz_t(), acc.get_mpz_t(), g.get_mpz_t());
    }
  }
  return acc;
}

namespace {

/// x^(2^times), in place.
void square_repeatedly(mpz_class& x, int times) {
  for (int j = 0; j < times; ++j) mpz_mul(x.get_mpz_t(), x.get_mpz_t(), x.get_mpz_t());
}

}  // namespace

mpz_class FactorialParts::high_power(int m) const {
  mpz_class h = high_root(m);
  square_repeatedly(h, m);
  return h;
}

mpz_class FactorialParts::low_term(int k) const {
  if (k < 0 || k > 63) throw UsageError("FactorialParts::low_term: k must be in [0, 63]");
  std::vector<std::uint32_t> group;
  for (std::size_t i = 0; i < primes_.size(); ++i)
    if ((exponents_[i] >> k) & 1U) group.push_back(primes_[i]);
  if (group.empty()) return 1;
  mpz_class g = product_tree(group);
  square_repeatedly(g, k);
  return g;
}

mpz_class factorial(std::uint64_t n) {
  const FactorialParts parts(n);
  constexpr int m = kFactorialLowBits;
  mpz_class value = parts.high_power(m);
  std::vector<mpz_class> low;
  for (int k = 0; k < m; ++k) low.push_back(parts.low_term(k));
  const mpz_class l = balanced_product(std::move(low));
  mpz_mul(value.get_mpz_t(), value.get_mpz_t(), l.get_mpz_t());
  mpz_mul_2exp(value.get_mpz_t(), value.get_mpz_t(), parts.two_exponent());
  return value;
}

mpz_class reference_factorial(std::uint64_t n) {
  mpz_class out;
  mpz_fac_ui(out.get_mpz_t(), n);
  return out;
}

std::uint64_t decimal_digits(const mpz_class& x) {
  if (x <= 0) throw UsageError("decimal_digits needs a positive number");
  // mpz_sizeinbase is exact or one too large; settle the doubt with one comparison.
  const std::uint64_t guess = mpz_sizeinbase(x.get_mpz_t(), 10);
  if (guess == 1) return 1;
  mpz_class bound;
  mpz_ui_pow_ui(bound.get_mpz_t(), 10, guess - 1);
  return x >= bound ? guess : guess - 1;
}

std::string leading_digits(const mpz_class& x, std::uint64_t digits, int count) {
  if (digits <= static_cast<std::uint64_t>(count)) return x.get_str();
  mpz_class divisor;
  mpz_ui_pow_ui(divisor.get_mpz_t(), 10, digits - static_cast<std::uint64_t>(count));
  mpz_class top;
  mpz_tdiv_q(top.get_mpz_t(), x.get_mpz_t(), divisor.get_mpz_t());
  return top.get_str();
}

std::string trailing_digits(const mpz_class& x, int count) {
  mpz_class modulus;
  mpz_ui_pow_ui(modulus.get_mpz_t(), 10, static_cast<unsigned long>(count));
  mpz_class low;
  mpz_tdiv_r(low.get_mpz_t(), x.get_mpz_t(), modulus.get_mpz_t());
  std::string s = low.get_str();
  if (s.size() < static_cast<std::size_t>(count)) s.insert(0, static_cast<std::size_t>(count) - s.size(), '0');
  return s;
}

}  // namespace multirank::exercises
