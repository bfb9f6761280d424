// Pipelines at 1-4 ranks: exact items, end-of-stream, order, failure, figures.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <chrono>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/pipeline/pipeline.hpp"

using multirank::Communicator;
using multirank::Emit;
using multirank::kEveryRank;
using multirank::Pipeline;
using multirank::PipelineError;
using multirank::PipelineReport;
using multirank::SinkWorker;
using multirank::StageContext;
using multirank::Worker;

namespace {

/// Emits 0 .. n-1.
auto count_to(long n) {
  return [n](const StageContext&, Emit<long>& emit) {
    for (long i = 0; i < n; ++i) emit(i);
  };
}

/// Sums a value over all ranks.
long sum_over(const Communicator& comm, long v) {
  return multirank::allreduce(comm, v, std::plus<long>());
}

/// Every rank's vector, concatenated, on every rank.
std::vector<long> gather_all(const Communicator& comm, const std::vector<long>& mine) {
  std::vector<long> out = multirank::gatherv(comm, mine, 0);
  multirank::broadcast(comm, out, 0);
  return out;
}

}  // namespace

// Source -> sink on every rank: every item arrives exactly once; end-of-stream once per instance.
TEST(Pipeline, SourceToSinkDeliversEveryItemOnce) {
  const auto comm = Communicator::world();
  std::vector<long> got;
  int ends = 0;
  Pipeline p(comm);
  p.source<long>("numbers", count_to(1000));
  p.sink<long>("collect", [&](const StageContext&) {
    return SinkWorker<long>{[&](long v) { got.push_back(v); }, [&] { ++ends; }};
  }, {.ranks = kEveryRank});
  const PipelineReport report = p.run();
  auto all = gather_all(comm, got);
  std::sort(all.begin(), all.end());
  std::vector<long> want(1000);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(all, want);
  EXPECT_EQ(ends, 1);
  ASSERT_EQ(report.stages.size(), 2u);
  EXPECT_EQ(report.stages[0].items_out, 1000u);
  EXPECT_EQ(report.stages[1].items_in, 1000u);
  EXPECT_EQ(report.stages[1].ranks.size(), static_cast<std::size_t>(comm.size()));
  EXPECT_GT(report.seconds, 0.0);
}

// Three stages (source, square on every rank, keep-even on two ranks) and a pinned sink.
TEST(Pipeline, FanOutAndFanInKeepExactCounts) {
  const auto comm = Communicator::world();
  long sum = 0, count = 0;
  std::atomic<int> ends{0};
  long squared_here = 0;  // inputs this rank's "square" instance took
  Pipeline p(comm);
  p.source<long>("numbers", count_to(2000));
  p.stage<long, long>("square", [&](const StageContext&) {
    return Worker<long, long>{[&](long&& x, Emit<long>& out) {
                                ++squared_here;
                                out(x * x);
                              },
                              [&](Emit<long>&) { ++ends; }};
  }, {.ranks = kEveryRank});
  p.stage<long, long>("even", [&](const StageContext&) {
    return Worker<long, long>{[](long&& x, Emit<long>& out) { if (x % 2 == 0) out(x); }, [&](Emit<long>&) { ++ends; }};
  }, {.ranks = 2});
  p.sink<long>("sum", [&](const StageContext&) {
    return SinkWorker<long>{[&](long v) { sum += v; ++count; }, [&] { ++ends; }};
  }, {.rank = 0});
  const PipelineReport report = p.run();
  long want = 0;
  for (long i = 0; i < 2000; i += 2) want += i * i;
  if (comm.rank() == 0) {
    EXPECT_EQ(sum, want);
    EXPECT_EQ(count, 1000);
  } else {
    EXPECT_EQ(count, 0);
  }
  // Fan-out: every rank's instance took part, and together they took each input once.
  const std::vector<long> squared = multirank::allgather(comm, squared_here);
  for (int r = 0; r < comm.size(); ++r)
    EXPECT_GT(squared[static_cast<std::size_t>(r)], 0) << "rank " << r << "'s instance of square took no input";
  EXPECT_EQ(std::accumulate(squared.begin(), squared.end(), 0L), 2000);
  // end-of-stream: once per instance of every stage after the source.
  const long instances = comm.size() + std::min(2, comm.size()) + 1;
  EXPECT_EQ(sum_over(comm, ends.load()), instances);
  ASSERT_EQ(report.stages.size(), 4u);
  EXPECT_EQ(report.stages[1].items_in, 2000u);
  EXPECT_EQ(report.stages[1].items_out, 2000u);
  EXPECT_EQ(report.stages[2].items_in, 2000u);
  EXPECT_EQ(report.stages[2].items_out, 1000u);
  EXPECT_EQ(report.stages[3].items_in, 1000u);
  EXPECT_EQ(report.stages[3].ranks, std::vector<int>{0});
  EXPECT_EQ(report.stages[2].ranks.size(), static_cast<std::size_t>(std::min(2, comm.size())));
  ASSERT_NE(report.bottleneck(), nullptr);
  EXPECT_NE(report.table().find("square"), std::string::npos);
}

// An ordered sink sees source order although the middle stage runs on every rank and emits
// 0, 1 or 2 outputs per input; end-of-stream outputs come last, by instance.
TEST(Pipeline, OrderedStageSeesSourceOrder) {
  const auto comm = Communicator::world();
  std::vector<long> got;
  Pipeline p(comm);
  p.source<long>("numbers", count_to(600));
  p.stage<long, long>("spread", [](const StageContext& ctx) {
    return Worker<long, long>{[](long&& x, Emit<long>& out) {
                                // Uneven work, so instances finish out of order.
                                if (x % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
                                for (long k = 0; k < x % 3; ++k) out(x * 10 + k);
                              },
                              [ctx](Emit<long>& out) { out(-1 - ctx.instance); }};
  }, {.ranks = kEveryRank});
  p.sink<long>("in order", [&](const StageContext&) {
    return SinkWorker<long>{[&](long v) { got.push_back(v); }};
  }, {.rank = 0, .ordered = true});
  p.run();
  if (comm.rank() == 0) {
    std::vector<long> want;
    for (long x = 0; x < 600; ++x)
      for (long k = 0; k < x % 3; ++k) want.push_back(x * 10 + k);
    for (int i = 0; i < comm.size(); ++i) want.push_back(-1 - i);
    EXPECT_EQ(got, want);
  } else {
    EXPECT_TRUE(got.empty());
  }
}

// An empty source: end-of-stream still reaches every stage exactly once.
TEST(Pipeline, EmptySourceStillEndsEveryStage) {
  const auto comm = Communicator::world();
  std::atomic<int> ends{0}, items{0};
  Pipeline p(comm);
  p.source<long>("nothing", count_to(0));
  p.stage<long, long>("pass", [&](const StageContext&) {
    return Worker<long, long>{[&](long&& x, Emit<long>& out) { ++items; out(x); }, [&](Emit<long>&) { ++ends; }};
  }, {.ranks = kEveryRank});
  p.sink<long>("sink", [&](const StageContext&) {
    return SinkWorker<long>{[&](long) { ++items; }, [&] { ++ends; }};
  });
  const auto report = p.run();
  EXPECT_EQ(sum_over(comm, items.load()), 0);
  EXPECT_EQ(sum_over(comm, ends.load()), comm.size() + 1);
  EXPECT_EQ(report.stages[0].items_out, 0u);
}

// A stage that throws ends the pipeline on every rank with its message, without hanging,
// wherever it fails: in the source, a middle stage, the sink, or at end-of-stream.
TEST(Pipeline, StageFailureEndsThePipelineWithItsMessage) {
  const auto comm = Communicator::world();
  enum Where { source, middle, sink, end };
  for (Where where : {source, middle, sink, end}) {
    const auto t0 = std::chrono::steady_clock::now();
    Pipeline p(comm);
    p.source<long>("numbers", [where](const StageContext&, Emit<long>& emit) {
      // Failing at end-of-stream needs the whole stream; the other cases must stop early.
      const long n = where == end ? 2000 : 100000;
      for (long i = 0; i < n; ++i) {
        if (where == source && i == 50) throw std::runtime_error("source broke at 50");
        emit(i);
      }
    });
    p.stage<long, long>("explode", [where](const StageContext&) {
      return Worker<long, long>{[where](long&& x, Emit<long>& out) {
                                  if (where == middle && x == 37) throw std::runtime_error("cannot digest 37");
                                  out(x);
                                },
                                [where](Emit<long>&) {
                                  if (where == end) throw std::runtime_error("end-of-stream failed");
                                }};
    }, {.ranks = kEveryRank});
    p.sink<long>("sink", [where](const StageContext&) {
      return SinkWorker<long>{[where](long x) {
        if (where == sink && x == 99) throw std::logic_error("sink refused 99");
      }};
    }, {.ranks = kEveryRank});
    const std::string want = where == source ? "source broke at 50"
                             : where == middle ? "cannot digest 37"
                             : where == sink   ? "sink refused 99"
                                               : "end-of-stream failed";
    const std::string stage = where == source ? "numbers" : where == sink ? "sink" : "explode";
    try {
      p.run();
      ADD_FAILURE() << "no PipelineError for " << want;
    } catch (const PipelineError& e) {
      EXPECT_EQ(std::string(e.what()), want);
      EXPECT_EQ(e.stage(), stage);
      EXPECT_GE(e.rank(), 0);
      EXPECT_LT(e.rank(), comm.size());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (comm.rank() == 0) std::printf("failure in %s: ended after %.3f s\n", stage.c_str(), seconds);
    EXPECT_LT(seconds, where == end ? 20.0 : 3.0) << "the failure did not stop the stream early";
  }
}

TEST(Pipeline, MisuseIsAUsageError) {
  const auto comm = Communicator::world();
  Pipeline p(comm);
  EXPECT_THROW((p.stage<long, long>("first", [](const StageContext&) { return Worker<long, long>{}; })),
               multirank::UsageError);
  p.source<long>("numbers", count_to(3));
  EXPECT_THROW(p.sink<int>("wrong type", [](const StageContext&) { return SinkWorker<int>{}; }),
               multirank::UsageError);
  EXPECT_THROW((p.sink<long>("ordered twice", [](const StageContext&) { return SinkWorker<long>{}; },
                             {.ranks = 2, .ordered = true})),
               multirank::UsageError);
  EXPECT_THROW(p.run(), multirank::UsageError);  // no sink
}

// Ranks that build different chains all get a UsageError from run(), none waits for the others.
TEST(Pipeline, RanksThatBuildDifferentChainsAllGetAUsageError) {
  const auto comm = Communicator::world();
  if (comm.size() < 2) GTEST_SKIP() << "needs two ranks to disagree";
  Pipeline p(comm);
  p.source<long>("numbers", count_to(10));
  p.sink<long>(comm.rank() == 0 ? "sum" : "total", [](const StageContext&) { return SinkWorker<long>{[](long) {}}; });
  try {
    (void)p.run();
    ADD_FAILURE() << "run() of different chains went ahead";
  } catch (const multirank::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("different chains"), std::string::npos) << e.what();
  }
  // The communicator is still usable: a matching chain runs.
  Pipeline q(comm);
  long sum = 0;
  q.source<long>("numbers", count_to(10));
  q.sink<long>("sum", [&](const StageContext&) { return SinkWorker<long>{[&](long v) { sum += v; }}; }, {.rank = 0});
  (void)q.run();
  if (comm.rank() == 0) {
    EXPECT_EQ(sum, 45);
  }
}
