#include "factorial_list.hpp"

#include <iomanip>
#include <algorithm>
#include <memory>
#include <numeric>
#include <sstream>

#include "exercises/factorial.hpp"
#include "journal.hpp"
#include "multirank/pool/pool.hpp"

namespace multirank::cli {

namespace {

/// One factorial task's input.
struct FactorialJob {
  std::uint64_t n = 0;
  bool check = false;
  bool keep_value = false;
};

/// One factorial task's result.
struct FactorialOutcome {
  std::uint64_t digits = 0;
  bool exact = true;
  std::string value;
  template <class Ar>
  void serialize(Ar& ar, unsigned) { ar & digits & exact & value; }
};

FactorialOutcome factorial_task(FactorialJob job) {
  // The prime-split product on one rank; --check compares with GMP's own.
  const mpz_class value = exercises::factorial(job.n);
  FactorialOutcome out;
  out.digits = exercises::decimal_digits(value);
  if (job.check) out.exact = value == exercises::reference_factorial(job.n);
  if (job.keep_value) out.value = value.get_str();
  return out;
}
const Task<factorial_task> factorial_list_task{"factorial.list_item"};

/// --check of a result taken from a journal: n!'s digit count (and its digits, when kept) against
/// mpz_fac_ui's, recomputed.
struct JournaledFactorial {
  std::uint64_t n = 0;
  std::uint64_t digits = 0;
  std::string value;
  template <class Ar>
  void serialize(Ar& ar, unsigned) { ar & n & digits & value; }
};

bool recheck_task(JournaledFactorial j) {
  const mpz_class reference = exercises::reference_factorial(j.n);
  if (exercises::decimal_digits(reference) != j.digits) return false;
  return j.value.empty() || reference.get_str() == j.value;
}
const Task<recheck_task> factorial_recheck_task{"factorial.recheck_item"};

nlohmann::json to_json(const FactorialOutcome& o) {
  nlohmann::json j{{"digits", o.digits}, {"exact", o.exact}};
  if (!o.value.empty()) j["value"] = o.value;
  return j;
}

FactorialOutcome from_json(const nlohmann::json& j) {
  FactorialOutcome o;
  o.digits = j.at("digits").get<std::uint64_t>();
  o.exact = j.at("exact").get<bool>();
  o.value = j.value("value", std::string());
  return o;
}

}  // namespace

nlohmann::json factorial_list_identity(const FactorialListOptions& o) {
  return {{"list", o.list}, {"check", o.check}, {"print", o.print}};
}

JournalTasks factorial_list_tasks(const FactorialListOptions& o) {
  JournalTasks t;
  for (const auto n : o.list) t.keys.push_back({{"n", n}});
  const bool print = o.print;
  t.check_result = [print](std::size_t, const nlohmann::json& r) -> std::string {
    if (!r.is_object()) return "a factorial's result is an object";
    const auto digits = r.find("digits");
    if (digits == r.end() || !digits->is_number_unsigned() || digits->get<std::uint64_t>() == 0)
      return "\"digits\" must be a positive whole number";
    const auto exact = r.find("exact");
    if (exact == r.end() || !exact->is_boolean()) return "\"exact\" must be true or false";
    const auto value = r.find("value");
    if (print != (value != r.end())) return print ? "--print needs the digits (\"value\")" : "an unexpected \"value\"";
    if (value != r.end()) {
      if (!value->is_string()) return "\"value\" must be a string of digits";
      const std::string& v = value->get_ref<const std::string&>();
      if (v.size() != digits->get<std::uint64_t>() || v.find_first_not_of("0123456789") != std::string::npos)
        return "\"value\" is not a number of \"digits\" digits";
    }
    if (r.size() != (print ? 3u : 2u)) return "unexpected members";
    return "";
  };
  return t;
}

AppResult run_factorial_list(const Communicator& comm, const FactorialListOptions& o) {
  std::unique_ptr<Journal> journal;
  if (comm.rank() == 0 && !o.journal.empty())
    journal = std::make_unique<Journal>(o.journal, "factorial", factorial_list_identity(o), o.resume,
                                        factorial_list_tasks(o));
  std::vector<FactorialOutcome> results(o.list.size());
  std::vector<TaskRecord> records;
  std::vector<std::int64_t> completion;
  std::int64_t resumed = 0;
  std::int64_t rechecked = 0;
  comm.barrier();
  const double t0 = MPI_Wtime();
  run_pool(comm, [&](Pool& pool) {
    std::vector<FactorialJob> todo;
    std::vector<std::size_t> index;
    // Largest n first (the longest task first), so no big factorial starts last while the other
    // ranks idle; results still print in the list's order.
    std::vector<std::size_t> order(o.list.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return o.list[a] > o.list[b]; });
    for (const std::size_t i : order) {
      const auto id = static_cast<std::int64_t>(i);
      if (journal && journal->done().count(id)) {
        results[i] = from_json(journal->done().at(id));
        ++resumed;
      } else {
        todo.push_back({o.list[i], o.check, o.print});
        index.push_back(i);
      }
    }
    // --check holds for what the journal gave too: each such result is recomputed with mpz_fac_ui.
    std::vector<JournaledFactorial> recheck;
    std::vector<std::size_t> recheck_index;
    if (o.check)
      for (const std::size_t i : order)
        if (journal && journal->done().count(static_cast<std::int64_t>(i))) {
          recheck.push_back({o.list[i], results[i].digits, results[i].value});
          recheck_index.push_back(i);
        }
    for (auto&& [k, outcome] : pool.imap_unordered(factorial_list_task, todo, Chunksize(1))) {
      const std::size_t i = index[k];
      if (journal) journal->record(static_cast<std::int64_t>(i), to_json(outcome));
      completion.push_back(static_cast<std::int64_t>(i));
      results[i] = std::move(outcome);
    }
    if (journal) journal->flush();  // a write that failed (a full disk) shows here, not lost in a destructor
    for (auto r : pool.records()) {  // before the rechecks, whose records would mix in
      r.task_id = static_cast<std::int64_t>(index[static_cast<std::size_t>(r.task_id)]);
      records.push_back(std::move(r));
    }
    if (!recheck.empty()) {
      const auto agree = pool.map(factorial_recheck_task, recheck, Chunksize(1));
      for (std::size_t k = 0; k < agree.size(); ++k) {
        results[recheck_index[k]].exact = results[recheck_index[k]].exact && agree[k];
        ++rechecked;
      }
    }
  });
  AppResult out;
  out.seconds = max_over_ranks(comm, MPI_Wtime() - t0);
  if (comm.rank() != 0) return out;

  std::vector<const TaskRecord*> by_task(o.list.size(), nullptr);
  for (const auto& r : records) by_task[static_cast<std::size_t>(r.task_id)] = &r;
  nlohmann::json tasks = nlohmann::json::array();
  std::ostringstream t;
  t << "factorial --list: " << o.list.size() << " task(s) on " << comm.size() << " rank(s)";
  if (resumed) t << ", " << resumed << " taken from the journal" << (rechecked ? " (each checked again)" : "");
  t << "\n\n  task           n  rank  host                      pid    seconds      digits\n";
  bool all_exact = true;
  for (std::size_t i = 0; i < o.list.size(); ++i) {
    const auto& r = results[i];
    const TaskRecord* rec = by_task[i];
    nlohmann::json j = to_json(r);
    j["task"] = i;
    j["n"] = o.list[i];
    if (rec) {
      j["rank"] = rec->rank;
      j["host"] = rec->host;
      j["pid"] = rec->pid;
      j["seconds"] = rec->seconds();
    }
    if (!o.check) j.erase("exact");
    tasks.push_back(j);
    all_exact = all_exact && r.exact;
    t << std::setw(6) << i << std::setw(12) << o.list[i];
    if (rec)
      t << std::setw(6) << rec->rank << "  " << std::left << std::setw(20) << rec->host.substr(0, 20) << std::right
        << std::setw(9) << rec->pid << std::setw(11) << std::fixed << std::setprecision(4) << rec->seconds();
    else
      t << std::setw(46) << "(journal)";
    t << std::setw(12) << r.digits << (o.check ? (r.exact ? "  exact" : "  DIFFERS") : "") << "\n";
    if (o.print) t << r.value << "\n";
  }
  t << "\ncompletion order: [";
  for (std::size_t k = 0; k < completion.size(); ++k) t << (k ? ", " : "") << completion[k];
  t << "]\ntotal " << std::fixed << std::setprecision(4) << out.seconds << " s\n";
  out.results = {{"app", "factorial"}, {"tasks", tasks}, {"completion_order", completion}};
  if (!o.journal.empty()) out.results["resumed_tasks"] = resumed;
  if (o.check) out.results["exact"] = all_exact;
  out.tasks = std::move(records);
  out.text = t.str();
  if (!all_exact) throw std::runtime_error("a factorial differs from mpz_fac_ui");
  return out;
}

}  // namespace multirank::cli
