#include "multirank/study/study_file.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "multirank/core/error.hpp"
#include "multirank/core/output_file.hpp"
#include "multirank/study/hdf5_io.ipp"

#if __has_include(<multirank_build_info.hpp>)
#include <multirank_build_info.hpp>
#endif
#ifndef MULTIRANK_GIT_COMMIT
#define MULTIRANK_GIT_COMMIT "unknown"
#endif
#ifndef MULTIRANK_COMPILER
#define MULTIRANK_COMPILER "unknown " __VERSION__
#endif
#ifndef MULTIRANK_COMPILER_FLAGS
#define MULTIRANK_COMPILER_FLAGS "unknown"
#endif
#ifndef MULTIRANK_BUILD_TYPE
#define MULTIRANK_BUILD_TYPE "unknown"
#endif
#ifndef MULTIRANK_VERSION
#define MULTIRANK_VERSION "unknown"
#endif

namespace multirank::study {

namespace fs = std::filesystem;
using detail::Hid;

WriteMode write_mode(bool force, bool append) {
  if (force && append) throw UsageError("--force and --append exclude each other");
  if (force) return WriteMode::replace;
  if (append) return WriteMode::append;
  return WriteMode::create;
}

FileInfo current_build_info() {
  FileInfo info;
  info.schema_version = kSchemaVersion;
  info.format = kStudyFormat;
  info.multirank_version = MULTIRANK_VERSION;
  info.git_commit = MULTIRANK_GIT_COMMIT;
  info.compiler = MULTIRANK_COMPILER;
  info.compiler_flags = MULTIRANK_COMPILER_FLAGS;
  info.build_type = MULTIRANK_BUILD_TYPE;
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  if (MPI_Get_library_version(mpi, &len) == MPI_SUCCESS) {
    std::string v(mpi, static_cast<std::size_t>(len));
    for (char& c : v)
      if (c == '\n' || c == '\r') c = ' ';
    while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.pop_back();
    info.mpi_library_version = v;
  }
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  info.hdf5_version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
  info.created_utc = utc_now();
  return info;
}

FileCheck inspect_file(const std::string& path) {
  FileCheck check;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) {
    check.kind = FileCheck::Kind::missing;
    check.reason = "no such file";
    return check;
  }
  if (!fs::is_regular_file(status)) {
    check.kind = FileCheck::Kind::foreign;
    check.reason = "not a regular file";
    return check;
  }
  if (!std::ifstream(path, std::ios::binary).good()) {
    check.kind = FileCheck::Kind::unreadable;
    check.reason = "cannot be opened for reading";
    return check;
  }
  detail::Hdf5Quiet quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    check.kind = FileCheck::Kind::foreign;
    check.reason = "not an HDF5 file";
    return check;
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    check.kind = FileCheck::Kind::damaged;
    check.reason = "a truncated or damaged HDF5 file (" + detail::hdf5_error_text() + ")";
    return check;
  }
  Hid file(id, H5Fclose);
  try {
    if (!detail::has_attr(file.get(), "schema_version") || !detail::has_attr(file.get(), "format") ||
        detail::read_attr_string(file.get(), "format") != kStudyFormat) {
      check.kind = FileCheck::Kind::foreign;
      check.reason = "an HDF5 file but not a multirank study file (no format=\"" + std::string(kStudyFormat) +
                     "\" and schema_version attributes at its root)";
      return check;
    }
    check.schema_version = detail::read_attr_int(file.get(), "schema_version");
  } catch (const Hdf5Error& e) {
    check.kind = FileCheck::Kind::damaged;
    check.reason = std::string("a damaged study file (") + e.what() + ")";
    return check;
  }
  if (check.schema_version < kOldestSchemaVersion || check.schema_version > kSchemaVersion) {
    check.kind = FileCheck::Kind::wrong_version;
    check.reason = "schema_version " + std::to_string(check.schema_version) +
                   " is not supported (this multirank reads schema_version " + std::to_string(kOldestSchemaVersion) +
                   " to " + std::to_string(kSchemaVersion) + ")";
    return check;
  }
  check.kind = FileCheck::Kind::study;
  return check;
}

void check_output(const std::string& path, WriteMode mode) {
  if (path.empty()) throw UsageError("the output file name is empty");
  const fs::path p(resolve_output_path(path));  // a symlink: its target is what gets written
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError("cannot write " + path + ": directory " + dir.string() + " does not exist");
  if (fs::is_directory(p, ec)) throw UsageError("cannot write " + path + ": it is a directory");
  const FileCheck check = inspect_file(path);
  switch (check.kind) {
    case FileCheck::Kind::missing:
      break;
    case FileCheck::Kind::study:
      if (mode == WriteMode::create)
        throw UsageError(path + " already exists; pass --force to replace it or --append to add a run to it");
      break;
    case FileCheck::Kind::wrong_version:
      if (mode == WriteMode::replace) break;
      throw UsageError("cannot " + std::string(mode == WriteMode::append ? "append to " : "overwrite ") + path + ": " +
                       check.reason);
    default:
      throw UsageError("refusing to overwrite " + path + ": " + check.reason);
  }
  // Read-only, full, no permission, no flock for an append: found before any work.
  if (mode == WriteMode::append)
    OutputLock::check_supported(path, "study file");
  else
    check_output_folder(path, "study file");
}

namespace {

RunRecord read_run(hid_t file, const std::string& name) {
  using namespace detail;
  Hid g(checked(H5Gopen2(file, name.c_str(), H5P_DEFAULT), "H5Gopen2 " + name), H5Gclose);
  const hid_t gid = g.get();
  RunRecord r;
  r.name = name;
  r.command_line = read_attr_string(gid, "command_line");
  r.run_id = read_attr_string_or_empty(gid, "run_id");
  r.app = read_attr_string(gid, "app");
  r.options_json = read_attr_string(gid, "options");
  r.mode = read_attr_string(gid, "mode");
  r.ranks = read_attr_ints(gid, "ranks");
  r.reps = read_attr_int(gid, "reps");
  r.warmups = read_attr_int(gid, "warmups");
  r.world_size = read_attr_int(gid, "world_size");
  r.start_utc = read_attr_string(gid, "start_utc");
  r.end_utc = read_attr_string(gid, "end_utc");
  r.slurm_job_id = read_attr_string_or_empty(gid, "slurm_job_id");
  r.slurm_array_job_id = read_attr_string_or_empty(gid, "slurm_array_job_id");
  r.slurm_array_task_id = read_attr_string_or_empty(gid, "slurm_array_task_id");
  r.slurm_nodelist = read_attr_string_or_empty(gid, "slurm_nodelist");
  r.binding = read_attr_string(gid, "binding");
  r.environment = read_attr_strings(gid, "environment");
  r.multirank_version = read_attr_string(gid, "multirank_version");
  r.git_commit = read_attr_string(gid, "git_commit");
  r.fit_law = read_attr_string_or_empty(gid, "fit_law");
  if (has_attr(gid, "serial_fraction")) r.serial_fraction = read_attr_double(gid, "serial_fraction");
  r.tasks_p = read_attr_int(gid, "tasks_p");
  r.tasks_rep = read_attr_int(gid, "tasks_rep");

  // Schema version 2: the metric (version 1 runs measured the wall time), a program's provenance.
  r.metric = has_attr(gid, "metric") ? read_attr_string(gid, "metric") : std::string("wall");
  if (has_attr(gid, "program_path")) {
    ProgramInfo program;
    program.path = read_attr_string(gid, "program_path");
    program.size = read_attr_uint64(gid, "program_size");
    program.sha256 = read_attr_string(gid, "program_sha256");
    r.program = std::move(program);
  }

  r.hosts = read_string_rows(gid, "hosts");
  r.rank_hosts = read_rows<std::int32_t>(gid, "rank_hosts", H5T_NATIVE_INT32);
  {
    Hid full = sample_type();
    Hid file_type = dataset_type(gid, "samples");
    Hid t = members_in_file(full.get(), file_type.get());
    r.samples = read_rows<Sample>(gid, "samples", t.get());
    const bool has_metric = has_member(file_type.get(), "metric");
    const bool has_exit = has_member(file_type.get(), "exit_code");
    for (Sample& s : r.samples) {
      if (!has_metric) s.metric = s.wall_seconds;
      if (!has_exit) s.exit_code = 0;
    }
  }
  {
    Hid t = summary_type();
    r.summary = read_rows<SummaryRow>(gid, "summary", t.get());
  }
  {
    Hid file_type = dataset_type(gid, "tasks");
    std::size_t command_size = 1;
    const bool has_command = has_member(file_type.get(), "command");
    if (has_command) {
      Hid member = make_type(
          H5Tget_member_type(file_type.get(), static_cast<unsigned>(H5Tget_member_index(file_type.get(), "command"))),
          "H5Tget_member_type command");
      if (H5Tget_class(member.get()) != H5T_STRING || H5Tis_variable_str(member.get()) > 0)
        throw Hdf5Error("tasks member command is not a fixed-length string");
      command_size = H5Tget_size(member.get());
    }
    const bool has_attempt = has_member(file_type.get(), "attempt");
    const bool has_exit = has_member(file_type.get(), "exit_code");
    Hid full = task_type(command_size);
    Hid t = members_in_file(full.get(), file_type.get());
    const TaskRows layout{command_size, {}, 0};
    std::size_t rows = 0;
    const std::vector<unsigned char> bytes = read_row_bytes(gid, "tasks", t.get(), rows);
    for (std::size_t i = 0; i < rows; ++i) {
      const unsigned char* cell = bytes.data() + i * layout.row_size();
      TaskRow row{};
      std::memcpy(&row, cell, sizeof row);
      TaskRecord rec;
      rec.task_id = row.task_id;
      rec.rank = row.rank;
      rec.pid = row.pid;
      if (row.host >= 0 && static_cast<std::size_t>(row.host) < r.hosts.size())
        rec.host = r.hosts[static_cast<std::size_t>(row.host)];
      rec.queued = row.queued;
      rec.start = row.start;
      rec.end = row.end;
      rec.bytes_in = row.bytes_in;
      rec.bytes_out = row.bytes_out;
      rec.attempt = has_attempt ? row.attempt : 1;
      rec.exit_code = has_exit ? row.exit_code : 0;
      if (has_command) rec.command = unpad(reinterpret_cast<const char*>(cell + sizeof(TaskRow)), command_size);
      r.tasks.push_back(std::move(rec));
    }
  }
  if (has_link(gid, "output")) {
    Hid out(checked(H5Gopen2(gid, "output", H5P_DEFAULT), "H5Gopen2 output"), H5Gclose);
    H5G_info_t info;
    checked_status(H5Gget_info(out.get(), &info), "H5Gget_info output");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      char link[64] = {};
      if (H5Lget_name_by_idx(out.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, link, sizeof link, H5P_DEFAULT) < 0)
        continue;
      Hid pg(checked(H5Gopen2(out.get(), link, H5P_DEFAULT), std::string("H5Gopen2 output/") + link), H5Gclose);
      ProgramOutput o;
      o.p = read_attr_int(pg.get(), "p");
      o.rep = read_attr_int(pg.get(), "rep");
      o.exit_code = read_attr_int(pg.get(), "exit_code");
      o.stdout_bytes = read_attr_uint64(pg.get(), "stdout_bytes");
      o.stderr_bytes = read_attr_uint64(pg.get(), "stderr_bytes");
      for (auto [stream, text] : {std::pair<const char*, std::string*>{"stdout", &o.stdout_text},
                                  std::pair<const char*, std::string*>{"stderr", &o.stderr_text}}) {
        const auto bytes = read_rows<unsigned char>(pg.get(), stream, H5T_NATIVE_UINT8);
        text->assign(bytes.begin(), bytes.end());
      }
      r.outputs.push_back(std::move(o));
    }
    std::sort(r.outputs.begin(), r.outputs.end(),
              [](const ProgramOutput& a, const ProgramOutput& b) { return a.p < b.p; });
  }
  return r;
}

/// Largest rank count a file may name (far beyond any machine; an edited value shows).
constexpr std::int32_t kMostRanks = 1 << 24;

/// Why a run read back cannot be reported ("" when it can): every value report computes with,
/// named with its field, so that an edited or damaged file is refused instead of reported.
std::string run_problem(const RunRecord& r) {
  auto bad = [](const std::string& field, const std::string& value, const std::string& why) {
    return field + " = " + value + ": " + why;
  };
  auto num = [](double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  auto time_ok = [](double v) { return std::isfinite(v) && v >= 0.0; };
  if (r.world_size < 1 || r.world_size > kMostRanks)
    return bad("world_size", std::to_string(r.world_size), "not a rank count");
  const std::int32_t most = kMostRanks;
  const std::string most_text = "at most 2^24";
  for (const auto p : r.ranks)
    if (p < 1 || p > most) return bad("ranks", std::to_string(p), "a rank count must be at least 1 and " + most_text);
  for (std::size_t i = 0; i < r.samples.size(); ++i) {
    const Sample& s = r.samples[i];
    const std::string f = "samples[" + std::to_string(i) + "].";
    if (s.p < 1 || s.p > most) return bad(f + "p", std::to_string(s.p), "a rank count must be at least 1 and " + most_text);
    if (!r.ranks.empty() && std::find(r.ranks.begin(), r.ranks.end(), s.p) == r.ranks.end())
      return bad(f + "p", std::to_string(s.p), "not one of the run's rank counts (ranks)");
    if (s.rep < 0 || (r.reps > 0 && s.rep >= r.reps))
      return bad(f + "rep", std::to_string(s.rep), "not a repetition of the run's " + std::to_string(r.reps));
    if (!time_ok(s.wall_seconds)) return bad(f + "wall_seconds", num(s.wall_seconds), "not a time");
    if (!std::isnan(s.metric) && !time_ok(s.metric)) return bad(f + "metric", num(s.metric), "not a time");
    for (const auto& [name, v] : {std::pair<const char*, double>{"rank_min_seconds", s.rank_min_seconds},
                                  std::pair<const char*, double>{"rank_max_seconds", s.rank_max_seconds}})
      if (!std::isnan(v) && !time_ok(v)) return bad(f + name, num(v), "not a time");
  }
  if (r.tasks_p < 0 || r.tasks_p > kMostRanks) return bad("tasks_p", std::to_string(r.tasks_p), "not a rank count");
  // The ranks that ran tasks: those of the job (or of the sweep's rank count the records are from).
  const std::int32_t task_ranks = std::max(r.world_size, r.tasks_p);
  for (std::size_t i = 0; i < r.tasks.size(); ++i) {
    const TaskRecord& t = r.tasks[i];
    const std::string f = "tasks[" + std::to_string(i) + "].";
    if (t.rank < 0 || t.rank >= task_ranks)
      return bad(f + "rank", std::to_string(t.rank), "not a rank of this run (" + std::to_string(task_ranks) + " ranks)");
    if (!std::isfinite(t.start)) return bad(f + "start", num(t.start), "not a time");
    if (!std::isfinite(t.end) || t.end < t.start) return bad(f + "end", num(t.end), "not a time at or after its start");
    if (!std::isfinite(t.queued)) return bad(f + "queued", num(t.queued), "not a time");
  }
  for (std::size_t i = 0; i < r.rank_hosts.size(); ++i)
    if (r.rank_hosts[i] < 0 || static_cast<std::size_t>(r.rank_hosts[i]) >= r.hosts.size())
      return bad("rank_hosts[" + std::to_string(i) + "]", std::to_string(r.rank_hosts[i]), "not an index into hosts");
  return "";
}

}  // namespace

StudyFile read_study(const std::string& path) {
  const FileCheck check = inspect_file(path);
  if (check.kind != FileCheck::Kind::study) throw UsageError(path + ": " + check.reason);
  StudyFile out;
  out.path = path;
  detail::Hdf5Quiet quiet;
  try {
    Hid file(detail::checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen"), H5Fclose);
    const hid_t f = file.get();
    FileInfo& info = out.info;
    info.schema_version = detail::read_attr_int(f, "schema_version");
    info.format = detail::read_attr_string(f, "format");
    info.multirank_version = detail::read_attr_string(f, "multirank_version");
    info.git_commit = detail::read_attr_string(f, "git_commit");
    info.compiler = detail::read_attr_string(f, "compiler");
    info.compiler_flags = detail::read_attr_string(f, "compiler_flags");
    info.build_type = detail::read_attr_string(f, "build_type");
    info.mpi_library_version = detail::read_attr_string(f, "mpi_library_version");
    info.hdf5_version = detail::read_attr_string(f, "hdf5_version");
    info.created_utc = detail::read_attr_string(f, "created_utc");

    H5G_info_t ginfo;
    detail::checked_status(H5Gget_info(f, &ginfo), "H5Gget_info");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < ginfo.nlinks; ++i) {
      const ssize_t len = H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      detail::checked_status(len < 0 ? -1 : 0, "H5Lget_name_by_idx");
      std::string name(static_cast<std::size_t>(len) + 1, '\0');
      H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
      name.resize(static_cast<std::size_t>(len));
      if (name.rfind("run_", 0) == 0) names.push_back(name);
    }
    for (const auto& name : names) out.runs.push_back(read_run(f, name));
  } catch (const Hdf5Error& e) {
    throw UsageError(path + ": a damaged study file (" + e.what() + ")");
  }
  for (const RunRecord& run : out.runs)
    if (const std::string why = run_problem(run); !why.empty())
      throw UsageError(path + ": " + run.name + ": " + why + " (an edited or damaged study file)");
  return out;
}

std::vector<RunRecord> read_runs(const std::string& path) { return read_study(path).runs; }

}  // namespace multirank::study
