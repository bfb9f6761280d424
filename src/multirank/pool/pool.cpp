#include "multirank/pool/pool.hpp"

#include <exception>
#include <tuple>

#include "multirank/core/process_info.hpp"
#include "multirank/pool/protocol.hpp"

namespace multirank {
namespace {

/// Every rank's host and pid, on rank 0 (empty elsewhere).
std::vector<detail::RankInfo> gather_ranks(const Communicator& comm) {
  using Hello = std::tuple<std::string, long>;
  if (comm.rank() != 0) {
    comm.send(0, detail::kHelloTag, Hello{host_name(), process_id()});
    return {};
  }
  std::vector<detail::RankInfo> ranks(static_cast<std::size_t>(comm.size()));
  ranks[0] = {host_name(), process_id()};
  for (int r = 1; r < comm.size(); ++r) {
    auto [host, pid] = comm.recv<Hello>(r, detail::kHelloTag);
    ranks[static_cast<std::size_t>(r)] = {std::move(host), pid};
  }
  return ranks;
}

}  // namespace

void run_pool(const Communicator& comm, const std::function<void(Pool&)>& body, const PoolOptions& options) {
  if (!comm) throw UsageError("run_pool needs a communicator (this rank has none)");
  if (!body) throw UsageError("run_pool needs a body");
  if (options.clock_rounds < 1) throw UsageError("PoolOptions::clock_rounds must be at least 1");
  if (options.workers_per_rank < 1) throw UsageError("PoolOptions::workers_per_rank must be at least 1");
  Communicator own = comm.dup();  // the pool's messages never meet the caller's
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
