#include "factorial_list.hpp"

#include <iomanip>
#include <sstream>

#include "multirank/collective/gather.hpp"
#include "multirank/core/clock.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/kernels/factorial.hpp"

namespace multirank::cli {

namespace {
struct FactorialTaskResult {
  std::uint64_t n = 0;
  std::uint64_t digits = 0;
  bool exact = true;
  std::string value;
  TaskRecord record;
  template <class Ar>
  void serialize(Ar& ar, unsigned) { ar & n & digits & exact & value & record; }
};
}  // namespace

AppResult run_factorial_list(const Communicator& comm, const std::vector<std::uint64_t>& list, bool check,
                             bool print) {
  const SyncClock clock(comm);
  comm.barrier();
  const double t0 = MPI_Wtime();
  std::vector<FactorialTaskResult> mine;
  for (std::size_t i = static_cast<std::size_t>(comm.rank()); i < list.size(); i += static_cast<std::size_t>(comm.size())) {
    FactorialTaskResult r;
    r.n = list[i];
    r.record = TaskRecord{static_cast<std::int64_t>(i), comm.rank(), process_id(), host_name(), clock.now(), clock.now()};
    const mpz_class value = kernels::reference_factorial(list[i]);
    r.record.end = clock.now();
    r.digits = kernels::decimal_digits(value);
    if (check) r.exact = value == kernels::reference_factorial(list[i]);
    if (print) r.value = value.get_str();
    mine.push_back(std::move(r));
  }
  AppResult out;
  out.seconds = max_over_ranks(comm, MPI_Wtime() - t0);
  auto all = gather(comm, mine);
  if (comm.rank() != 0) return out;
  std::vector<FactorialTaskResult> results(list.size());
  for (auto& per_rank : all)
    for (auto& r : per_rank) results[static_cast<std::size_t>(r.record.task_id)] = std::move(r);
  nlohmann::json tasks = nlohmann::json::array();
  std::ostringstream t;
  t << "factorial --list: " << list.size() << " task(s) on " << comm.size() << " rank(s)\n\n"
    << "  task           n  rank  host                      pid    seconds      digits\n";
  for (const auto& r : results) {
    out.tasks.push_back(r.record);
    nlohmann::json j{{"task", r.record.task_id}, {"n", r.n}, {"rank", r.record.rank}, {"host", r.record.host},
                     {"pid", r.record.pid}, {"seconds", r.record.seconds()}, {"digits", r.digits}};
    if (check) j["exact"] = r.exact;
    if (print) j["value"] = r.value;
    tasks.push_back(j);
    t << std::setw(6) << r.record.task_id << std::setw(12) << r.n << std::setw(6) << r.record.rank << "  "
      << std::left << std::setw(20) << r.record.host.substr(0, 20) << std::right << std::setw(9) << r.record.pid
      << std::setw(11) << std::fixed << std::setprecision(4) << r.record.seconds() << std::setw(12) << r.digits
      << (check ? (r.exact ? "  exact" : "  DIFFERS") : "") << "\n";
    if (print) t << r.value << "\n";
  }
  t << "\ntotal " << out.seconds << " s\n";
  out.results = {{"app", "factorial"}, {"tasks", tasks}};
  out.text = t.str();
  return out;
}

}  // namespace multirank::cli
