// Progress output: log lines per 10% step, rate-limited terminal redraws, quiet short work.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "multirank/trace/progress.hpp"

namespace mt = multirank::trace;

namespace {
/// Everything written to `f` so far.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}
int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t pos = 0; (pos = s.find(what, pos)) != std::string::npos; pos += what.size()) ++n;
  return n;
}
}  // namespace

TEST(Progress, LogStyleWritesAboutEveryTenPercent) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  double clock = 0.0;
  {
    mt::ProgressOptions o;
    o.stream = f;
    o.show_after = std::chrono::seconds(0);
    o.now = [&clock] { return clock; };
    mt::Progress p(true, "sweep", 200, o);
    EXPECT_EQ(p.style(), mt::ProgressStyle::log);  // a file is not a terminal
    for (int i = 0; i < 200; ++i) {
      clock += 0.5;
      p.advance();
    }
  }
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_EQ(count(out, "\n"), 10) << out;
  EXPECT_NE(out.find("sweep: 20/200 (10%) elapsed 10.0s, ETA 1m30s"), std::string::npos) << out;
  EXPECT_NE(out.find("sweep: 200/200 (100%)"), std::string::npos) << out;
}

TEST(Progress, QuietBeforeShowAfterAndWhenDisabled) {
  std::FILE* f = std::tmpfile();
  double clock = 0.0;
  {
    mt::ProgressOptions o;
    o.stream = f;
    o.show_after = std::chrono::seconds(2);
    o.now = [&clock] { return clock; };
    mt::Progress quick(true, "quick", 10, o);
    for (int i = 0; i < 10; ++i) {
      clock += 0.1;  // all done within 1 s: nothing to show
      quick.advance();
    }
    mt::Progress off(false, "off", 10, o);
    clock += 10;
    off.update(10);
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

TEST(Progress, TerminalStyleIsRateLimited) {
  std::FILE* f = std::tmpfile();
  double clock = 0.0;
  {
    mt::ProgressOptions o;
    o.stream = f;
    o.style = mt::ProgressStyle::terminal;
    o.show_after = std::chrono::seconds(0);
    o.min_interval = std::chrono::milliseconds(100);
    o.now = [&clock] { return clock; };
    mt::Progress p(true, "map", 1000, o);
    for (int i = 0; i < 1000; ++i) {
      clock += 0.001;  // 1 s in all: about 10 redraws at 100 ms, not 1000
      p.advance();
    }
    p.finish();
  }
  const std::string out = contents(f);
  std::fclose(f);
  const int redraws = count(out, "\r");
  EXPECT_GE(redraws, 9) << out;
  EXPECT_LE(redraws, 13) << out;
  EXPECT_EQ(count(out, "\n"), 1);  // finish ends the line once
  EXPECT_NE(out.find("map: 1000/1000 (100%)"), std::string::npos);
}

TEST(Progress, FormatLine) {
  EXPECT_EQ(mt::Progress::format_line("x", 0, 4, 1.0), "x: 0/4 (0%) elapsed 1.0s, ETA ?");
  EXPECT_EQ(mt::Progress::format_line("x", 1, 4, 2.0), "x: 1/4 (25%) elapsed 2.0s, ETA 6.0s");
  EXPECT_EQ(mt::Progress::format_line("x", 4, 4, 7200.0), "x: 4/4 (100%) elapsed 2h00m, ETA 0.0s");
}
