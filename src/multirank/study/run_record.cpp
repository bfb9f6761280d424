#include "multirank/study/run_record.hpp"

#include <sched.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>

#include "multirank/collective/gather.hpp"
#include "multirank/collective/ops.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/study/statistics.hpp"

extern char** environ;  // POSIX: the process environment, for the SLURM_*, OMPI_MCA_*, OMP_* scan

namespace multirank::study {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// This process's CPU affinity as a range list ("0-3,6").
std::string cpu_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "?";
  std::string out;
  int run_start = -1;
  for (int c = 0; c <= CPU_SETSIZE; ++c) {
    const bool in = c < CPU_SETSIZE && CPU_ISSET(static_cast<std::size_t>(c), &set);  // 0 <= c < CPU_SETSIZE
    if (in && run_start < 0) run_start = c;
    if (!in && run_start >= 0) {
      if (!out.empty()) out.append(",");
      out.append(std::to_string(run_start));
      if (c - 1 > run_start) out.append("-").append(std::to_string(c - 1));
      run_start = -1;
    }
  }
  return out;
}

/// Quotes an argument for a POSIX shell when it needs it.
std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                            "@%+=:,./-_") == std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

std::string process_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t end = raw.find('\0', pos);
    const std::string arg = raw.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!out.empty()) out += ' ';
    out += shell_quote(arg);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

std::string new_run_id() {
  std::random_device rd;
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

namespace {

/// The parts of begin_run that need no communication: everything but the hosts and affinities.
RunRecord start_record(std::string app, std::string options_json, std::string mode) {
  (void)parse_scaling_mode(mode);  // refuse anything but strong/weak up front
  if (!nlohmann::json::accept(options_json) || !nlohmann::json::parse(options_json).is_object())
    throw UsageError("a run's options must be a JSON object text, not '" + options_json + "'");
  RunRecord r;
  r.app = std::move(app);
  r.options_json = std::move(options_json);
  r.mode = std::move(mode);
  r.start_utc = utc_now();
  r.run_id = new_run_id();
  r.command_line = process_command_line();
  r.slurm_job_id = env_or_empty("SLURM_JOB_ID");
  r.slurm_array_job_id = env_or_empty("SLURM_ARRAY_JOB_ID");
  r.slurm_array_task_id = env_or_empty("SLURM_ARRAY_TASK_ID");
  r.slurm_nodelist = env_or_empty("SLURM_JOB_NODELIST");
  if (r.slurm_nodelist.empty()) r.slurm_nodelist = env_or_empty("SLURM_NODELIST");
  return r;
}

/// Hosts, the rank-to-host map and the binding line from every rank's host and CPU set.
void set_placement(RunRecord& r, const std::vector<std::string>& hosts, const std::vector<std::string>& affinities) {
  std::map<std::string, std::int32_t> index;
  for (const auto& h : hosts) {
    auto [it, added] = index.try_emplace(h, static_cast<std::int32_t>(r.hosts.size()));
    if (added) r.hosts.push_back(h);
    r.rank_hosts.push_back(it->second);
  }
  // Binding: the launchers' policies as set, then where each rank may actually run.
  std::string binding;
  for (const char* name : {"OMPI_MCA_hwloc_base_binding_policy", "OMPI_MCA_rmaps_base_mapping_policy",
                           "OMPI_MCA_rmaps_base_ranking_policy", "SLURM_CPU_BIND", "SLURM_DISTRIBUTION",
                           "OMP_PROC_BIND", "OMP_PLACES"}) {
    const std::string v = env_or_empty(name);
    if (!v.empty()) binding.append(name).append("=").append(v).append("; ");
  }
  binding += "affinity:";
  for (std::size_t rank = 0; rank < affinities.size(); ++rank)
    binding.append(" ").append(std::to_string(rank)).append("=").append(affinities[rank]);
  r.binding = binding;
}

/// The SLURM_*, OMPI_MCA_* and OMP_* entries of a NAME=value list, sorted.
std::vector<std::string> recorded_variables(const std::vector<std::string>& environment) {
  std::vector<std::string> out;
  for (const auto& kv : environment)
    if (kv.rfind("SLURM_", 0) == 0 || kv.rfind("OMPI_MCA_", 0) == 0 || kv.rfind("OMP_", 0) == 0) out.push_back(kv);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

RunRecord begin_run(const Communicator& world, std::string app, std::string options_json, std::string mode) {
  RunRecord r = start_record(std::move(app), std::move(options_json), std::move(mode));
  r.world_size = world.size();
  set_placement(r, allgather(world, host_name()), allgather(world, cpu_affinity()));
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
  r.environment = recorded_variables(environment);
  return r;
}

RunRecord begin_serial_run(std::string app, std::string options_json, std::string mode,
                           const std::vector<std::string>& environment) {
  RunRecord r = start_record(std::move(app), std::move(options_json), std::move(mode));
  r.world_size = 1;
  set_placement(r, {host_name()}, {cpu_affinity()});
  r.environment = recorded_variables(environment);
  return r;
}

std::string comparison_options(const RunRecord& record) {
  if (!record.program) return record.options_json;
  const nlohmann::json options = nlohmann::json::parse(record.options_json, nullptr, false);
  nlohmann::json key = nlohmann::json::object();
  key["args"] = options.is_object() && options.contains("args") ? options["args"] : nlohmann::json::array();
  return key.dump();
}

Sample make_sample(const Communicator& comm, int rep, double local_seconds, double wall_seconds) {
  Sample s;
  s.p = comm.size();
  s.rep = rep;
  s.rank_min_seconds = allreduce(comm, local_seconds, minimum<>{});
  s.rank_max_seconds = allreduce(comm, local_seconds, maximum<>{});
  s.wall_seconds = wall_seconds >= 0.0 ? wall_seconds : s.rank_max_seconds;
  return s;
}

void summarize_record(RunRecord& record) {
  record.summary.clear();
  record.serial_fraction.reset();
  std::map<int, std::vector<double>> by_p;
  for (const auto& s : record.samples) by_p[s.p].push_back(s.value());
  if (record.ranks.empty())
    for (const auto& [p, v] : by_p) record.ranks.push_back(p);
  if (by_p.empty()) return;
  const ScalingAnalysis a = analyze_scaling(by_p, parse_scaling_mode(record.mode));
  record.fit_law = a.fit_law;
  record.serial_fraction = a.serial_fraction;
  for (const auto& pt : a.points) {
    SummaryRow row;
    row.p = pt.p;
    row.n = static_cast<std::int32_t>(pt.time.n);
    row.median = pt.time.median;
    row.min = pt.time.min;
    row.max = pt.time.max;
    row.mean = pt.time.mean;
    row.stddev = pt.time.stddev;
    row.ci_low = pt.time.ci.low;
    row.ci_high = pt.time.ci.high;
    row.ci_coverage = pt.time.ci.coverage;
    row.speedup = pt.speedup;
    row.efficiency = pt.efficiency;
    row.karp_flatt = pt.karp_flatt ? *pt.karp_flatt : std::nan("");
    record.summary.push_back(row);
  }
}

}  // namespace multirank::study
