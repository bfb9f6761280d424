// write_run: one run group into a study file, collectively, atomically (temporary name, rename).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/ops.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/collective/scan.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/study/hdf5_io.ipp"
#include "multirank/study/study_file.hpp"

namespace multirank::study {

namespace fs = std::filesystem;
using detail::Hid;

namespace {

/// The first non-empty message among the ranks' (lowest rank wins), on every rank; empty when
/// every rank succeeded. Lets a failure seen on some ranks become the same exception everywhere.
std::string agree_on_error(const Communicator& comm, const std::string& mine) {
  const int first = allreduce(comm, mine.empty() ? comm.size() : comm.rank(), minimum<>{});
  if (first == comm.size()) return {};
  std::string message = mine;
  broadcast(comm, message, first);
  return message;
}

/// What rank 0 decided before anyone writes.
struct Plan {
  std::string error;        // empty when the write may go ahead
  bool usage_error = false;  // the error is a refusal (UsageError), not an I/O failure
  std::string temp;          // the temporary file every rank writes
  std::string group;         // the new run group's name
  bool fresh = true;         // a new file (root attributes to write) rather than a copy to extend

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & error & usage_error & temp & group & fresh;
  }
};

/// A temporary name beside `path` (same directory, so the final rename is atomic).
std::string temp_name(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  return (dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter.fetch_add(1))))
      .string();
}

/// "run_0001" after the highest run_NNNN already in the file.
std::string next_run_name(const std::string& file_path) {
  detail::Hdf5Quiet quiet;
  Hid file(detail::checked(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen"), H5Fclose);
  H5G_info_t info;
  detail::checked_status(H5Gget_info(file.get(), &info), "H5Gget_info");
  int highest = 0;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256] = {};
    if (H5Lget_name_by_idx(file.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT) < 0)
      continue;
    int n = 0;
    if (std::sscanf(name, "run_%d", &n) == 1) highest = std::max(highest, n);
  }
  char out[32];
  std::snprintf(out, sizeof out, "run_%04d", highest + 1);
  return out;
}

/// Rank 0: checks the output, and when appending copies the existing file to the temporary name.
Plan make_plan(const std::string& path, WriteMode mode) {
  Plan plan;
  try {
    check_output(path, mode);
    plan.temp = temp_name(path);
    plan.group = "run_0001";
    if (mode == WriteMode::append && inspect_file(path).kind == FileCheck::Kind::study) {
      fs::copy_file(path, plan.temp, fs::copy_options::overwrite_existing);
      plan.fresh = false;
      plan.group = next_run_name(plan.temp);
    }
  } catch (const UsageError& e) {
    plan.error = e.what();
    plan.usage_error = true;
  } catch (const std::exception& e) {
    plan.error = e.what();
    if (!plan.temp.empty()) fs::remove(plan.temp);
  }
  return plan;
}

void write_root_attributes(hid_t file) {
  const FileInfo info = current_build_info();
  detail::write_attr(file, "schema_version", info.schema_version);
  detail::write_attr(file, "format", info.format);
  detail::write_attr(file, "multirank_version", info.multirank_version);
  detail::write_attr(file, "git_commit", info.git_commit);
  detail::write_attr(file, "compiler", info.compiler);
  detail::write_attr(file, "compiler_flags", info.compiler_flags);
  detail::write_attr(file, "build_type", info.build_type);
  detail::write_attr(file, "mpi_library_version", info.mpi_library_version);
  detail::write_attr(file, "hdf5_version", info.hdf5_version);
  detail::write_attr(file, "created_utc", info.created_utc);
}

void write_group_attributes(hid_t g, const RunRecord& r) {
  using detail::write_attr;
  write_attr(g, "command_line", r.command_line);
  write_attr(g, "app", r.app);
  write_attr(g, "options", r.options_json);
  write_attr(g, "mode", r.mode);
  write_attr(g, "ranks", r.ranks);
  write_attr(g, "reps", r.reps);
  write_attr(g, "warmups", r.warmups);
  write_attr(g, "world_size", r.world_size);
  write_attr(g, "start_utc", r.start_utc);
  write_attr(g, "end_utc", r.end_utc);
  write_attr(g, "host_names", r.hosts);
  // Slurm facts only when present: an attribute's absence says "not under Slurm".
  if (!r.slurm_job_id.empty()) write_attr(g, "slurm_job_id", r.slurm_job_id);
  if (!r.slurm_array_job_id.empty()) write_attr(g, "slurm_array_job_id", r.slurm_array_job_id);
  if (!r.slurm_array_task_id.empty()) write_attr(g, "slurm_array_task_id", r.slurm_array_task_id);
  if (!r.slurm_nodelist.empty()) write_attr(g, "slurm_nodelist", r.slurm_nodelist);
  write_attr(g, "binding", r.binding);
  write_attr(g, "environment", r.environment);
  write_attr(g, "multirank_version", r.multirank_version);
  write_attr(g, "git_commit", r.git_commit);
  if (!r.fit_law.empty()) write_attr(g, "fit_law", r.fit_law);
  if (r.serial_fraction && std::isfinite(*r.serial_fraction)) write_attr(g, "serial_fraction", *r.serial_fraction);
  write_attr(g, "tasks_p", r.tasks_p);
  write_attr(g, "tasks_rep", r.tasks_rep);
}

/// The collective part: every rank opens the temporary file through MPI-IO and writes the group.
void write_file(const Communicator& comm, const Plan& plan, const RunRecord& meta,
                const std::vector<detail::TaskRow>& my_tasks, std::uint64_t task_offset, std::uint64_t task_total,
                const WriteOptions& options) {
  auto stage = [&options](const char* name) {
    if (options.on_stage) options.on_stage(name);
  };
  detail::Hdf5Quiet quiet;
  // HDF5's collective I/O waits inside MPI: on an oversubscribed node let MPI yield there.
  const BlockingMpiScope blocking;
  Hid fapl = detail::make_plist(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
  detail::checked_status(H5Pset_fapl_mpio(fapl.get(), comm.native(), MPI_INFO_NULL), "H5Pset_fapl_mpio");
  detail::checked_status(H5Pset_coll_metadata_write(fapl.get(), true), "H5Pset_coll_metadata_write");
  const hid_t fid = plan.fresh ? H5Fcreate(plan.temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())
                               : H5Fopen(plan.temp.c_str(), H5F_ACC_RDWR, fapl.get());
  Hid file(detail::checked(fid, plan.fresh ? "H5Fcreate" : "H5Fopen"), H5Fclose);
  stage("opened");
  if (plan.fresh) write_root_attributes(file.get());

  Hid group(detail::checked(H5Gcreate2(file.get(), plan.group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                            "H5Gcreate2 " + plan.group),
            H5Gclose);
  write_group_attributes(group.get(), meta);
  stage("group");

  Hid dxpl = detail::make_plist(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate");
  detail::checked_status(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  const bool root = comm.rank() == 0;
  // Rank 0 holds the run's own rows; the others join each collective write with nothing.
  auto rows_of = [root](std::size_t n) -> hsize_t { return root ? n : 0; };
  {
    Hid type = detail::sample_type();
    Hid d = detail::create_rows(group.get(), "samples", type.get(), meta.samples.size(), 1024);
    detail::write_rows(d.get(), type.get(), 0, rows_of(meta.samples.size()), meta.samples.data(), dxpl.get(), "samples");
  }
  {
    Hid type = detail::summary_type();
    Hid d = detail::create_rows(group.get(), "summary", type.get(), meta.summary.size(), 64);
    detail::write_rows(d.get(), type.get(), 0, rows_of(meta.summary.size()), meta.summary.data(), dxpl.get(), "summary");
  }
  {
    std::vector<char> buffer;
    const std::size_t size = detail::pack_strings(meta.hosts, buffer);
    Hid type = detail::fixed_string_type(size);
    Hid d = detail::create_rows(group.get(), "hosts", type.get(), meta.hosts.size(), 64);
    detail::write_rows(d.get(), type.get(), 0, rows_of(meta.hosts.size()), buffer.data(), dxpl.get(), "hosts");
  }
  {
    Hid d = detail::create_rows(group.get(), "rank_hosts", H5T_NATIVE_INT32, meta.rank_hosts.size(), 1024);
    detail::write_rows(d.get(), H5T_NATIVE_INT32, 0, rows_of(meta.rank_hosts.size()), meta.rank_hosts.data(),
                       dxpl.get(), "rank_hosts");
  }
  stage("datasets");
  {
    // Per-task records: each rank writes its own slice [offset, offset + count).
    Hid type = detail::task_type();
    Hid d = detail::create_rows(group.get(), "tasks", type.get(), task_total, 4096);
    detail::write_rows(d.get(), type.get(), task_offset, my_tasks.size(), my_tasks.data(), dxpl.get(), "tasks");
  }
  stage("tasks");
  group.close("H5Gclose");
  file.close("H5Fclose");
  stage("closed");
}

/// Flushes a file's (or directory's) data to the disk, so the rename publishes complete bytes.
void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string write_run(const Communicator& comm, const std::string& path, const RunRecord& record, WriteMode mode,
                      const WriteOptions& options) {
  const bool root = comm.rank() == 0;
  Plan plan;
  if (root) plan = make_plan(path, mode);
  broadcast(comm, plan, 0);
  if (!plan.error.empty()) {
    if (plan.usage_error) throw UsageError(plan.error);
    throw Hdf5Error(path + ": " + plan.error);
  }

  // Rank 0's metadata, completed, on every rank: parallel HDF5 wants the same attributes everywhere.
  RunRecord meta;
  if (root) {
    meta.name = plan.group;
    meta.command_line = record.command_line;
    meta.app = record.app;
    meta.options_json = record.options_json;
    meta.mode = record.mode;
    meta.ranks = record.ranks;
    meta.reps = record.reps;
    meta.warmups = record.warmups;
    meta.world_size = record.world_size;
    meta.start_utc = record.start_utc;
    meta.end_utc = record.end_utc.empty() ? utc_now() : record.end_utc;
    meta.hosts = record.hosts;
    meta.rank_hosts = record.rank_hosts;
    meta.slurm_job_id = record.slurm_job_id;
    meta.slurm_array_job_id = record.slurm_array_job_id;
    meta.slurm_array_task_id = record.slurm_array_task_id;
    meta.slurm_nodelist = record.slurm_nodelist;
    meta.binding = record.binding;
    meta.environment = record.environment;
    meta.samples = record.samples;
    meta.summary = record.summary;
    meta.serial_fraction = record.serial_fraction;
    meta.fit_law = record.fit_law;
    meta.tasks_p = record.tasks_p;
    meta.tasks_rep = record.tasks_rep;
    const FileInfo info = current_build_info();
    meta.multirank_version = info.multirank_version;
    meta.git_commit = info.git_commit;
    std::string problem;
    try {
      if (meta.summary.empty() && !meta.samples.empty()) summarize_record(meta);
      if (meta.ranks.empty())
        for (const auto& s : meta.samples)
          if (std::find(meta.ranks.begin(), meta.ranks.end(), s.p) == meta.ranks.end()) meta.ranks.push_back(s.p);
    } catch (const UsageError& e) {
      problem = e.what();
    }
    meta.name = problem.empty() ? plan.group : "\n" + problem;  // a leading newline marks a refusal
  }
  broadcast(comm, meta, 0);
  if (!meta.name.empty() && meta.name.front() == '\n') {
    if (root) fs::remove(plan.temp);
    throw UsageError(meta.name.substr(1));
  }

  // Task hosts not yet in the host table join it (in rank order, first seen first).
  std::set<std::string> known(meta.hosts.begin(), meta.hosts.end());
  std::string mine;
  for (const auto& t : record.tasks)
    if (!known.count(t.host) && mine.find("\n" + t.host + "\n") == std::string::npos) mine += "\n" + t.host + "\n";
  for (const auto& text : allgather(comm, mine)) {
    std::size_t pos = 0;
    while ((pos = text.find('\n', pos)) != std::string::npos) {
      const std::size_t end = text.find('\n', pos + 1);
      const std::string host = text.substr(pos + 1, end - pos - 1);
      if (known.insert(host).second) meta.hosts.push_back(host);
      pos = end + 1;
    }
  }
  std::map<std::string, std::int32_t> host_index;
  for (std::size_t i = 0; i < meta.hosts.size(); ++i) host_index.emplace(meta.hosts[i], static_cast<std::int32_t>(i));

  std::vector<detail::TaskRow> rows;
  rows.reserve(record.tasks.size());
  for (const auto& t : record.tasks)
    rows.push_back({t.task_id, t.rank, host_index.at(t.host), t.pid, t.queued, t.start, t.end, t.bytes_in, t.bytes_out});
  const std::uint64_t offset = exscan(comm, std::uint64_t{rows.size()}, std::plus<>{}, std::uint64_t{0});
  const auto total = allreduce(comm, std::uint64_t{rows.size()}, std::plus<>{});

  std::string failure;
  try {
    write_file(comm, plan, meta, rows, offset, total, options);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  failure = agree_on_error(comm, failure);
  if (!failure.empty()) {
    if (root) fs::remove(plan.temp);
    throw Hdf5Error("writing " + path + " failed, the previous file (if any) is untouched: " + failure);
  }

  std::string rename_error;
  if (root) {
    try {
      sync_path(plan.temp, false);
      fs::rename(plan.temp, path);
      const fs::path p(path);
      sync_path(p.has_parent_path() ? p.parent_path().string() : ".", true);
    } catch (const std::exception& e) {
      rename_error = e.what();
      fs::remove(plan.temp);
    }
  }
  broadcast(comm, rename_error, 0);
  if (!rename_error.empty()) throw Hdf5Error("cannot move the finished file into place as " + path + ": " + rename_error);
  return plan.group;
}

}  // namespace multirank::study
