// The parts of `multirank study ... exec` that need no MPI: the launcher variables taken out of a
// command's environment, reading a metric and --expect from a program's output, and launching
// one command (its output, exit code, signal, timeout) and describing a program (SHA-256).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "launcher_env.hpp"
#include "multirank/core/error.hpp"
#include "multirank/study/metric.hpp"
#include "study_exec_launch.hpp"

namespace mc = multirank::cli;
namespace ms = multirank::study;

namespace {

TEST(LauncherEnvironment, DropsWhatLaunchersSetAndKeepsTheUsersSettings) {
  // A rank's variables under Open MPI's mpirun, Hydra and an srun step (names as each set them).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE",
                           "OMPI_COMM_WORLD_RANK",
                           "OMPI_COMM_WORLD_LOCAL_RANK",
                           "OMPI_MCA_ess",
                           "OMPI_MCA_ess_base_jobid",
                           "OMPI_MCA_orte_hnp_uri",
                           "OMPI_MCA_orte_precondition_transports",
                           "OMPI_MCA_pmix",
                           "OMPI_MCA_initial_wdir",
                           "OMPI_MCA_mpi_oversubscribe",
                           "OMPI_MCA_shmem_RUNTIME_QUERY_hint",
                           "OMPI_ARGV",
                           "OMPI_COMMAND",
                           "OMPI_UNIVERSE_SIZE",
                           "OMPI_FIRST_RANKS",
                           "PMIX_RANK",
                           "PMIX_NAMESPACE",
                           "PMIX_SERVER_URI4",
                           "PMIX_MCA_mca_base_component_show_load_errors",
                           "PMI_RANK",
                           "PMI_SIZE",
                           "PMI_FD",
                           "HYDI_CONTROL_FD",
                           "GFORTRAN_UNBUFFERED_PRECONNECTED",
                           "ORTE_SCHIZO_DETECTION",
                           "MPI_LOCALNRANKS",
                           "MPI_LOCALRANKID",
                           "MPIR_CVAR_CH3_INTERFACE_HOSTNAME",
                           "SLURM_STEP_ID",
                           "SLURM_STEP_NUM_TASKS",
                           "SLURM_STEPID",
                           "SLURM_PROCID",
                           "SLURM_LOCALID",
                           "SLURM_SRUN_COMM_PORT",
                           "SLURM_PMIXP_ABORT_AGENT_PORT",
                           "SRUN_DEBUG"})
    EXPECT_TRUE(mc::is_launcher_variable(name)) << name;
  // The user's own: running as root, tuning MCA settings, PMIx settings, the allocation.
  for (const char* name :
       {"OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "OMPI_MCA_btl", "OMPI_MCA_rmaps_base_oversubscribe",
        "OMPI_MCA_mpi_yield_when_idle", "PMIX_MCA_gds", "MPIR_CVAR_ASYNC_PROGRESS", "SLURM_JOB_ID", "SLURM_NTASKS",
        "SLURM_JOB_NODELIST", "SLURM_CPUS_ON_NODE", "HYDRA_HOST_FILE", "PATH", "HOME", "OMP_NUM_THREADS", "OMPI", "PMIX"})
    EXPECT_FALSE(mc::is_launcher_variable(name)) << name;
  const std::vector<std::string> env{"PATH=/bin",      "OMPI_COMM_WORLD_RANK=0",   "OMPI_MCA_btl=self,vader",
                                     "PMIX_RANK=0",    "OMPI_ALLOW_RUN_AS_ROOT=1", "PMIX_MCA_gds=hash",
                                     "SLURM_PROCID=3", "SLURM_JOB_ID=12",          "EMPTY=",
                                     "NOEQUALS"};
  EXPECT_EQ(mc::without_launcher_variables(env),
            (std::vector<std::string>{"PATH=/bin", "OMPI_MCA_btl=self,vader", "OMPI_ALLOW_RUN_AS_ROOT=1",
                                      "PMIX_MCA_gds=hash", "SLURM_JOB_ID=12", "EMPTY=", "NOEQUALS"}));
}

TEST(LauncherEnvironment, TellsTheJobThisProcessBelongsTo) {
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("PMI_SIZE");
  ::unsetenv("SLURM_STEP_NUM_TASKS");
  EXPECT_EQ(mc::launcher_job().size, 1);
  ::setenv("SLURM_STEP_NUM_TASKS", "4", 1);
  ::setenv("SLURM_PROCID", "2", 1);
  EXPECT_EQ(mc::launcher_job().size, 4);
  EXPECT_EQ(mc::launcher_job().rank, 2);
  ::setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
  ::setenv("OMPI_COMM_WORLD_RANK", "0", 1);
  EXPECT_EQ(mc::launcher_job().size, 3);
  EXPECT_EQ(mc::launcher_job().launcher, "mpirun");
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("OMPI_COMM_WORLD_RANK");
  ::unsetenv("SLURM_STEP_NUM_TASKS");
  ::unsetenv("SLURM_PROCID");
}

std::optional<double> read(const std::string& spec, const std::string& out, std::string* why_out = nullptr) {
  const ms::Metric m(spec);
  std::string why;
  auto v = m.read(out, why);
  if (why_out) *why_out = why;
  return v;
}

TEST(Metric, JsonTakesTheFirstObjectThatHasTheKey) {
  const std::string out =
      "starting {not json}\n{\"ranks\": 2}\nresult: {\"seconds\": 1.25, \"ranks\": 2}\n{\"seconds\": 9}\n";
  EXPECT_DOUBLE_EQ(*read("json:seconds", out), 1.25);
  EXPECT_DOUBLE_EQ(*read("json:ranks", out), 2.0);
  // A pretty-printed object over several lines, CRLF endings (a pty under mpirun), a JSON pointer.
  const std::string pretty = "{\r\n  \"timings\": {\r\n    \"total\": 0.5\r\n  }\r\n}\r\n";
  EXPECT_DOUBLE_EQ(*read("json:/timings/total", pretty), 0.5);
  EXPECT_DOUBLE_EQ(*read("json:/timings/total", "{\"timings\": {\"total\": 3e-3}}"), 0.003);
  std::string why;
  EXPECT_FALSE(read("json:seconds", "{\"secs\": 1}\nno more\n", &why));
  EXPECT_NE(why.find("no JSON object"), std::string::npos) << why;
  EXPECT_FALSE(read("json:seconds", "{\"seconds\": \"fast\"}", &why));
  EXPECT_NE(why.find("not a number"), std::string::npos) << why;
  EXPECT_FALSE(read("json:seconds", "{\"seconds\": -1}", &why));
  EXPECT_NE(why.find("not a time"), std::string::npos) << why;
}

TEST(Metric, RegexTakesTheFirstGroupOfTheFirstMatch) {
  const std::string out = "warm\nelapsed: 0.125 s\nelapsed: 7 s\n";
  EXPECT_DOUBLE_EQ(*read("regex:elapsed: ([0-9.]+) s", out), 0.125);
  EXPECT_DOUBLE_EQ(*read("regex:^elapsed: ([0-9.eE+-]+)", "x\nelapsed: 2.5e-1\n"), 0.25);
  // NUL bytes in the output do not end the search.
  EXPECT_DOUBLE_EQ(*read("regex:time=([0-9]+)", std::string("bin\0ary\ntime=3\n", 16)), 3.0);
  std::string why;
  EXPECT_FALSE(read("regex:elapsed: ([0-9.]+)", "nothing here\n", &why));
  EXPECT_NE(why.find("no match"), std::string::npos) << why;
  EXPECT_FALSE(read("regex:elapsed: ([a-z]+)", "elapsed: fast\n", &why));
  EXPECT_NE(why.find("not a number"), std::string::npos) << why;
}

TEST(Metric, RefusesBadSpecificationsInOneLine) {
  for (const char* bad : {"", "cpu", "json:", "regex:", "regex:no group", "regex:([0-9]", "yaml:x", "json:/a~2"}) {
    try {
      ms::Metric m(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const multirank::UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(ms::Metric("wall").kind(), ms::Metric::Kind::wall);
  EXPECT_EQ(ms::Metric("json:t").text(), "json:t");
  const ms::OutputPattern expect("^work done on [0-9]+ ranks$");
  EXPECT_TRUE(expect.matches("a\nwork done on 3 ranks\nb"));
  EXPECT_FALSE(expect.matches("work done on three ranks"));
  EXPECT_THROW(ms::OutputPattern("(["), multirank::UsageError);
}

TEST(CommandLauncher, CapturesOutputExitCodesAndSignals) {
  mc::CommandLauncher launcher({"PATH=/usr/bin:/bin", "MR_VALUE=42"});
  auto r = launcher.run({"sh", "-c", "echo out $MR_VALUE; echo err >&2; exit 3"}, 0);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.stdout_text, "out 42\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_GT(r.wall_seconds, 0.0);
  // The output files are reused: the next launch starts empty.
  r = launcher.run({"sh", "-c", "printf x; kill -9 $$"}, 0);
  EXPECT_EQ(r.stdout_text, "x");
  EXPECT_EQ(r.signal, 9);
  EXPECT_EQ(r.exit_code, 137);
  // Only the given environment, stdin from /dev/null.
  r = launcher.run({"sh", "-c", "env | grep -c . ; cat"}, 0);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LE(std::atoi(r.stdout_text.c_str()), 4) << r.stdout_text;  // PATH, MR_VALUE, and sh's own PWD/SHLVL
  EXPECT_THROW((void)launcher.run({"/no/such/launcher"}, 0), std::runtime_error);
}

TEST(CommandLauncher, ATimeoutEndsTheWholeProcessGroup) {
  mc::CommandLauncher launcher({"PATH=/usr/bin:/bin"});
  const auto t0 = std::chrono::steady_clock::now();
  // The child starts a grandchild that ignores nothing: both belong to the command's group.
  const auto r = launcher.run({"sh", "-c", "sleep 30 & echo $! ; wait"}, 0.5);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(took, 4.0);
  const pid_t grandchild = std::atoi(r.stdout_text.c_str());
  ASSERT_GT(grandchild, 0) << r.stdout_text;
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ::kill(grandchild, 0) != 0;
    if (!gone) usleep(20000);
  }
  EXPECT_TRUE(gone) << "sleep " << grandchild << " outlived its timed-out command";
}

TEST(Program, ResolvedOnPathAndDescribedWithItsSha256) {
  const std::string dir = testing::TempDir() + "/multirank-exec-unit";
  std::filesystem::create_directories(dir);
  const std::string prog = dir + "/prog";
  std::ofstream(prog) << "abc";
  ::chmod(prog.c_str(), 0755);
  EXPECT_EQ(mc::resolve_program(prog), std::filesystem::path(prog).lexically_normal().string());
  const auto info = mc::describe_program(prog);
  EXPECT_EQ(info.size, 3u);
  EXPECT_EQ(info.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // SHA-256("abc")
  EXPECT_EQ(mc::resolve_program("sh").rfind('/', 0), 0u);  // found on PATH, absolute
  ::chmod(prog.c_str(), 0644);
  EXPECT_THROW((void)mc::resolve_program(prog), multirank::UsageError);
  EXPECT_THROW((void)mc::resolve_program(dir + "/missing"), multirank::UsageError);
  EXPECT_THROW((void)mc::resolve_program(dir), multirank::UsageError);  // a directory
  EXPECT_THROW((void)mc::resolve_program("no-such-program-anywhere"), multirank::UsageError);
  std::filesystem::remove_all(dir);
}

}  // namespace
