#include "multirank/pool/pool.hpp"

#include <exception>
#include <tuple>

#include "multirank/collective/gather.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/core/same_arguments.hpp"
#include "multirank/pool/protocol.hpp"

namespace multirank {
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
  if (!body) throw UsageError("run_pool needs a body");
  Communicator own = comm.dup();  // the pool's messages never meet the caller's
  // PoolOptions must match on every rank (checked before anything that could refuse them, so
  // that no rank waits for one that left).
  ArgumentDigest digest;
  digest.add(options.coordinator_works).add(options.records).add(options.clock_rounds);
  require_same_arguments(own, digest, "run_pool: the ranks were given different PoolOptions");
  if (options.clock_rounds < 1) throw UsageError("PoolOptions::clock_rounds must be at least 1");
  const SyncClock clock(own, options.clock_rounds);
  auto ranks = gather_ranks(own);
  if (own.rank() != 0) {
    detail::serve(own, clock);
    return;
  }
  auto core = std::make_shared<detail::PoolCore>(std::move(own), options, clock, std::move(ranks));
  core->start_threads();
  std::exception_ptr failure;
  try {
    Pool pool(core);
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
