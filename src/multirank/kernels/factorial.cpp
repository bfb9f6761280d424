#include "multirank/kernels/factorial.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <string>

#include "multirank/core/error.hpp"

namespace multirank::kernels {

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

namespace {

struct Factor {
  std::uint32_t prime;
  std::uint64_t exponent;
};

/// Odd primes of n! dealt into `parts` shares of nearly equal weight (greedy, heaviest first),
/// identically on every rank.
std::vector<Factor> share_factors(std::uint64_t n, int part, int parts) {
  const auto primes = primes_up_to(n);
  std::vector<Factor> all;
  all.reserve(primes.size());
  for (std::size_t i = 1; i < primes.size(); ++i) all.push_back({primes[i], legendre_exponent(n, primes[i])});
  auto weight = [](const Factor& f) { return static_cast<double>(f.exponent) * std::log2(static_cast<double>(f.prime)); };
  std::vector<Factor> mine;
  if (parts == 1) return all;
  // Heaviest first (small primes with large exponents), then the many primes with small exponents.
  std::vector<std::size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return weight(all[a]) > weight(all[b]); });
  using Load = std::pair<double, int>;
  std::priority_queue<Load, std::vector<Load>, std::greater<>> loads;
  for (int p = 0; p < parts; ++p) loads.push({0.0, p});
  for (const std::size_t i : order) {
    auto [w, p] = loads.top();
    loads.pop();
    if (p == part) mine.push_back(all[i]);
    loads.push({w + weight(all[i]), p});
  }
  return mine;
}

}  // namespace

mpz_class factorial_share(std::uint64_t n, int part, int parts) {
  if (parts < 1 || part < 0 || part >= parts) throw UsageError("factorial_share: part must be in [0, parts)");
  if (n > std::numeric_limits<std::uint32_t>::max()) throw UsageError("factorial: n must be below 2^32");
  const auto factors = share_factors(n, part, parts);
  std::uint64_t max_exponent = 0;
  for (const auto& f : factors) max_exponent = std::max(max_exponent, f.exponent);
  int top_bit = 0;
  while (top_bit < 63 && (max_exponent >> (top_bit + 1)) != 0) ++top_bit;
  // ∏ p^e = ∏_k (∏_{bit k of e set} p)^(2^k): square-and-multiply from the top bit down.
  mpz_class acc = 1;
  std::vector<std::uint32_t> group;
  for (int k = top_bit; k >= 0; --k) {
    if (acc != 1) mpz_mul(acc.get_mpz_t(), acc.get_mpz_t(), acc.get_mpz_t());
    group.clear();
    for (const auto& f : factors)
      if ((f.exponent >> k) & 1U) group.push_back(f.prime);
    if (!group.empty()) {
      const mpz_class g = product_tree(group);
      mpz_mul(acc.get_mpz_t(), acc.get_mpz_t(), g.get_mpz_t());
    }
  }
  return acc;
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

}  // namespace multirank::kernels
