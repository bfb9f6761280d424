// `multirank factorial`: factorials of large numbers with GMP.
//   --n N          one huge n!, computed by all ranks together
//   --list a,b,... many factorials, one task each, over a Pool (see factorial_list.cpp)
#include <sys/resource.h>

#include <cstdio>
#include <limits>
#include <sstream>

#include "app.hpp"
#include "bigint_transfer.hpp"
#include "factorial_list.hpp"
#include "journal.hpp"
#include "multirank/kernels/factorial.hpp"

namespace multirank::cli {
namespace {

constexpr int kShareTag = 21;

/// Peak resident memory of this process, in bytes.
std::uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024U;
}

/// Multiplies the values held by rank `keeper` (x) and rank `helper` (y) together, each rank
/// doing half of the multiplication; the product ends on `keeper`.
void split_multiply(const Communicator& comm, int keeper, int helper, mpz_class& value) {
  if (comm.rank() == helper) {
    const std::size_t bits = mpz_sizeinbase(value.get_mpz_t(), 2);
    const std::size_t k = bits / 2;
    mpz_class lo;
    mpz_class hi;
    mpz_tdiv_r_2exp(lo.get_mpz_t(), value.get_mpz_t(), k);
    mpz_tdiv_q_2exp(hi.get_mpz_t(), value.get_mpz_t(), k);
    send_mpz(comm, keeper, kShareTag, lo);
    comm.send(keeper, kShareTag, static_cast<std::uint64_t>(k));
    const mpz_class x = recv_mpz(comm, keeper, kShareTag);
    mpz_mul(hi.get_mpz_t(), hi.get_mpz_t(), x.get_mpz_t());
    send_mpz(comm, keeper, kShareTag, hi);
    value = 1;
  } else {
    const mpz_class lo = recv_mpz(comm, helper, kShareTag);
    const auto k = comm.recv<std::uint64_t>(helper, kShareTag);
    send_mpz(comm, helper, kShareTag, value);
    mpz_mul(value.get_mpz_t(), value.get_mpz_t(), lo.get_mpz_t());
    mpz_class hi = recv_mpz(comm, helper, kShareTag);
    mpz_mul_2exp(hi.get_mpz_t(), hi.get_mpz_t(), k);
    value += hi;
  }
}

/// n! on rank 0 (1 elsewhere): every rank computes its share, then a binomial reduction tree
/// multiplies the shares, splitting each multiplication between the two ranks it joins.
mpz_class parallel_factorial(const Communicator& comm, std::uint64_t n) {
  mpz_class value = kernels::factorial_share(n, comm.rank(), comm.size());
  for (int step = 1; step < comm.size(); step *= 2) {
    if (comm.rank() % (2 * step) == 0 && comm.rank() + step < comm.size()) {
      split_multiply(comm, comm.rank(), comm.rank() + step, value);
    } else if (comm.rank() % (2 * step) == step) {
      split_multiply(comm, comm.rank() - step, comm.rank(), value);
    }
  }
  if (comm.rank() == 0) mpz_mul_2exp(value.get_mpz_t(), value.get_mpz_t(), kernels::legendre_exponent(n, 2));
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
      if (world.rank() == 0) Journal::check_usable(o_.journal, "factorial", factorial_list_identity(list_options()), o_.resume);
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
    std::uint64_t rss = peak_rss_bytes();
    std::uint64_t max_rss = rss;
    check_mpi(MPI_Reduce(&rss, &max_rss, 1, MPI_UINT64_T, MPI_MAX, 0, comm.native()), "MPI_Reduce");
    AppResult out;
    out.seconds = seconds;
    if (comm.rank() != 0) return out;

    const auto digits = kernels::decimal_digits(value);
    auto& r = out.results;
    r = {{"app", "factorial"}, {"n", o_.n}, {"digits", digits},
         {"leading_digits", kernels::leading_digits(value, digits, 20)},
         {"trailing_digits", kernels::trailing_digits(value, 20)},
         {"trailing_zeros", kernels::legendre_exponent(o_.n, 5)}, {"peak_rss_bytes", max_rss}};
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
      const mpz_class reference = kernels::reference_factorial(o_.n);
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
