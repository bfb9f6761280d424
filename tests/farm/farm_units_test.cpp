// One-process checks of the farm's parts: the durable log (lock, checksums, torn last line, a bad
// line refused with its number, batched syncs), the task list's lines, and which variables of a
// launcher's environment a task must not see.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "durable_log.hpp"
#include "farm_runner.hpp"
#include "farm_status.hpp"
#include "farm_tasks.hpp"
#include "launcher_env.hpp"
#include "multirank/core/error.hpp"

namespace {

namespace fs = std::filesystem;
using multirank::UsageError;
using multirank::cli::DurableLog;
using multirank::cli::DurableLogContents;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("multirank_farm_units_" + std::to_string(::getpid()) + "_" +
                                                 std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

DurableLog::Options options() {
  DurableLog::Options o;
  o.what = "test log";
  o.flush_on_stop = false;
  return o;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(DurableLog, RecordsRoundTripWithTheirChecksums) {
  TempDir dir;
  const auto path = dir.file("a.jsonl");
  {
    auto log = DurableLog::create(path, {{"kind", "header"}}, options());
    for (int i = 0; i < 5; ++i) log->append({{"i", i}, {"text", "r\u00e9cord " + std::to_string(i)}, {"x", 0.1 * i}});
    log->flush();
  }
  const auto c = DurableLog::read(path, "test log");
  ASSERT_EQ(c.records.size(), 6u);
  EXPECT_EQ(c.records[0]["kind"], "header");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.records[static_cast<std::size_t>(i) + 1]["i"], i);
    EXPECT_FALSE(c.records[static_cast<std::size_t>(i) + 1].contains("crc32"));
  }
  EXPECT_EQ(c.lines, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_FALSE(c.torn_tail);
  EXPECT_EQ(c.valid_bytes, fs::file_size(path));
  // Each line is the compact JSON in the members' order, its crc32 last.
  const std::string text = slurp(path);
  EXPECT_NE(text.find("{\"i\":0,\"text\":\"r\xc3\xa9""cord 0\",\"x\":0.0,\"crc32\":\""), std::string::npos);
}

TEST(DurableLog, TheChecksumIsCrc32OfTheLineWithoutIt) {
  // zlib.crc32(b'{"a":1}') == 0x561bacaf (checked with Python)
  EXPECT_EQ(DurableLog::checksum("{\"a\":1}"), "561bacaf");
  EXPECT_EQ(DurableLog::line_of({{"a", 1}}), "{\"a\":1,\"crc32\":\"561bacaf\"}\n");
  // The text as written is checked: a float that another serialiser would print differently
  // (nlohmann's Grisu2 is not always the shortest form) still verifies.
  TempDir dir;
  const auto path = dir.file("floats.jsonl");
  {
    auto log = DurableLog::create(path, {{"h", 1}}, options());
    for (int i = 1; i <= 2000; ++i) log->append({{"seconds", 1.0 / (i * 7919.0) + i * 1e-7}});
  }
  EXPECT_EQ(DurableLog::read(path, "test log").records.size(), 2001u);
}

TEST(DurableLog, AnEditedRecordIsRefusedWithItsLineNumber) {
  TempDir dir;
  const auto path = dir.file("b.jsonl");
  {
    auto log = DurableLog::create(path, {{"h", 1}}, options());
    for (int i = 0; i < 4; ++i) log->append({{"task", i}, {"exit_code", 0}});
  }
  std::string text = slurp(path);
  const auto at = text.find("\"task\":2");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 8, "\"task\":7");
  spit(path, text);
  EXPECT_NE(message_of([&] { DurableLog::read(path, "test log"); }).find("line 4 fails its checksum"), std::string::npos);
  const std::string before = slurp(path);
  DurableLogContents c;
  EXPECT_THROW(DurableLog::open(path, c, options()), UsageError);
  EXPECT_EQ(slurp(path), before) << "a refused file is left as it was";
}

TEST(DurableLog, ABadLineInTheMiddleIsRefusedNotTruncated) {
  TempDir dir;
  const auto path = dir.file("c.jsonl");
  {
    auto log = DurableLog::create(path, {{"h", 1}}, options());
    for (int i = 0; i < 6; ++i) log->append({{"task", i}});
  }
  std::string text = slurp(path);
  std::size_t third = 0;
  for (int n = 0; n < 2; ++n) third = text.find('\n', third) + 1;
  text.insert(third, "some words\n");  // a line of text as line 3
  spit(path, text);
  EXPECT_NE(message_of([&] { DurableLog::read(path, "test log"); }).find("line 3 is not a JSON object"), std::string::npos);
  spit(path, slurp(path).substr(0, third) + "{\"task\":1}\n" + slurp(path).substr(third + 11));
  EXPECT_NE(message_of([&] { DurableLog::read(path, "test log"); }).find("line 3 has no checksum"), std::string::npos);
  spit(path, "\n" + slurp(path));
  EXPECT_NE(message_of([&] { DurableLog::read(path, "test log"); }).find("line 1 is not a JSON object"), std::string::npos);
}

TEST(DurableLog, ATornLastLineIsDroppedAndCutBeforeTheNextAppend) {
  TempDir dir;
  const auto path = dir.file("d.jsonl");
  {
    auto log = DurableLog::create(path, {{"h", 1}}, options());
    for (int i = 0; i < 3; ++i) log->append({{"task", i}});
  }
  const std::string whole = slurp(path);
  spit(path, whole.substr(0, whole.size() - 9));  // a write cut short
  auto c = DurableLog::read(path, "test log");
  EXPECT_TRUE(c.torn_tail);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_EQ(c.records.back()["task"], 1);
  {
    DurableLogContents opened;
    auto log = DurableLog::open(path, opened, options());
    EXPECT_EQ(opened.records.size(), 3u);
    EXPECT_EQ(fs::file_size(path), whole.size() - 9) << "nothing written before the first append";
    log->append({{"task", 9}});
    log->flush();
  }
  c = DurableLog::read(path, "test log");
  EXPECT_FALSE(c.torn_tail);
  ASSERT_EQ(c.records.size(), 4u);
  EXPECT_EQ(c.records[2]["task"], 1);
  EXPECT_EQ(c.records[3]["task"], 9);
}

TEST(DurableLog, ASecondWriterIsRefusedWhileTheFirstHoldsTheLock) {
  TempDir dir;
  const auto path = dir.file("e.jsonl");
  auto first = DurableLog::create(path, {{"h", 1}}, options());
  DurableLogContents c;
  EXPECT_NE(message_of([&] { DurableLog::open(path, c, options()); }).find("is in use by another process"),
            std::string::npos);
  // Another process's lock is what counts: flock from a separate open file description fails too.
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ::close(fd);
  first.reset();
  EXPECT_NO_THROW(DurableLog::open(path, c, options()));
}

TEST(DurableLog, AppendsReachTheFileWithinTheIntervalWithoutAFlush) {
  TempDir dir;
  const auto path = dir.file("f.jsonl");
  auto o = options();
  o.interval = std::chrono::milliseconds(50);
  auto log = DurableLog::create(path, {{"h", 1}}, o);
  const auto size0 = fs::file_size(path);
  log->append({{"task", 1}});
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (fs::file_size(path) == size0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GT(fs::file_size(path), size0);
  EXPECT_EQ(DurableLog::read(path, "test log").records.size(), 2u);
}

TEST(DurableLog, SealingDropsLaterAppends) {
  TempDir dir;
  const auto path = dir.file("g.jsonl");
  auto log = DurableLog::create(path, {{"h", 1}}, options());
  log->append({{"task", 1}});
  log->seal();
  log->append({{"task", 2}});
  log.reset();
  const auto c = DurableLog::read(path, "test log");
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1]["task"], 1);
}

TEST(DurableLog, ACreateOverAnExistingFileIsRefused) {
  TempDir dir;
  const auto path = dir.file("h.jsonl");
  spit(path, "");
  EXPECT_THROW(DurableLog::create(path, {{"h", 1}}, options()), UsageError);
}

TEST(FarmStatus, RecordsAreValidatedAndMatchedByLineAndCommand) {
  TempDir dir;
  const auto tasks = dir.file("tasks.txt");
  spit(tasks, "true\nfalse\n");
  const auto path = dir.file("s.jsonl");
  using multirank::cli::farm::Attempt;
  using multirank::cli::farm::StatusFile;
  {
    StatusFile s(path, tasks, false);
    s.start();
    Attempt a;
    a.task = 1;
    a.command = "true";
    s.record(a);
    a.task = 2;
    a.command = "false";
    a.exit_code = 1;
    s.record(a);
    a.attempt = 2;
    s.record(a);
    s.flush();
  }
  {
    StatusFile again(path, tasks, true);
    EXPECT_EQ(again.resumed_records(), 3u);
    ASSERT_TRUE(again.last(1, "true"));
    EXPECT_EQ(again.last(1, "true")->exit_code, 0);
    ASSERT_TRUE(again.last(2, "false"));
    EXPECT_EQ(again.last(2, "false")->attempt, 2);
    EXPECT_FALSE(again.last(2, "false # edited"));
    EXPECT_FALSE(again.last(3, "true"));
    EXPECT_NE(message_of([&] { StatusFile(path, tasks, true); }).find("in use by another process"), std::string::npos);
  }
  EXPECT_NE(message_of([&] { StatusFile(path, tasks, false); }).find("already exists"), std::string::npos);
  const auto other = dir.file("other.txt");
  spit(other, "true\n");
  EXPECT_NE(message_of([&] { StatusFile(path, other, true); }).find("belongs to the task list"), std::string::npos);
}

TEST(FarmTasks, LinesCommentsBarriers) {
  using multirank::cli::farm::classify;
  using Kind = multirank::cli::farm::TaskLine::Kind;
  EXPECT_FALSE(classify("", 1));
  EXPECT_FALSE(classify("   \t", 2));
  EXPECT_FALSE(classify("# a comment", 3));
  EXPECT_FALSE(classify("   # indented comment", 4));
  EXPECT_FALSE(classify("#MULTIRANK BARRIERS", 5));
  auto b = classify("#MULTIRANK BARRIER  \r", 6);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, Kind::barrier);
  auto c = classify("echo 'a # b'\r", 7);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::command);
  EXPECT_EQ(c->command, "echo 'a # b'");
  EXPECT_EQ(c->line, 7);
}

TEST(FarmTasks, TheSourceNumbersLinesAndCountsCommands) {
  TempDir dir;
  const auto path = dir.file("t.txt");
  spit(path, "a\n\n# c\nb\n#MULTIRANK BARRIER\nc");  // no newline after the last line
  multirank::cli::farm::TaskSource source(path, 2);
  std::vector<std::pair<std::int64_t, std::string>> got;
  multirank::cli::farm::TaskLine e;
  using Status = multirank::cli::farm::TaskSource::Status;
  for (;;) {
    const auto st = source.next(e, std::chrono::milliseconds(1000));
    if (st == Status::end) break;
    if (st == Status::entry)
      got.emplace_back(e.line, e.kind == multirank::cli::farm::TaskLine::Kind::barrier ? "|" : e.command);
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::int64_t, std::string>>{{1, "a"}, {4, "b"}, {5, "|"}, {6, "c"}}));
  ASSERT_TRUE(source.total_commands());
  EXPECT_EQ(*source.total_commands(), 3u);
  EXPECT_THROW(multirank::cli::farm::TaskSource(dir.file("missing.txt")), UsageError);
}

TEST(FarmEnvironment, LauncherVariablesGoUserSettingsStay) {
  // The farm strips what multirank::cli::is_launcher_variable (launcher_env.hpp) says; the farm's
  // view of it, for a rank's environment as it starts (before MPI_Init).
  const auto launcher_variable = [](const char* v) { return multirank::cli::is_launcher_variable(v); };
  // Open MPI 4.1's mpirun and MPI_Init, and a singleton.
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_MCA_ess", "OMPI_MCA_ess_base_jobid",
                        "OMPI_MCA_orte_hnp_uri", "OMPI_MCA_orte_precondition_transports", "OMPI_MCA_pmix",
                        "OMPI_MCA_initial_wdir", "OMPI_MCA_mpi_oversubscribe", "OMPI_MCA_shmem_RUNTIME_QUERY_hint",
                        "OMPI_UNIVERSE_SIZE", "OMPI_APP_CTX_NUM_PROCS", "OMPI_NUM_APP_CTX", "OMPI_FIRST_RANKS",
                        "OMPI_COMMAND", "OMPI_FILE_LOCATION", "PMIX_RANK", "PMIX_SERVER_URI41",
                        "ORTE_SCHIZO_DETECTION", "HFI_NO_BACKTRACE", "IPATH_NO_BACKTRACE"})
    EXPECT_TRUE(launcher_variable(v)) << v;
  // MPICH 4.0's Hydra (mpiexec.mpich), and Slurm's PMI-2.
  for (const char* v : {"PMI_RANK", "PMI_SIZE", "PMI_FD", "PMI_PORT", "PMI_ID", "HYDI_CONTROL_FD", "MPI_LOCALNRANKS",
                        "MPI_LOCALRANKID", "MPIR_CVAR_CH3_INTERFACE_HOSTNAME", "GFORTRAN_UNBUFFERED_PRECONNECTED"})
    EXPECT_TRUE(launcher_variable(v)) << v;
  // The user's own settings.
  for (const char* v : {"OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "OMPI_MCA_btl", "OMPI_MCA_btl_tcp_if_include",
                        "OMPI_MCA_rmaps_base_oversubscribe", "OMPI_MCA_mpi_yield_when_idle", "OMPI_MCA_hwloc_base_binding_policy",
                        "MPIR_CVAR_ASYNC_PROGRESS", "HYDRA_HOST_FILE", "SLURM_JOB_ID", "PMIX_MCA_gds", "PATH", "HOME",
                        "PMIXED", "OMPI_MCA_pmix_base_verbose"})
    EXPECT_FALSE(launcher_variable(v)) << v;
}

TEST(FarmEnvironment, TheTasksGetTheRankAndSizeAndNoStaleFarmVariables) {
  const std::vector<std::string> env{"PATH=/bin", "OMPI_COMM_WORLD_RANK=3", "PMI_RANK=3", "MULTIRANK_TASK=9",
                                     "MULTIRANK_RANK=7", "OMPI_ALLOW_RUN_AS_ROOT=1", "X=a=b"};
  const auto out = multirank::cli::farm::task_environment(env, 1, 4);
  EXPECT_EQ(out, (std::vector<std::string>{"PATH=/bin", "OMPI_ALLOW_RUN_AS_ROOT=1", "X=a=b", "MULTIRANK_RANK=1",
                                           "MULTIRANK_SIZE=4"}));
  // The startup environment was taken before main: this test's own PATH is in it.
  const auto& startup = multirank::cli::farm::startup_environment();
  EXPECT_TRUE(std::any_of(startup.begin(), startup.end(), [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }));
}

}  // namespace
