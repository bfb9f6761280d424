#include "multirank/study/sweep.hpp"

#include <mpi.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "multirank/core/error.hpp"
#include "multirank/trace/progress.hpp"

namespace multirank::study {

std::vector<int> parse_rank_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    int p = 0;
    try {
      p = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || p < 1)
      throw UsageError("rank list '" + text + "' must be positive integers separated by commas, e.g. 1,2,4");
    if (std::find(out.begin(), out.end(), p) != out.end())
      throw UsageError("rank list '" + text + "' names " + std::to_string(p) + " twice");
    out.push_back(p);
  }
  if (out.empty()) throw UsageError("the rank list is empty");
  return out;
}

void check_sweep(const SweepOptions& o, int world_size) {
  if (o.ranks.empty()) throw UsageError("a study needs at least one rank count");
  std::set<int> seen;
  for (int p : o.ranks) {
    if (p < 1 || p > world_size)
      throw UsageError("rank count " + std::to_string(p) + " is outside [1, " + std::to_string(world_size) +
                       "]: start the job with at least that many ranks (mpirun -n)");
    if (!seen.insert(p).second) throw UsageError("rank count " + std::to_string(p) + " is listed twice");
  }
  if (o.reps < 1) throw UsageError("a study needs at least one repetition, not " + std::to_string(o.reps));
  if (o.warmups < 0) throw UsageError("warm-ups cannot be negative");
}

void run_sweep(const Communicator& world, const SweepOptions& o, RunRecord& record, const SweepBody& body) {
  check_sweep(o, world.size());
  record.ranks.assign(o.ranks.begin(), o.ranks.end());
  record.reps = o.reps;
  record.warmups = o.warmups;
  if (o.done.empty()) record.samples.clear();  // on resume the earlier samples stay
  record.summary.clear();
  record.tasks.clear();
  const int largest = *std::max_element(o.ranks.begin(), o.ranks.end());

  const auto total = static_cast<std::uint64_t>(o.ranks.size()) * static_cast<std::uint64_t>(o.reps + o.warmups);
  trace::Progress progress(o.progress && world.rank() == 0, "study " + record.app, total);
  for (int p : o.ranks) {
    // The first p ranks form the sub-communicator; the others get a null one and go straight to
    // the world barrier below, where they sleep (Communicator::barrier never spins).
    const Communicator sub = world.split(world.rank() < p ? 0 : MPI_UNDEFINED, world.rank());
    int remaining = 0;
    for (int rep = 0; rep < o.reps; ++rep) remaining += o.done.count({p, rep}) ? 0 : 1;
    if (sub && remaining == 0) progress.advance(static_cast<std::uint64_t>(o.warmups + o.reps));
    if (sub && remaining > 0) {
      for (int w = 0; w < o.warmups; ++w) {
        (void)body(sub, p);
        progress.advance();
      }
      for (int rep = 0; rep < o.reps; ++rep) {
        if (o.done.count({p, rep})) {
          progress.advance();
          continue;
        }
        sub.barrier();
        const double t0 = MPI_Wtime();
        RepetitionResult result = body(sub, p);
        const double elapsed = MPI_Wtime() - t0;
        const Sample s = make_sample(sub, rep, result.seconds >= 0.0 ? result.seconds : elapsed);
        if (sub.rank() == 0) {
          record.samples.push_back(s);
          if (o.on_sample) o.on_sample(s);
        }
        if (p == largest && rep == o.reps - 1) {
          record.tasks = std::move(result.tasks);
        }
        progress.advance();
      }
    }
    world.barrier();
  }
  // Every rank agrees on where the tasks came from (ranks outside the largest p hold none).
  record.tasks_p = largest;
  record.tasks_rep = o.reps - 1;
  progress.finish();
  std::sort(record.samples.begin(), record.samples.end(),
            [](const Sample& a, const Sample& b) { return a.p != b.p ? a.p < b.p : a.rep < b.rep; });
}

}  // namespace multirank::study
