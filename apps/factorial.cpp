// `multirank factorial`: factorials of large numbers with GMP.
//   --n N          one huge n!, computed by all ranks together
//   --list a,b,... many factorials, one task each, over a Pool (see factorial_list.cpp)
#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "app.hpp"
#include "exercises/factorial.hpp"
#include "exercises/gmp.hpp"
#include "factorial_list.hpp"
#include "journal.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/process_info.hpp"

namespace multirank::cli {
namespace {

constexpr multirank::Tag kFactorialTag{21};

/// Adds q · 2^(64·offset) into the `total` limbs at r (the sum must fit).
void add_limbs_at(mp_limb_t* r, std::size_t total, const mpz_class& q, std::size_t offset) {
  const std::size_t n = mpz_size(q.get_mpz_t());
  if (n == 0) return;
  mp_limb_t carry = mpn_add_n(r + offset, r + offset, mpz_limbs_read(q.get_mpz_t()), static_cast<mp_size_t>(n));
  for (std::size_t j = offset + n; carry != 0 && j < total; ++j) carry = (++r[j] == 0) ? 1 : 0;
}

/// n! on rank 0 (1 elsewhere), from exercises::FactorialParts: rank 0 computes the high root H and
/// squares it m times while ranks 1.. compute the low terms and multiply them into L; then every
/// rank multiplies one limb range of H^(2^m) by L and rank 0 adds the partial products.
mpz_class parallel_factorial(const Communicator& comm, std::uint64_t n) {
  constexpr int m = exercises::kFactorialLowBits;
  const int size = comm.size();
  const int me = comm.rank();
  if (size == 1) return exercises::factorial(n);

  // The low terms, dealt over ranks 1..low_ranks and multiplied together on rank 1.
  const int low_ranks = std::min(m, size - 1);
  std::optional<exercises::FactorialParts> parts;  // the primes and exponents, where needed
  if (me <= low_ranks) parts.emplace(n);
  mpz_class high;
  mpz_class low = 1;
  if (me == 0) {
    high = parts->high_power(m);
  } else if (me <= low_ranks) {
    std::vector<mpz_class> terms;
    for (int k = me - 1; k < m; k += low_ranks) terms.push_back(parts->low_term(k));
    if (me == 1) {
      for (int r = 2; r <= low_ranks; ++r) terms.push_back(exercises::recv_mpz(comm, r, kFactorialTag));
      low = exercises::balanced_product(std::move(terms));
    } else {
      exercises::send_mpz(comm, 1, kFactorialTag, exercises::balanced_product(std::move(terms)));
    }
  }
  broadcast(comm, low, 1);

  // H^(2^m) · L, one equal limb range of H^(2^m) per rank (with m = 5, squaring H takes rank 0
  // about as long as the low terms take the others on two ranks).
  if (me != 0) {
    mpz_class piece = exercises::recv_mpz(comm, 0, kFactorialTag);
    mpz_mul(piece.get_mpz_t(), piece.get_mpz_t(), low.get_mpz_t());
    exercises::send_mpz(comm, 0, kFactorialTag, piece);
    return 1;
  }
  const std::size_t limbs = mpz_size(high.get_mpz_t());
  std::vector<std::size_t> start(static_cast<std::size_t>(size) + 1, limbs);
  start[0] = 0;
  for (int r = 1; r < size; ++r) start[static_cast<std::size_t>(r)] = limbs * static_cast<std::size_t>(r) / static_cast<std::size_t>(size);
  const mp_limb_t* h = mpz_limbs_read(high.get_mpz_t());
  for (int r = 1; r < size; ++r)
    exercises::send_limbs(comm, r, kFactorialTag, h + start[static_cast<std::size_t>(r)],
               start[static_cast<std::size_t>(r) + 1] - start[static_cast<std::size_t>(r)]);
  mpz_class own;
  mpz_tdiv_r_2exp(own.get_mpz_t(), high.get_mpz_t(), start[1] * GMP_NUMB_BITS);
  high = 0;
  mpz_mul(own.get_mpz_t(), own.get_mpz_t(), low.get_mpz_t());

  const std::size_t total = limbs + mpz_size(low.get_mpz_t()) + 1;
  mpz_class value;
  mp_limb_t* out = mpz_limbs_write(value.get_mpz_t(), static_cast<mp_size_t>(total));
  std::fill(out, out + total, mp_limb_t{0});
  add_limbs_at(out, total, own, 0);
  for (int r = 1; r < size; ++r) add_limbs_at(out, total, exercises::recv_mpz(comm, r, kFactorialTag), start[static_cast<std::size_t>(r)]);
  mpz_limbs_finish(value.get_mpz_t(), static_cast<mp_size_t>(total));
  mpz_mul_2exp(value.get_mpz_t(), value.get_mpz_t(), parts->two_exponent());
  return value;
}

struct Options {
  std::uint64_t n = 0;
  std::vector<std::uint64_t> list;
  bool check = false;
  bool print = false;
  bool baseline = false;
  std::string journal;
  bool resume = false;
};

class Factorial final : public AppInstance {
 public:
  explicit Factorial(CLI::App& app) {
    auto* n = app.add_option("--n", o_.n, "compute one n! with all ranks together");
    auto* list = app.add_option("--list", o_.list, "compute each n! of a comma-separated list, one task each")
                     ->delimiter(',');
    n->excludes(list);
    app.add_flag("--check", o_.check, "recompute with GMP's mpz_fac_ui and compare exactly");
    app.add_flag("--print", o_.print, "print the factorials' digits (they are long)");
    app.add_flag("--baseline", o_.baseline, "--n: also time single-core mpz_fac_ui and report the speedup");
    app.add_option("--journal", o_.journal, "--list: record each finished factorial durably in this file");
    app.add_flag("--resume", o_.resume, "--list: continue the --journal, computing only the missing ones");
    list_ = list;
    n_ = n;
  }

  void validate(const Communicator& world) override {
    if (n_->count() == 0 && list_->count() == 0) throw UsageError("give --n N or --list N1,N2,...");
    constexpr std::uint64_t limit = std::numeric_limits<std::uint32_t>::max();
    if (n_->count() && (o_.n < 1 || o_.n > limit))
      throw UsageError("--n must be in [1, " + std::to_string(limit) + "], got " + std::to_string(o_.n));
    if (list_->count()) {
      if (o_.list.empty()) throw UsageError("--list is empty");
      for (const auto v : o_.list)
        if (v > limit) throw UsageError("--list values must be at most " + std::to_string(limit));
    }
    if (o_.resume && o_.journal.empty()) throw UsageError("--resume needs --journal FILE");
    if (!o_.journal.empty()) {
      if (o_.list.empty()) throw UsageError("--journal works with --list");
      if (world.rank() == 0) Journal::check_usable(o_.journal, "factorial", factorial_list_identity(list_options()), o_.resume,
                              factorial_list_tasks(list_options()));
    }
  }

  nlohmann::json options() const override {
    if (!o_.list.empty()) return {{"list", o_.list}, {"check", o_.check}};
    return {{"n", o_.n}, {"check", o_.check}, {"baseline", o_.baseline}};
  }

  void set_problem_scale(int factor) override {
    if (!scaled_) {
      scaled_ = true;
      base_ = o_;
    }
    if (!base_.list.empty()) {
      o_.list.clear();
      for (int i = 0; i < factor; ++i) o_.list.insert(o_.list.end(), base_.list.begin(), base_.list.end());
    } else {
      o_.n = base_.n * static_cast<std::uint64_t>(factor);
      if (o_.n > std::numeric_limits<std::uint32_t>::max()) throw UsageError("weak scaling would push --n past 2^32");
    }
  }

  AppResult run(const Communicator& comm) override {
    if (!o_.list.empty()) return run_factorial_list(comm, list_options());
    return run_single(comm);
  }

 private:
  FactorialListOptions list_options() const { return {o_.list, o_.check, o_.print, o_.journal, o_.resume}; }

  AppResult run_single(const Communicator& comm) {
    comm.barrier();
    const double t0 = MPI_Wtime();
    const mpz_class value = parallel_factorial(comm, o_.n);
    const double seconds = max_over_ranks(comm, MPI_Wtime() - t0);
    const std::uint64_t max_rss = reduce(comm, peak_rss_bytes(), maximum<>{});
    AppResult out;
    out.seconds = seconds;
    if (comm.rank() != 0) return out;

    const auto digits = exercises::decimal_digits(value);
    auto& r = out.results;
    r = {{"app", "factorial"}, {"n", o_.n}, {"digits", digits},
         {"leading_digits", exercises::leading_digits(value, digits, 20)},
         {"trailing_digits", exercises::trailing_digits(value, 20)},
         {"trailing_zeros", exercises::legendre_exponent(o_.n, 5)}, {"peak_rss_bytes", max_rss}};
    std::ostringstream text;
    text << "n = " << o_.n << " on " << comm.size() << " rank(s)\n"
         << "digits           " << digits << "\n"
         << "leading digits   " << r["leading_digits"].get<std::string>() << "...\n"
         << "trailing digits  ..." << r["trailing_digits"].get<std::string>() << " (" << r["trailing_zeros"]
         << " trailing zeros)\n"
         << "time             " << seconds << " s\n"
         << "peak memory      " << max_rss / (1024.0 * 1024.0) << " MiB (largest rank)\n";
    if (o_.baseline || o_.check) {
      const double b0 = MPI_Wtime();
      const mpz_class reference = exercises::reference_factorial(o_.n);
      const double baseline = MPI_Wtime() - b0;
      if (o_.baseline) {
        r["baseline_seconds"] = baseline;
        r["speedup"] = baseline / seconds;
        text << "mpz_fac_ui       " << baseline << " s (one core)\nspeedup          " << baseline / seconds << "x\n";
      }
      if (o_.check) {
        r["exact"] = reference == value;
        text << "check            " << (reference == value ? "equal to mpz_fac_ui" : "DIFFERS from mpz_fac_ui") << "\n";
        if (reference != value) throw std::runtime_error("factorial of " + std::to_string(o_.n) + " differs from mpz_fac_ui");
      }
    }
    if (o_.print) {
      r["value"] = value.get_str();
      text << value.get_str() << "\n";
    }
    out.text = text.str();
    return out;
  }

  Options o_;
  Options base_;
  bool scaled_ = false;
  CLI::Option* list_ = nullptr;
  CLI::Option* n_ = nullptr;
};

const RegisterApp registered{{"factorial", "factorials of large numbers with GMP (one huge n!, or a list over a pool)",
                              [](CLI::App& app) { return std::make_shared<Factorial>(app); }}};

}  // namespace
}  // namespace multirank::cli
