#include "multirank/pool/pool.hpp"

#include <exception>
#include <tuple>

#include "multirank/collective/gather.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/core/same_arguments.hpp"
#include "multirank/pool/internal/pool_core.hpp"
#include "multirank/pool/internal/protocol.hpp"

namespace multirank {

namespace detail {
/// Makes the Pool that run_pool hands its body (Pool's constructor is private).
struct PoolAccess {
  static Pool make(std::shared_ptr<PoolCore> core) { return Pool(std::move(core)); }
};
}  // namespace detail

int Pool::size() const noexcept { return core_->size; }
int Pool::executors() const noexcept { return core_->executors; }
int Pool::workers() const noexcept { return core_->slots; }
const SyncClock& Pool::clock() const noexcept { return core_->clock; }
void Pool::close() { core_->close(); }
void Pool::join() { core_->join(); }
void Pool::terminate() { core_->terminate(); }
std::vector<TaskRecord> Pool::records() const { return core_->records(); }
void Pool::clear_records() { core_->clear_records(); }
PoolStats Pool::stats() const { return core_->stats(); }

detail::JobHandle Pool::start(const detail::JobSpec& spec, detail::EncodedInputs&& inputs, bool closed) {
  auto job = std::make_shared<detail::Job>(spec);
  if (!job->in_fixed) {
    job->offsets.reserve(inputs.sizes.size() + 1);
    for (const auto s : inputs.sizes) job->offsets.push_back(job->offsets.back() + s);
  }
  job->column = std::move(inputs.bytes);
  job->available = inputs.count;
  job->closed = closed;
  core_->start(job);
  return detail::JobHandle(core_, std::move(job));
}

namespace {

/// Every rank's host and pid, on rank 0 (empty elsewhere).
std::vector<detail::RankInfo> gather_ranks(const Communicator& comm) {
  using Hello = std::tuple<std::string, long>;
  std::vector<detail::RankInfo> ranks;
  for (auto& [host, pid] : gather(comm, Hello{host_name(), process_id()}, 0)) ranks.push_back({std::move(host), pid});
  return ranks;
}

}  // namespace

void run_pool(const Communicator& comm, const std::function<void(Pool&)>& body, const PoolOptions& options) {
  if (!comm) throw UsageError("run_pool needs a communicator (this rank has none)");
  Communicator own = comm.dup();  // the pool's messages never meet the caller's
  // PoolOptions must match on every rank (checked before anything that could refuse them, so
  // that no rank waits for one that left).
  ArgumentDigest digest;
  digest.add(options.coordinator_works).add(options.records).add(options.clock_rounds).add(options.workers_per_rank).add(static_cast<bool>(body));
  require_same_arguments(own, digest, "run_pool: the ranks were given different PoolOptions (or a body only on some)");
  if (!body) throw UsageError("run_pool needs a body");
  if (options.clock_rounds < 1) throw UsageError("PoolOptions::clock_rounds must be at least 1");
  if (options.workers_per_rank < 1) throw UsageError("PoolOptions::workers_per_rank must be at least 1");
  const SyncClock clock(own, options.clock_rounds);
  auto ranks = gather_ranks(own);
  if (own.rank() != 0) {
    detail::serve(own, clock, options.workers_per_rank);
    return;
  }
  auto core = std::make_shared<detail::PoolCore>(std::move(own), options, clock, std::move(ranks));
  core->start_threads();
  std::exception_ptr failure;
  try {
    Pool pool = detail::PoolAccess::make(core);
    body(pool);
    pool.close();
    pool.join();
  } catch (...) {
    failure = std::current_exception();
    core->terminate();
  }
  core->stop_threads();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace multirank
