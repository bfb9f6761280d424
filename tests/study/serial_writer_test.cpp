// The study writer's serial mode, in a process that never initialises MPI (as the driver of
// `multirank study ... exec`): parallel HDF5 1.10 writes through its default sec2 driver then.
// Creating, appending, task records with commands, a program's outputs, rewriting a version-1
// file as version 2, and a failed write leaving the file as it was.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "multirank/core/error.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/study/study_file.hpp"

namespace ms = multirank::study;
namespace fs = std::filesystem;

namespace {

bool mpi_initialized() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  return initialized != 0;
}

class SerialWriter : public testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "multirank-serial-XXXXXX").string();
    dir_ = mkdtemp(templ.data());
  }
  void TearDown() override {
    fs::remove_all(dir_);
    EXPECT_FALSE(mpi_initialized());  // nothing on the way called MPI_Init
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::vector<std::string> listing() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string dir_;
};

ms::RunRecord driver_run() {
  ms::RunRecord r = ms::begin_serial_run("prog", R"({"args":["--size","{p}"],"launcher":"mpirun -n {p}"})", "weak",
                                         {"PATH=/bin", "OMP_NUM_THREADS=2", "SLURM_JOB_ID=7", "OMPI_MCA_btl=self"});
  r.metric = "regex:time ([0-9.]+)";
  r.program = ms::ProgramInfo{"/tmp/prog", 42, std::string(64, '0')};
  r.reps = 4;
  for (int p : {1, 2, 3})
    for (int rep = 0; rep < 4; ++rep) {
      ms::Sample s;
      s.p = p;
      s.rep = rep;
      s.wall_seconds = 1.0 + 0.1 * p;
      s.rank_min_seconds = s.rank_max_seconds = std::nan("");
      s.metric = 0.5 + 0.01 * rep;
      r.samples.push_back(s);
    }
  r.outputs.push_back({1, 3, 0, "time 0.53\n", "", 10, 0});
  multirank::TaskRecord t;
  t.task_id = 1;
  t.rank = 0;
  t.host = "elsewhere";
  t.command = "sleep 1";
  t.attempt = 2;
  t.exit_code = 1;
  r.tasks.push_back(t);
  return r;
}

TEST_F(SerialWriter, WritesAndReadsWithoutMpi) {
  ASSERT_FALSE(mpi_initialized());
  const std::string out = path("s.h5");
  EXPECT_EQ(ms::write_run(out, driver_run(), ms::WriteMode::create), "run_0001");
  EXPECT_EQ(ms::write_run(out, driver_run(), ms::WriteMode::append), "run_0002");
  EXPECT_EQ(listing(), std::vector<std::string>{"s.h5"});
  const ms::StudyFile f = ms::read_study(out);
  EXPECT_EQ(f.info.schema_version, 2);
  EXPECT_NE(f.info.mpi_library_version.find("MPI"), std::string::npos) << f.info.mpi_library_version;
  ASSERT_EQ(f.runs.size(), 2u);
  const ms::RunRecord& r = f.runs[1];
  EXPECT_EQ(r.app, "prog");
  EXPECT_EQ(r.mode, "weak");
  EXPECT_EQ(r.world_size, 1);
  EXPECT_EQ(r.metric, "regex:time ([0-9.]+)");
  EXPECT_EQ(r.program->sha256, std::string(64, '0'));
  // Only the SLURM_*, OMPI_MCA_* and OMP_* variables of the environment given, sorted.
  EXPECT_EQ(r.environment, (std::vector<std::string>{"OMPI_MCA_btl=self", "OMP_NUM_THREADS=2", "SLURM_JOB_ID=7"}));
  EXPECT_EQ(r.hosts, (std::vector<std::string>{multirank::host_name(), "elsewhere"}));
  ASSERT_EQ(r.summary.size(), 3u);
  EXPECT_DOUBLE_EQ(r.summary[2].median, 0.515);  // of the metric
  EXPECT_DOUBLE_EQ(r.summary[2].efficiency, 1.0);
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(r.tasks[0].command, "sleep 1");
  EXPECT_EQ(r.tasks[0].host, "elsewhere");
  EXPECT_EQ(r.tasks[0].attempt, 2);
  EXPECT_EQ(r.tasks[0].exit_code, 1);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].stdout_text, "time 0.53\n");
}

TEST_F(SerialWriter, RewritesAVersionOneFileWhenAppending) {
  const std::string out = path("v1.h5");
  fs::copy_file(MULTIRANK_V1_FIXTURE, out);
  EXPECT_EQ(ms::read_study(out).info.schema_version, 1);
  EXPECT_EQ(ms::write_run(out, driver_run(), ms::WriteMode::append), "run_0003");
  const ms::StudyFile f = ms::read_study(out);
  EXPECT_EQ(f.info.schema_version, 2);
  ASSERT_EQ(f.runs.size(), 3u);
  EXPECT_EQ(f.runs[0].app, "rangesum");
  EXPECT_EQ(f.runs[0].tasks.size(), 6u);
  EXPECT_EQ(f.runs[1].app, "imbalance");
  EXPECT_EQ(f.runs[2].app, "prog");
  EXPECT_EQ(listing(), std::vector<std::string>{"v1.h5"});
}

TEST_F(SerialWriter, AFailedWriteLeavesTheFileAsItWas) {
  const std::string out = path("s.h5");
  ms::write_run(out, driver_run());
  std::ifstream before_in(out, std::ios::binary);
  const std::string before((std::istreambuf_iterator<char>(before_in)), std::istreambuf_iterator<char>());
  ms::WriteOptions failing;
  failing.on_stage = [](const std::string& stage) {
    if (stage == "datasets") throw std::runtime_error("no space left (simulated)");
  };
  EXPECT_THROW(ms::write_run(out, driver_run(), ms::WriteMode::append, failing), ms::Hdf5Error);
  std::ifstream after_in(out, std::ios::binary);
  const std::string after((std::istreambuf_iterator<char>(after_in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, before);
  EXPECT_EQ(listing(), std::vector<std::string>{"s.h5"});
  EXPECT_THROW(ms::write_run(out, driver_run(), ms::WriteMode::create), multirank::UsageError);
}

}  // namespace
