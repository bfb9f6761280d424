// Study files at 1..4 ranks: a collective write read back field by field, appending, refusals,
// damaged and foreign inputs, and atomicity (a failed write leaves the previous file intact).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/study/study_file.hpp"

namespace ms = multirank::study;
namespace fs = std::filesystem;
using multirank::Communicator;

namespace {

/// A fresh directory, the same on every rank (rank 0 creates it and sends its name).
std::string shared_temp_dir(const Communicator& comm) {
  std::string dir;
  if (comm.rank() == 0) {
    std::string templ = (fs::temp_directory_path() / "multirank-study-test-XXXXXX").string();
    dir = mkdtemp(templ.data());
    for (int r = 1; r < comm.size(); ++r) comm.send(r, multirank::Tag{3}, dir);
  } else {
    dir = comm.recv<std::string>(0, multirank::Tag{3});
  }
  return dir;
}

/// A run with samples from rank 0 and `rank + 1` task records from every rank.
ms::RunRecord sample_run(const Communicator& comm, const std::string& app) {
  ms::RunRecord r = ms::begin_run(comm, app, R"({"n": 1000000, "chunk": 4})", "strong");
  r.start_utc = "2024-05-01T10:00:00.000Z";  // ranks stamp their own clocks; the test compares exact values
  r.end_utc = "2024-05-01T10:05:00.000Z";
  r.reps = 3;
  r.warmups = 1;
  r.tasks_p = comm.size();
  r.tasks_rep = 2;
  for (int p : {1, 2, 4})
    for (int rep = 0; rep < 3; ++rep)
      r.samples.push_back({p, rep, 12.0 / p + 0.1 * rep, 11.0 / p + 0.1 * rep, 12.0 / p + 0.1 * rep});
  for (int i = 0; i <= comm.rank(); ++i) {
    multirank::TaskRecord t;
    t.task_id = comm.rank() * 100 + i;
    t.rank = comm.rank();
    t.pid = multirank::process_id();
    t.host = multirank::host_name();
    t.queued = 1.0 * i;
    t.start = 1.0 * i + 0.25;
    t.end = 1.0 * i + 0.75 + 0.01 * comm.rank();
    t.bytes_in = 8u * static_cast<unsigned>(i);
    t.bytes_out = 16u + static_cast<unsigned>(comm.rank());
    t.attempt = 1 + i;
    t.exit_code = i == 0 ? 0 : 128 + 9;
    // Commands of different lengths on every rank: the writer must agree on one member size.
    t.command = "./step --rank " + std::to_string(comm.rank()) + " " + std::string(static_cast<std::size_t>(7 * comm.rank() + i), 'a');
    r.tasks.push_back(t);
  }
  return r;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The same exception type on every rank, with `needle` in its message.
template <class E, class F>
void expect_throw_containing(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needle;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

class StudyFile : public testing::Test {
 protected:
  void SetUp() override { dir_ = shared_temp_dir(comm_); }
  void TearDown() override {
    comm_.barrier();
    if (comm_.rank() == 0) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  /// Files in the test directory (no temporaries may be left behind).
  std::vector<std::string> listing() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  Communicator comm_ = Communicator::world();
  std::string dir_;
};

TEST_F(StudyFile, RoundTripKeepsEveryField) {
  const ms::RunRecord in = sample_run(comm_, "rangesum");
  const std::string out = path("study.h5");
  EXPECT_EQ(ms::write_run(comm_, out, in, ms::WriteMode::create), "run_0001");
  EXPECT_EQ(listing(), std::vector<std::string>{"study.h5"});

  const ms::StudyFile f = ms::read_study(out);  // every rank reads it back
  EXPECT_EQ(f.info.schema_version, ms::kSchemaVersion);
  EXPECT_EQ(f.info.format, "multirank-study");
  EXPECT_FALSE(f.info.multirank_version.empty());
  EXPECT_FALSE(f.info.git_commit.empty());
  EXPECT_FALSE(f.info.compiler.empty());
#ifdef OPEN_MPI
  EXPECT_NE(f.info.mpi_library_version.find("Open MPI"), std::string::npos) << f.info.mpi_library_version;
#else
  EXPECT_NE(f.info.mpi_library_version.find("MPICH"), std::string::npos) << f.info.mpi_library_version;
#endif
  EXPECT_EQ(f.info.hdf5_version.rfind("1.", 0), 0u) << f.info.hdf5_version;
  ASSERT_EQ(f.runs.size(), 1u);
  const ms::RunRecord& r = f.runs[0];
  EXPECT_EQ(r.name, "run_0001");
  EXPECT_EQ(r.command_line, in.command_line);
  EXPECT_NE(r.command_line.find("test_study_file"), std::string::npos) << r.command_line;
  EXPECT_EQ(r.app, "rangesum");
  EXPECT_EQ(r.options_json, in.options_json);
  EXPECT_EQ(r.mode, "strong");
  EXPECT_EQ(r.ranks, (std::vector<std::int32_t>{1, 2, 4}));
  EXPECT_EQ(r.reps, 3);
  EXPECT_EQ(r.warmups, 1);
  EXPECT_EQ(r.world_size, comm_.size());
  EXPECT_EQ(r.start_utc, in.start_utc);
  EXPECT_EQ(r.end_utc, in.end_utc);
  EXPECT_EQ(r.hosts, in.hosts);
  EXPECT_EQ(r.hosts, std::vector<std::string>{multirank::host_name()});
  EXPECT_EQ(r.rank_hosts, std::vector<std::int32_t>(static_cast<std::size_t>(comm_.size()), 0));
  EXPECT_EQ(r.slurm_job_id, in.slurm_job_id);
  EXPECT_EQ(r.binding, in.binding);
  EXPECT_NE(r.binding.find("affinity: 0="), std::string::npos) << r.binding;
  if (comm_.rank() == 0) {
    EXPECT_EQ(r.environment, in.environment);  // rank 0's variables (some are per rank)
  }
  // ctest sets this for every MPI test, so begin_run must have captured it.
  EXPECT_NE(std::find(r.environment.begin(), r.environment.end(), "OMP_NUM_THREADS=1"), r.environment.end());
  EXPECT_EQ(r.tasks_p, comm_.size());
  EXPECT_EQ(r.tasks_rep, 2);
  EXPECT_EQ(r.metric, "wall");
  EXPECT_FALSE(r.program.has_value());
  EXPECT_TRUE(r.outputs.empty());

  ASSERT_EQ(r.samples.size(), in.samples.size());
  for (std::size_t i = 0; i < r.samples.size(); ++i) {
    EXPECT_EQ(r.samples[i].p, in.samples[i].p);
    EXPECT_EQ(r.samples[i].rep, in.samples[i].rep);
    EXPECT_DOUBLE_EQ(r.samples[i].wall_seconds, in.samples[i].wall_seconds);
    EXPECT_DOUBLE_EQ(r.samples[i].rank_min_seconds, in.samples[i].rank_min_seconds);
    EXPECT_DOUBLE_EQ(r.samples[i].rank_max_seconds, in.samples[i].rank_max_seconds);
    EXPECT_DOUBLE_EQ(r.samples[i].metric, in.samples[i].wall_seconds);  // metric "wall": the wall time
    EXPECT_EQ(r.samples[i].exit_code, 0);
  }
  // The writer computed the summary: medians 12.1, 6.1, 3.1; speedup 12.1/6.1 and 12.1/3.1.
  ASSERT_EQ(r.summary.size(), 3u);
  EXPECT_EQ(r.summary[0].p, 1);
  EXPECT_EQ(r.summary[0].n, 3);
  EXPECT_DOUBLE_EQ(r.summary[0].median, 12.1);
  EXPECT_DOUBLE_EQ(r.summary[0].min, 12.0);
  EXPECT_NEAR(r.summary[0].max, 12.2, 1e-12);
  EXPECT_TRUE(std::isnan(r.summary[0].karp_flatt));
  EXPECT_NEAR(r.summary[1].speedup, 12.1 / 6.1, 1e-12);
  EXPECT_NEAR(r.summary[2].speedup, 12.1 / 3.1, 1e-12);
  EXPECT_NEAR(r.summary[2].efficiency, 12.1 / 3.1 / 4, 1e-12);
  EXPECT_NEAR(r.summary[2].karp_flatt, (3.1 / 12.1 - 0.25) / 0.75, 1e-12);
  EXPECT_DOUBLE_EQ(r.summary[1].ci_coverage, 0.75);  // n = 3: 1 - 2/8
  ASSERT_TRUE(r.serial_fraction.has_value());
  EXPECT_EQ(r.fit_law, "amdahl");

  // Every rank's tasks, in rank order, each field intact.
  const std::size_t expected_tasks = static_cast<std::size_t>(comm_.size() * (comm_.size() + 1) / 2);
  ASSERT_EQ(r.tasks.size(), expected_tasks);
  std::size_t k = 0;
  for (int rank = 0; rank < comm_.size(); ++rank) {
    for (int i = 0; i <= rank; ++i, ++k) {
      const auto& t = r.tasks[k];
      EXPECT_EQ(t.task_id, rank * 100 + i);
      EXPECT_EQ(t.rank, rank);
      EXPECT_GT(t.pid, 0);
      EXPECT_EQ(t.host, multirank::host_name());
      EXPECT_DOUBLE_EQ(t.queued, 1.0 * i);
      EXPECT_DOUBLE_EQ(t.start, 1.0 * i + 0.25);
      EXPECT_DOUBLE_EQ(t.end, 1.0 * i + 0.75 + 0.01 * rank);
      EXPECT_EQ(t.bytes_in, 8u * static_cast<unsigned>(i));
      EXPECT_EQ(t.bytes_out, 16u + static_cast<unsigned>(rank));
      EXPECT_EQ(t.attempt, 1 + i);
      EXPECT_EQ(t.exit_code, i == 0 ? 0 : 137);
      EXPECT_EQ(t.command, "./step --rank " + std::to_string(rank) + " " + std::string(static_cast<std::size_t>(7 * rank + i), 'a'));
    }
  }
  // This rank's own records carry its pid.
  for (const auto& t : r.tasks)
    if (t.rank == comm_.rank()) {
      EXPECT_EQ(t.pid, multirank::process_id());
    }
}

TEST_F(StudyFile, AppendAddsRunsAndKeepsTheFirst) {
  const std::string out = path("study.h5");
  ms::RunRecord first = sample_run(comm_, "rangesum");
  ms::RunRecord second = sample_run(comm_, "factorial");
  second.mode = "weak";
  second.tasks.clear();  // a run without task records
  EXPECT_EQ(ms::write_run(comm_, out, first, ms::WriteMode::append), "run_0001");  // append creates
  EXPECT_EQ(ms::write_run(comm_, out, second, ms::WriteMode::append), "run_0002");
  EXPECT_EQ(listing(), std::vector<std::string>{"study.h5"});
  const auto runs = ms::read_runs(out);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "run_0001");
  EXPECT_EQ(runs[0].app, "rangesum");
  EXPECT_EQ(runs[0].tasks.size(), static_cast<std::size_t>(comm_.size() * (comm_.size() + 1) / 2));
  EXPECT_EQ(runs[1].name, "run_0002");
  EXPECT_EQ(runs[1].app, "factorial");
  EXPECT_EQ(runs[1].mode, "weak");
  EXPECT_EQ(runs[1].fit_law, "gustafson");
  EXPECT_TRUE(runs[1].tasks.empty());
  EXPECT_EQ(runs[1].samples.size(), 9u);
}

TEST_F(StudyFile, RefusesToClobber) {
  const std::string out = path("study.h5");
  const ms::RunRecord run = sample_run(comm_, "rangesum");
  ms::write_run(comm_, out, run);
  comm_.barrier();
  const std::string before = file_bytes(out);
  comm_.barrier();
  expect_throw_containing<multirank::UsageError>([&] { ms::write_run(comm_, out, run, ms::WriteMode::create); },
                                                 "--force");
  EXPECT_EQ(file_bytes(out), before);
  EXPECT_THROW(ms::check_output(out, ms::WriteMode::create), multirank::UsageError);
  EXPECT_NO_THROW(ms::check_output(out, ms::WriteMode::replace));

  // A foreign file is never overwritten, not even with force.
  const std::string text = path("notes.txt");
  if (comm_.rank() == 0) std::ofstream(text) << "precious notes\n";
  comm_.barrier();
  expect_throw_containing<multirank::UsageError>([&] { ms::write_run(comm_, text, run, ms::WriteMode::replace); },
                                                 "not an HDF5 file");
  EXPECT_EQ(file_bytes(text), "precious notes\n");
  EXPECT_THROW((void)ms::write_mode(true, true), multirank::UsageError);
  EXPECT_EQ(ms::write_mode(true, false), ms::WriteMode::replace);

  // Replacing with force gives a file with only the new run.
  ms::RunRecord other = sample_run(comm_, "imbalance");
  ms::write_run(comm_, out, other, ms::WriteMode::replace);
  const auto runs = ms::read_runs(out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].app, "imbalance");
  EXPECT_EQ(listing(), (std::vector<std::string>{"notes.txt", "study.h5"}));
}

TEST_F(StudyFile, FailedWriteLeavesNothingBehind) {
  const std::string out = path("study.h5");
  const ms::RunRecord run = sample_run(comm_, "rangesum");
  ms::WriteOptions failing;
  // Alone, a failure anywhere is an exception; with several writers only one after the file is
  // closed is (earlier, the writer aborts the job: atomic_outputs.sh tests that).
  const std::string failing_stage = comm_.size() > 1 ? "closed" : "tasks";
  failing.on_stage = [failing_stage](const std::string& stage) {
    if (stage == failing_stage) throw std::runtime_error("disk full (simulated)");
  };
  // No file yet: a failure midway leaves no file under the final name, and no temporary.
  expect_throw_containing<ms::Hdf5Error>([&] { ms::write_run(comm_, out, run, ms::WriteMode::create, failing); },
                                         "disk full (simulated)");
  comm_.barrier();
  EXPECT_EQ(listing(), std::vector<std::string>{});
  comm_.barrier();  // every rank has looked before the next write makes its lock file

  // A good file exists: a failed replace or append leaves it exactly as it was.
  ms::write_run(comm_, out, run);
  comm_.barrier();
  const std::string before = file_bytes(out);
  comm_.barrier();
  EXPECT_THROW(ms::write_run(comm_, out, sample_run(comm_, "other"), ms::WriteMode::replace, failing), ms::Hdf5Error);
  EXPECT_THROW(ms::write_run(comm_, out, sample_run(comm_, "other"), ms::WriteMode::append, failing), ms::Hdf5Error);
  comm_.barrier();
  EXPECT_EQ(file_bytes(out), before);
  EXPECT_EQ(listing(), std::vector<std::string>{"study.h5"});
  EXPECT_EQ(ms::read_runs(out).at(0).app, "rangesum");
}

TEST_F(StudyFile, ReaderRefusesBadFilesInOneLine) {
  const std::string good = path("good.h5");
  ms::write_run(comm_, good, sample_run(comm_, "rangesum"));
  const std::string truncated = path("truncated.h5");
  const std::string foreign = path("foreign.h5");
  const std::string version = path("version.h5");
  const std::string text = path("text.h5");
  if (comm_.rank() == 0) {
    const std::string bytes = file_bytes(good);
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    std::ofstream(text) << "not hdf5 at all\n";
    const hid_t f = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Fclose(f);
    fs::copy_file(good, version);
    const hid_t v = H5Fopen(version.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t a = H5Aopen(v, "schema_version", H5P_DEFAULT);
    const int future = 99;
    H5Awrite(a, H5T_NATIVE_INT, &future);
    H5Aclose(a);
    H5Fclose(v);
  }
  comm_.barrier();
  const auto one_line = [](const std::string& file, const std::string& needle) {
    try {
      (void)ms::read_study(file);
      ADD_FAILURE() << file << " was read";
    } catch (const multirank::UsageError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.rfind(file, 0), 0u) << what;  // names the file first
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
  };
  one_line(truncated, "truncated or damaged");
  one_line(foreign, "not a multirank study file");
  one_line(version, "schema_version 99 is not supported");
  one_line(text, "not an HDF5 file");
  one_line(path("missing.h5"), "no such file");
  EXPECT_EQ(ms::inspect_file(good).kind, ms::FileCheck::Kind::study);
  // Appending to a newer schema is refused too (an older one is rewritten: see above).
  EXPECT_THROW(ms::check_output(version, ms::WriteMode::append), multirank::UsageError);
}

/// A program run (schema version 2): its metric, provenance, every sample's metric, wall time
/// and exit code, and the kept output per p, NUL bytes included.
ms::RunRecord program_run(const Communicator& comm) {
  ms::RunRecord r = sample_run(comm, "bench_prog");
  r.options_json = R"({"args":["--n","{p}000"],"launcher":"mpirun -n {p}"})";
  r.metric = "json:seconds";
  r.program = ms::ProgramInfo{"/opt/bench/bench_prog", 123456, std::string(64, 'f')};
  for (auto& s : r.samples) {
    s.metric = s.wall_seconds / 2;
    s.exit_code = 0;
    s.rank_min_seconds = s.rank_max_seconds = std::nan("");
  }
  for (int p : {1, 2, 4}) {
    ms::ProgramOutput o;
    o.p = p;
    o.rep = 2;
    o.stdout_text = "{\"seconds\": " + std::to_string(p) + "}\n" + std::string(1, '\0') + "binary";
    o.stderr_text = p == 4 ? std::string(5000, 'e') : "";
    o.stdout_bytes = o.stdout_text.size() + 10;  // as if cut
    o.stderr_bytes = o.stderr_text.size();
    r.outputs.push_back(o);
  }
  return r;
}

TEST_F(StudyFile, ProgramRunKeepsMetricProvenanceAndOutputs) {
  const ms::RunRecord in = program_run(comm_);
  const std::string out = path("program.h5");
  EXPECT_EQ(ms::write_run(comm_, out, in, ms::WriteMode::create), "run_0001");
  const ms::RunRecord r = ms::read_study(out).runs.at(0);
  EXPECT_EQ(r.metric, "json:seconds");
  ASSERT_TRUE(r.program.has_value());
  EXPECT_EQ(r.program->path, "/opt/bench/bench_prog");
  EXPECT_EQ(r.program->size, 123456u);
  EXPECT_EQ(r.program->sha256, std::string(64, 'f'));
  ASSERT_EQ(r.samples.size(), in.samples.size());
  for (std::size_t i = 0; i < r.samples.size(); ++i) {
    EXPECT_DOUBLE_EQ(r.samples[i].metric, in.samples[i].wall_seconds / 2);
    EXPECT_DOUBLE_EQ(r.samples[i].wall_seconds, in.samples[i].wall_seconds);
    EXPECT_TRUE(std::isnan(r.samples[i].rank_min_seconds));
  }
  // The summary is of the metric, not of the wall time.
  EXPECT_DOUBLE_EQ(r.summary.at(0).median, 12.1 / 2);
  ASSERT_EQ(r.outputs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.outputs[i].p, in.outputs[i].p);
    EXPECT_EQ(r.outputs[i].rep, 2);
    EXPECT_EQ(r.outputs[i].stdout_text, in.outputs[i].stdout_text);
    EXPECT_EQ(r.outputs[i].stderr_text, in.outputs[i].stderr_text);
    EXPECT_EQ(r.outputs[i].stdout_bytes, in.outputs[i].stdout_bytes);
  }
  // The regression key holds the argument template only; the launcher is provenance.
  EXPECT_EQ(ms::comparison_options(r), R"({"args":["--n","{p}000"]})");
}

TEST_F(StudyFile, AppendingToVersionOneRewritesItAsVersionTwo) {
  const std::string out = path("old.h5");
  if (comm_.rank() == 0) fs::copy_file(MULTIRANK_V1_FIXTURE, out);
  comm_.barrier();
  const ms::StudyFile old = ms::read_study(out);
  EXPECT_EQ(old.info.schema_version, 1);
  ASSERT_EQ(old.runs.size(), 2u);
  EXPECT_EQ(old.runs[0].metric, "wall");  // version 1: the defaults
  EXPECT_EQ(old.runs[0].tasks.size(), 6u);
  EXPECT_EQ(old.runs[0].tasks[0].attempt, 1);
  EXPECT_EQ(old.runs[0].tasks[0].command, "");
  EXPECT_DOUBLE_EQ(old.runs[0].samples[3].metric, old.runs[0].samples[3].wall_seconds);
  EXPECT_NO_THROW(ms::check_output(out, ms::WriteMode::append));

  EXPECT_EQ(ms::write_run(comm_, out, program_run(comm_), ms::WriteMode::append), "run_0003");
  EXPECT_EQ(listing(), std::vector<std::string>{"old.h5"});
  const ms::StudyFile upgraded = ms::read_study(out);
  EXPECT_EQ(upgraded.info.schema_version, ms::kSchemaVersion);
  EXPECT_EQ(upgraded.info.created_utc, old.info.created_utc);  // the file's own history is kept
  EXPECT_EQ(upgraded.info.git_commit, old.info.git_commit);
  ASSERT_EQ(upgraded.runs.size(), 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& a = old.runs[i];
    const auto& b = upgraded.runs[i];
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.app, a.app);
    EXPECT_EQ(b.command_line, a.command_line);
    EXPECT_EQ(b.start_utc, a.start_utc);
    EXPECT_EQ(b.metric, "wall");
    ASSERT_EQ(b.samples.size(), a.samples.size());
    for (std::size_t k = 0; k < a.samples.size(); ++k) EXPECT_DOUBLE_EQ(b.samples[k].wall_seconds, a.samples[k].wall_seconds);
    ASSERT_EQ(b.summary.size(), a.summary.size());
    for (std::size_t k = 0; k < a.summary.size(); ++k) EXPECT_DOUBLE_EQ(b.summary[k].median, a.summary[k].median);
    ASSERT_EQ(b.tasks.size(), a.tasks.size());
    for (std::size_t k = 0; k < a.tasks.size(); ++k) {
      EXPECT_EQ(b.tasks[k].task_id, a.tasks[k].task_id);
      EXPECT_EQ(b.tasks[k].host, a.tasks[k].host);
      EXPECT_DOUBLE_EQ(b.tasks[k].end, a.tasks[k].end);
    }
  }
  EXPECT_EQ(upgraded.runs[2].metric, "json:seconds");
  EXPECT_EQ(upgraded.runs[2].outputs.size(), 3u);
}

}  // namespace
