// The text timeline, drawn by hand at a small width.
#include <gtest/gtest.h>

#include "multirank/core/error.hpp"
#include "multirank/trace/timeline.hpp"

namespace mt = multirank::trace;
using multirank::TaskRecord;

namespace {
TaskRecord task(std::int64_t id, int rank, double start, double end) {
  TaskRecord t;
  t.task_id = id;
  t.rank = rank;
  t.start = start;
  t.end = end;
  return t;
}
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}
}  // namespace

TEST(Timeline, DrawsTasksAndIdleTimePerRank) {
  // 10 s over 10 columns: one column per second.
  const std::vector<TaskRecord> tasks{task(1, 0, 0, 5), task(5, 0, 5, 10), task(2, 1, 0, 3), task(7, 2, 9, 10)};
  const auto l = lines(mt::text_timeline(tasks, 10, 4));
  ASSERT_EQ(l.size(), 5u);
  EXPECT_NE(l[0].find("10 s"), std::string::npos) << l[0];
  EXPECT_EQ(l[1], "rank 0: [1==][5==]");
  EXPECT_EQ(l[2], "rank 1: [2]-------");
  EXPECT_EQ(l[3], "rank 2: ---------#");
  EXPECT_EQ(l[4], "rank 3: ----------");
}

TEST(Timeline, RejectsTinyWidth) {
  EXPECT_THROW((void)mt::text_timeline({}, 3), multirank::UsageError);
  EXPECT_EQ(mt::text_timeline({}, 10), "(no tasks)\n");
}
