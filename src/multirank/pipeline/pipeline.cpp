// The pipeline's untyped parts: placement, failure notices, threads, and the report.
#include "multirank/pipeline/pipeline.hpp"

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <thread>
#include <tuple>

#include "multirank/collective/gather.hpp"
#include "multirank/core/same_arguments.hpp"

namespace multirank {
namespace detail {
namespace {

// On the pipeline control's own duplicate of the communicator.
constexpr Tag kNoticeTag{1};

/// What each rank tells the others when the run ends.
struct RankSummary {
  bool failed = false;
  int stage = -1;
  std::string stage_name;
  std::string message;
  double seconds = 0.0;
  std::vector<std::pair<int, StageReport>> instances;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & failed & stage & stage_name & message & seconds & instances;
  }
};

}  // namespace

PipelineControl::PipelineControl(const Communicator& comm)
    : comm_(comm.dup()), notice_from_(static_cast<std::size_t>(comm.size()), false) {}

void PipelineControl::fail(int stage, const std::string& stage_name, const std::string& message) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (first_stage_ < 0 || stage < first_stage_) {
    first_stage_ = stage;
    first_stage_name_ = stage_name;
    first_message_ = message;
  }
  if (failed_here_) return;
  failed_here_ = true;
  cancelled_ = true;
  // One notice per rank and run, so finish() knows exactly what to receive.
  for (int r = 0; r < comm_.size(); ++r)
    if (r != comm_.rank()) notices_.push_back(comm_.isend(r, kNoticeTag, message));
}

bool PipelineControl::cancelled() {
  const std::lock_guard<std::mutex> lock(mu_);
  if (cancelled_) return true;
  if (comm_.size() > 1) {
    if (const auto st = comm_.iprobe(MPI_ANY_SOURCE, kNoticeTag)) {
      (void)comm_.recv<std::string>(st->source, kNoticeTag);
      notice_from_[static_cast<std::size_t>(st->source)] = true;
      cancelled_ = true;
    }
  }
  return cancelled_;
}

PipelineReport PipelineControl::finish(const std::vector<std::pair<int, StageReport>>& local,
                                       const std::vector<std::string>& names,
                                       const std::vector<std::vector<int>>& placement, double seconds) {
  // Sleep until every rank is done; the gather after it then finds everyone there (an MPI
  // collective would spin a core while a slow rank finishes).
  comm_.barrier();
  RankSummary mine;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    mine.failed = failed_here_;
    mine.stage = first_stage_;
    mine.stage_name = first_stage_name_;
    mine.message = first_message_;
  }
  mine.seconds = seconds;
  mine.instances = local;
  const std::vector<RankSummary> all = allgather(comm_, mine);

  // Every notice sent to this rank is received, every notice it sent completes: nothing stays in flight.
  for (int r = 0; r < comm_.size(); ++r)
    if (r != comm_.rank() && all[static_cast<std::size_t>(r)].failed && !notice_from_[static_cast<std::size_t>(r)])
      (void)comm_.recv<std::string>(r, kNoticeTag);
  wait_all(notices_);
  notices_.clear();

  PipelineReport report;
  for (std::size_t s = 0; s < names.size(); ++s) {
    StageReport st;
    st.name = names[s];
    st.ranks = placement[s];
    report.stages.push_back(std::move(st));
  }
  const RankSummary* first = nullptr;
  for (std::size_t r = 0; r < all.size(); ++r) {
    const RankSummary& sum = all[r];
    report.seconds = std::max(report.seconds, sum.seconds);
    for (const auto& [stage, fig] : sum.instances) {
      StageReport& st = report.stages[static_cast<std::size_t>(stage)];
      st.items_in += fig.items_in;
      st.items_out += fig.items_out;
      st.busy_seconds += fig.busy_seconds;
      st.wait_in_seconds += fig.wait_in_seconds;
      st.wait_out_seconds += fig.wait_out_seconds;
    }
    if (sum.failed && (!first || sum.stage < first->stage)) first = &sum;
  }
  if (first) throw PipelineError(first->message, first->stage_name, static_cast<int>(first - all.data()));
  return report;
}

}  // namespace detail

Pipeline::Pipeline(const Communicator& comm, PipelineOptions options) : comm_(comm.dup()), options_(options) {}

void Pipeline::add(std::unique_ptr<detail::StageBase> stage, std::string name, StageOptions options) {
  if (options.ranks < 0) throw UsageError("Pipeline: stage '" + name + "' needs ranks >= 0 (0: every rank)");
  if (options.rank >= 0 && options.ranks != 1)
    throw UsageError("Pipeline: stage '" + name + "' is pinned to a rank, so it must have ranks = 1");
  if (options.ordered && options.ranks != 1)
    throw UsageError("Pipeline: stage '" + name + "' asks for input order, so it must have ranks = 1");
  if (stages_.empty() && stage->in_type != typeid(void))
    throw UsageError("Pipeline: the first stage '" + name + "' must be a source");
  if (!stages_.empty()) {
    const auto& prev = *stages_.back();
    if (prev.out_type == typeid(void))
      throw UsageError("Pipeline: stage '" + name + "' follows the sink '" + prev.name + "'");
    if (prev.out_type != stage->in_type)
      throw UsageError("Pipeline: stage '" + name + "' takes " + stage->in_name + " but '" + prev.name +
                       "' emits " + prev.out_name);
  }
  stage->name = std::move(name);
  stage->options = options;
  stages_.push_back(std::move(stage));
}

std::vector<std::vector<int>> Pipeline::placement() const {
  const int p = comm_.size();
  std::vector<std::vector<int>> out;
  int cursor = 0;
  for (const auto& s : stages_) {
    std::vector<int> ranks;
    const int n = s->options.ranks == kEveryRank ? p : std::min(s->options.ranks, p);
    if (s->options.rank >= 0) {
      ranks.push_back(s->options.rank % p);  // modulo: the same program runs at any rank count
    } else if (n == p) {
      for (int r = 0; r < p; ++r) ranks.push_back(r);
    } else {
      for (int j = 0; j < n; ++j) ranks.push_back((cursor + j) % p);
      cursor += n;
    }
    out.push_back(std::move(ranks));
  }
  return out;
}

PipelineReport Pipeline::run() {
  // Every rank must build the same chain; a mismatch would leave links half built.
  ArgumentDigest digest;
  digest.add(stages_.size()).add(options_.items_per_consumer);
  for (const auto& s : stages_) {
    digest.add(std::string_view(s->name)).add(std::string_view(s->in_name)).add(std::string_view(s->out_name));
    digest.add(s->options.ranks).add(s->options.rank).add(s->options.ordered);
  }
  require_same_arguments(comm_, digest, "Pipeline: the ranks built different chains (stages, types or options)");
  if (stages_.size() < 2) throw UsageError("Pipeline: needs a source and a sink");
  if (stages_.back()->out_type != typeid(void))
    throw UsageError("Pipeline: the last stage '" + stages_.back()->name + "' must be a sink");
  const auto t0 = std::chrono::steady_clock::now();
  const auto where = placement();
  const std::size_t n = stages_.size();
  detail::PipelineControl control(comm_);

  // Link i joins stage i (producers) to stage i + 1 (consumers); built in chain order everywhere.
  std::vector<std::unique_ptr<detail::LinkBase>> links;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const std::size_t np = where[i].size();
    const std::size_t nc = where[i + 1].size();
    const std::size_t capacity = np + nc * np + options_.items_per_consumer * nc;
    links.push_back(stages_[i]->make_link(comm_, where[i], where[i + 1], capacity));
  }

  std::vector<std::string> names;
  for (const auto& s : stages_) names.push_back(s->name);
  std::vector<detail::InstanceEnv> envs;
  std::vector<detail::InstanceFigures> figures(n);
  std::vector<int> local_stages;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& ranks = where[i];
    const auto it = std::find(ranks.begin(), ranks.end(), comm_.rank());
    if (it == ranks.end()) continue;
    detail::InstanceEnv env;
    env.ctx = StageContext{stages_[i]->name, static_cast<int>(i), static_cast<int>(it - ranks.begin()),
                           static_cast<int>(ranks.size()), comm_.rank()};
    env.in = i > 0 ? links[i - 1].get() : nullptr;
    env.out = i + 1 < n ? links[i].get() : nullptr;
    env.ordered = stages_[i]->options.ordered;
    for (std::size_t j = i + 1; j < n; ++j) env.keep_empty = env.keep_empty || stages_[j]->options.ordered;
    env.control = &control;
    env.figures = &figures[i];
    envs.push_back(env);
    local_stages.push_back(static_cast<int>(i));
  }

  // One thread per local instance: stages sharing this rank overlap, and waits sleep.
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < envs.size(); ++k) {
    threads.emplace_back([this, &envs, &control, k] {
      detail::InstanceEnv& env = envs[k];
      try {
        stages_[static_cast<std::size_t>(env.ctx.stage)]->run_instance(env);
      } catch (const std::exception& e) {
        control.fail(env.ctx.stage, env.ctx.name, e.what());
      } catch (...) {
        control.fail(env.ctx.stage, env.ctx.name, "unknown exception");
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& link : links) link.reset();  // collective, in chain order on every rank

  std::vector<std::pair<int, StageReport>> local;
  for (int i : local_stages) {
    const auto& f = figures[static_cast<std::size_t>(i)];
    StageReport r;
    r.items_in = f.items_in;
    r.items_out = f.items_out;
    r.busy_seconds = f.busy;
    r.wait_in_seconds = f.wait_in;
    r.wait_out_seconds = f.wait_out;
    local.emplace_back(i, std::move(r));
  }
  return control.finish(local, names, where, detail::since(t0));
}

}  // namespace multirank
