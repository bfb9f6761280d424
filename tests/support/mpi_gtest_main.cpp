// Shared main for multi-rank tests: every rank runs every test; after each test the ranks'
// failures are collected on rank 0 and printed with the rank that saw them; the executable
// fails on every rank when any rank failed.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <string>
#include <vector>

#include "multirank/collective/gather.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/environment.hpp"

namespace {

class RankFailureCollector : public testing::EmptyTestEventListener {
 public:
  explicit RankFailureCollector(const multirank::Communicator& comm) : comm_(comm) {}

  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (!result.failed()) return;
    failures_ += std::string(result.file_name() ? result.file_name() : "?") + ":" +
                 std::to_string(result.line_number()) + ": " + result.message() + "\n";
  }

  void OnTestEnd(const testing::TestInfo& info) override {
    const std::vector<std::string> all = multirank::gather(comm_, failures_, 0);  // sleeps while it waits
    for (std::size_t r = 1; r < all.size(); ++r) {
      if (!all[r].empty()) {
        std::printf("[  RANK %zu ] FAILED %s.%s\n%s", r, info.test_suite_name(), info.name(), all[r].c_str());
        any_remote_failure_ = true;
      }
    }
    std::fflush(stdout);
    failures_.clear();
  }

  [[nodiscard]] bool any_remote_failure() const { return any_remote_failure_; }

 private:
  const multirank::Communicator& comm_;
  std::string failures_;
  bool any_remote_failure_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  multirank::Environment env(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  int rc = 0;
  {
    const multirank::Communicator comm = multirank::Communicator::world();
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    if (comm.rank() != 0) delete listeners.Release(listeners.default_result_printer());
    auto* collector = new RankFailureCollector(comm);
    listeners.Append(collector);  // gtest owns it
    const int local = RUN_ALL_TESTS() != 0 ? 1 : 0;
    const int global = multirank::allreduce(comm, local, multirank::maximum<>{});
    if (comm.rank() == 0 && global)
      std::printf("multi-rank result: FAILED on at least one of %d rank(s)\n", comm.size());
    rc = global ? 1 : 0;
  }
  return rc;
}
