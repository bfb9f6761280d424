// write_run: one run group into a study file, collectively, atomically (temporary name, rename).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/ops.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/collective/scan.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/output_file.hpp"
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

/// The processes that write one file together: the ranks of a communicator (parallel HDF5,
/// MPI-IO, collective calls), or this process alone without MPI (the serial mode: HDF5's default
/// sec2 driver; `multirank study ... exec` drives its program runs that way). One writer serves
/// both: every collective step below goes through here (the library's collectives) and is the
/// identity when alone.
class Writers {
 public:
  explicit Writers(const Communicator* comm) : comm_(comm) {}
  [[nodiscard]] bool parallel() const { return comm_ != nullptr; }
  [[nodiscard]] int rank() const { return comm_ ? comm_->rank() : 0; }
  [[nodiscard]] const Communicator& comm() const { return *comm_; }
  template <class T>
  void bcast(T& value) const {
    if (comm_) broadcast(*comm_, value, 0);
  }
  [[nodiscard]] std::vector<std::string> allgather(const std::string& mine) const {
    return comm_ ? multirank::allgather(*comm_, mine) : std::vector<std::string>{mine};
  }
  [[nodiscard]] std::uint64_t exscan_sum(std::uint64_t v) const {
    return comm_ ? exscan(*comm_, v, std::plus<>{}, std::uint64_t{0}) : 0;
  }
  [[nodiscard]] std::uint64_t sum(std::uint64_t v) const { return comm_ ? allreduce(*comm_, v, std::plus<>{}) : v; }
  [[nodiscard]] std::uint64_t max(std::uint64_t v) const { return comm_ ? allreduce(*comm_, v, maximum<>{}) : v; }
  [[nodiscard]] std::string agree_on_error(const std::string& mine) const {
    return comm_ ? study::agree_on_error(*comm_, mine) : mine;
  }

 private:
  const Communicator* comm_;
};

/// What rank 0 decided before anyone writes.
struct Plan {
  std::string error;        // empty when the write may go ahead
  bool usage_error = false;  // the error is a refusal (UsageError), not an I/O failure
  std::string target;        // where the file goes: `path` with its symlinks followed
  std::string temp;          // the temporary file every rank writes, beside the target
  std::string group;         // the new run group's name
  bool fresh = true;         // a new file (root attributes to write) rather than a copy to extend

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & error & usage_error & target & temp & group & fresh;
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

void write_root_attributes(hid_t file, const FileInfo& info) {
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
  if (!r.run_id.empty()) write_attr(g, "run_id", r.run_id);
  write_attr(g, "app", r.app);
  write_attr(g, "options", r.options_json);
  write_attr(g, "mode", r.mode);
  write_attr(g, "metric", r.metric);
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
  if (r.program) {  // a program run's provenance
    write_attr(g, "program_path", r.program->path);
    write_attr(g, "program_size", r.program->size);
    write_attr(g, "program_sha256", r.program->sha256);
  }
}

/// A program run's kept output: /run_NNNN/output/p_NNNN/{stdout,stderr}, uint8 datasets (an
/// output is bytes, and the schema has no variable-length types), written by rank 0.
void write_outputs(hid_t group, const RunRecord& meta, hid_t dxpl, bool root) {
  if (meta.outputs.empty()) return;
  Hid out(detail::checked(H5Gcreate2(group, "output", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "H5Gcreate2 output"),
          H5Gclose);
  for (const ProgramOutput& o : meta.outputs) {
    char name[32];
    std::snprintf(name, sizeof name, "p_%04d", static_cast<int>(o.p));
    Hid g(detail::checked(H5Gcreate2(out.get(), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          std::string("H5Gcreate2 output/") + name),
          H5Gclose);
    detail::write_attr(g.get(), "p", o.p);
    detail::write_attr(g.get(), "rep", o.rep);
    detail::write_attr(g.get(), "exit_code", o.exit_code);
    detail::write_attr(g.get(), "stdout_bytes", o.stdout_bytes);
    detail::write_attr(g.get(), "stderr_bytes", o.stderr_bytes);
    for (const auto& [stream, text] : {std::pair<const char*, const std::string*>{"stdout", &o.stdout_text},
                                       std::pair<const char*, const std::string*>{"stderr", &o.stderr_text}}) {
      Hid d = detail::create_rows(g.get(), stream, H5T_NATIVE_UINT8, text->size(), 64 * 1024);
      detail::write_rows(d.get(), H5T_NATIVE_UINT8, 0, root ? text->size() : 0, text->data(), dxpl, stream);
    }
  }
}

/// One run group: attributes, samples, summary, hosts, rank_hosts, outputs (rank 0's) and
/// tasks (every writer's own rows, at `task_offset` of `task_total`).
void write_group(hid_t file, const std::string& name, const RunRecord& meta, const detail::TaskRows& tasks,
                 std::uint64_t task_offset, std::uint64_t task_total, hid_t dxpl, bool root,
                 const std::function<void(const char*)>& stage) {
  Hid group(detail::checked(H5Gcreate2(file, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                            "H5Gcreate2 " + name),
            H5Gclose);
  write_group_attributes(group.get(), meta);
  stage("group");

  // Rank 0 holds the run's own rows; the others join each collective write with nothing.
  auto rows_of = [root](std::size_t n) -> hsize_t { return root ? n : 0; };
  {
    std::vector<Sample> samples = meta.samples;
    for (Sample& s : samples) s.metric = s.value();  // the file always holds the metric's value
    Hid type = detail::sample_type();
    Hid d = detail::create_rows(group.get(), "samples", type.get(), samples.size(), 1024);
    detail::write_rows(d.get(), type.get(), 0, rows_of(samples.size()), samples.data(), dxpl, "samples");
  }
  {
    Hid type = detail::summary_type();
    Hid d = detail::create_rows(group.get(), "summary", type.get(), meta.summary.size(), 64);
    detail::write_rows(d.get(), type.get(), 0, rows_of(meta.summary.size()), meta.summary.data(), dxpl, "summary");
  }
  {
    std::vector<char> buffer;
    const std::size_t size = detail::pack_strings(meta.hosts, buffer);
    Hid type = detail::fixed_string_type(size);
    Hid d = detail::create_rows(group.get(), "hosts", type.get(), meta.hosts.size(), 64);
    detail::write_rows(d.get(), type.get(), 0, rows_of(meta.hosts.size()), buffer.data(), dxpl, "hosts");
  }
  {
    Hid d = detail::create_rows(group.get(), "rank_hosts", H5T_NATIVE_INT32, meta.rank_hosts.size(), 1024);
    detail::write_rows(d.get(), H5T_NATIVE_INT32, 0, rows_of(meta.rank_hosts.size()), meta.rank_hosts.data(), dxpl,
                       "rank_hosts");
  }
  write_outputs(group.get(), meta, dxpl, root);
  stage("datasets");
  {
    // Per-task records: each rank writes its own slice [offset, offset + count).
    Hid type = detail::task_type(tasks.command_size);
    Hid d = detail::create_rows(group.get(), "tasks", type.get(), task_total, 4096);
    detail::write_rows(d.get(), type.get(), task_offset, tasks.count, tasks.bytes.data(), dxpl, "tasks");
  }
  stage("tasks");
  group.close("H5Gclose");
}

/// The task records of one run, ready to write: hosts not yet in `meta.hosts` join it (in rank
/// order, first seen first), and the command size is the longest command of any writer.
struct PreparedTasks {
  detail::TaskRows rows;
  std::uint64_t offset = 0;
  std::uint64_t total = 0;
};

PreparedTasks prepare_tasks(const Writers& w, RunRecord& meta, const std::vector<TaskRecord>& tasks) {
  std::set<std::string> known(meta.hosts.begin(), meta.hosts.end());
  std::string mine;
  for (const auto& t : tasks)
    if (!known.count(t.host) && mine.find("\n" + t.host + "\n") == std::string::npos) mine += "\n" + t.host + "\n";
  for (const auto& text : w.allgather(mine)) {
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

  std::uint64_t longest = 1;
  for (const auto& t : tasks) longest = std::max<std::uint64_t>(longest, t.command.size());
  PreparedTasks out;
  out.rows.command_size = static_cast<std::size_t>(w.max(longest));  // one compound type on every rank
  out.rows.count = tasks.size();
  const std::size_t row = out.rows.row_size();
  out.rows.bytes.assign(tasks.size() * row, 0);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TaskRecord& t = tasks[i];
    const detail::TaskRow fixed{t.task_id, t.rank,  host_index.at(t.host), t.pid,     t.queued,   t.start,
                                t.end,     t.bytes_in, t.bytes_out,         t.attempt, t.exit_code};
    unsigned char* cell = out.rows.bytes.data() + i * row;
    std::memcpy(cell, &fixed, sizeof fixed);
    std::memcpy(cell + sizeof fixed, t.command.data(), t.command.size());
  }
  out.offset = w.exscan_sum(tasks.size());
  out.total = w.sum(tasks.size());
  return out;
}

/// Rewrites the study file at `old_path`, of an older schema version, as a file of this version
/// at `temp`, every run group under its own name (this process alone). The root attributes keep
/// the build that created the file, with `schema_upgraded_from` saying what it was.
void upgrade_copy(const std::string& old_path, const std::string& temp) {
  const StudyFile old = read_study(old_path);
  const Writers alone(nullptr);
  detail::Hdf5Quiet quiet;
  Hid file(detail::checked(H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "H5Fcreate"), H5Fclose);
  FileInfo info = old.info;
  info.schema_version = kSchemaVersion;
  write_root_attributes(file.get(), info);
  detail::write_attr(file.get(), "schema_upgraded_from", old.info.schema_version);
  for (const RunRecord& run : old.runs) {
    RunRecord meta = run;
    meta.tasks.clear();
    const PreparedTasks tasks = prepare_tasks(alone, meta, run.tasks);
    write_group(file.get(), run.name, meta, tasks.rows, 0, tasks.total, H5P_DEFAULT, true, [](const char*) {});
  }
  file.close("H5Fclose");
}

/// Rank 0: takes the output's lock (held until the rename: a second writer waits, so that two
/// jobs appending at once both land), checks the output, and when appending copies the existing
/// file to the temporary name (rewritten as this schema version when it is of an older one).
Plan make_plan(const std::string& path, WriteMode mode, std::optional<OutputLock>& lock) {
  Plan plan;
  try {
    plan.target = resolve_output_path(path);
    // Appending reads the old file and replaces it: without a lock a concurrent append is lost.
    lock.emplace(path, "study file", mode == WriteMode::append);
    check_output(path, mode);
    plan.temp = temp_name(plan.target);
    plan.group = "run_0001";
    const FileCheck existing = inspect_file(plan.target);
    if (mode == WriteMode::append && existing.kind == FileCheck::Kind::study) {
      if (existing.schema_version < kSchemaVersion)
        upgrade_copy(plan.target, plan.temp);
      else
        fs::copy_file(plan.target, plan.temp, fs::copy_options::overwrite_existing);
      plan.fresh = false;
      plan.group = next_run_name(plan.temp);
    }
  } catch (const UsageError& e) {
    plan.error = e.what();
    plan.usage_error = true;
  } catch (const fs::filesystem_error& e) {
    plan.error = "cannot copy it to append a run: " + e.code().message();
    remove_quietly(plan.temp);
  } catch (const std::exception& e) {
    plan.error = e.what();
    remove_quietly(plan.temp);
  }
  return plan;
}

/// A failure once the file is closed: no collective HDF5 call is left, so the writers can agree.
struct FailedAfterClose : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The collective part: every writer opens the temporary file (through MPI-IO when parallel)
/// and writes the group.
void write_file(const Writers& w, const Plan& plan, const RunRecord& meta, const PreparedTasks& tasks,
                const WriteOptions& options) {
  auto stage = [&options](const char* name) {
    if (options.on_stage) options.on_stage(name);
  };
  detail::Hdf5Quiet quiet;
  // A failure on one writer of several leaves the file's identifiers open (their closes are
  // collective) and the caller ends the job: see write_run_with.
  const std::optional<detail::CollectiveSection> collective =
      w.parallel() && w.comm().size() > 1 ? std::make_optional<detail::CollectiveSection>() : std::nullopt;
  // HDF5's collective I/O waits inside MPI: on an oversubscribed node let MPI yield there.
  const std::optional<BlockingMpiScope> blocking = w.parallel() ? std::make_optional<BlockingMpiScope>() : std::nullopt;
  Hid fapl = detail::make_plist(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
  if (w.parallel()) {
    detail::checked_status(H5Pset_fapl_mpio(fapl.get(), w.comm().native(), MPI_INFO_NULL), "H5Pset_fapl_mpio");
    detail::checked_status(H5Pset_coll_metadata_write(fapl.get(), true), "H5Pset_coll_metadata_write");
  }
  const hid_t fid = plan.fresh ? H5Fcreate(plan.temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())
                               : H5Fopen(plan.temp.c_str(), H5F_ACC_RDWR, fapl.get());
  Hid file(detail::checked(fid, plan.fresh ? "H5Fcreate" : "H5Fopen"), H5Fclose);
  stage("opened");
  if (plan.fresh) write_root_attributes(file.get(), current_build_info());

  Hid dxpl = detail::make_plist(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate");
  if (w.parallel()) detail::checked_status(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  write_group(file.get(), plan.group, meta, tasks.rows, tasks.offset, tasks.total, dxpl.get(), w.rank() == 0, stage);
  file.close("H5Fclose");
  try {
    stage("closed");
  } catch (const std::exception& e) {
    throw FailedAfterClose(e.what());
  }
}

/// Whether a write's failure came once every writer had closed the file (agreeable without abort).
bool collective_part_done(const std::exception& e) { return dynamic_cast<const FailedAfterClose*>(&e) != nullptr; }

std::string write_run_with(const Writers& w, const std::string& path, const RunRecord& record, WriteMode mode,
                           const WriteOptions& options) {
  const bool root = w.rank() == 0;
  Plan plan;
  std::optional<OutputLock> lock;  // rank 0's, from reading the old file to the rename
  if (root) plan = make_plan(path, mode, lock);
  w.bcast(plan);
  if (!plan.error.empty()) {
    if (plan.usage_error) throw UsageError(plan.error);
    throw Hdf5Error(path + ": " + plan.error);
  }

  // Rank 0's metadata, completed, on every rank: parallel HDF5 wants the same attributes everywhere.
  RunRecord meta;
  if (root) {
    meta = record;
    meta.tasks.clear();
    meta.name = plan.group;
    if (meta.end_utc.empty()) meta.end_utc = utc_now();
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
  w.bcast(meta);
  if (!meta.name.empty() && meta.name.front() == '\n') {
    if (root) remove_quietly(plan.temp);
    throw UsageError(meta.name.substr(1));
  }

  const PreparedTasks tasks = prepare_tasks(w, meta, record.tasks);

  std::string failure;
  try {
    write_file(w, plan, meta, tasks, options);
  } catch (const std::exception& e) {
    failure = e.what();
    if (!names_os_write_error(failure))  // MPI-IO may say "file write failed" alone: ask the OS now
      if (const std::string os = folder_write_problem(plan.target); !os.empty()) failure += ": " + os;
    // Several writers: the others may be inside HDF5's collective calls (H5Dwrite, H5Fclose),
    // which no agreement between calls can bring to match, so this rank ends the job (a full
    // disk must not hang it). A failure once the file is closed ('closed') is agreed on below.
    if (w.parallel() && w.comm().size() > 1 && !collective_part_done(e))
      abort_after_io_failure(path, plan.temp, failure + (plan.fresh ? "" : "; the previous file is untouched"));
  }
  failure = w.agree_on_error(failure);
  if (!failure.empty()) {
    if (root) remove_quietly(plan.temp);
    throw Hdf5Error("cannot write " + path + ": " + failure + " (the previous file, if any, is untouched)");
  }

  std::string rename_error;
  if (root) {
    try {
      publish_file(plan.temp, plan.target);
    } catch (const std::exception& e) {
      rename_error = e.what();
    }
  }
  w.bcast(rename_error);
  if (!rename_error.empty()) throw Hdf5Error(rename_error);
  return plan.group;
}

}  // namespace

std::string write_run(const Communicator& comm, const std::string& path, const RunRecord& record, WriteMode mode,
                      const WriteOptions& options) {
  return write_run_with(Writers(&comm), path, record, mode, options);
}

std::string write_run(const std::string& path, const RunRecord& record, WriteMode mode, const WriteOptions& options) {
  return write_run_with(Writers(nullptr), path, record, mode, options);
}

}  // namespace multirank::study
