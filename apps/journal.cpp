#include "journal.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include "multirank/core/error.hpp"
#include "multirank/core/output_file.hpp"
#include "multirank/core/signals.hpp"
#include "multirank/study/run_record.hpp"

namespace multirank::cli {
namespace {

constexpr int kFormat = 2;  // 1: the journals before checksums (no crc32, no keys)
constexpr const char* kWhat = "journal";

nlohmann::json header(const std::string& command, const nlohmann::json& options, const std::string& run_id) {
  return {{"multirank_journal", kFormat}, {"command", command}, {"options", options}, {"run_id", run_id}};
}

std::string shown(const nlohmann::json& j) {
  std::string text = j.dump();
  if (text.size() > 120) text = text.substr(0, 117) + "...";
  return text;
}

/// The size of `path` (-1 when it does not exist).
long long file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.st_size);
}

/// A journal of the format before checksums: its first line is a header without "crc32".
bool is_old_format(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string first;
  if (!std::getline(in, first)) return false;
  const auto j = nlohmann::json::parse(first, nullptr, false);
  return !j.is_discarded() && j.is_object() && j.contains("multirank_journal") && !j.contains("crc32");
}

/// What a journal holds, checked against this run; throws UsageError naming the line.
struct Checked {
  std::map<std::int64_t, nlohmann::json> done;
  std::string run_id;
  std::optional<JournalWritten> written;
};

/// The first difference between the journal's `theirs` and this run's `ours`, by its dotted
/// name: "options.n is 100 there, 200 here".
std::string difference(const std::string& name, const nlohmann::json& theirs, const nlohmann::json& ours) {
  const std::string prefix = name.empty() ? "" : name + ".";
  if (theirs.is_object() && ours.is_object()) {
    for (const auto& [key, value] : ours.items()) {
      if (!theirs.contains(key)) return prefix + key + " is absent there, " + shown(value) + " here";
      if (theirs[key] != value) return difference(prefix + key, theirs[key], value);
    }
    for (const auto& [key, value] : theirs.items())
      if (!ours.contains(key)) return prefix + key + " is " + shown(value) + " there, absent here";
  }
  return (name.empty() ? "the options" : name) + " is " + shown(theirs) + " there, " + shown(ours) + " here";
}

void check_header(const std::string& path, const nlohmann::json& found, const std::string& command,
                  const nlohmann::json& options) {
  const std::string where = "journal " + path + " ";
  const auto format = found.find("multirank_journal");
  if (format == found.end()) throw UsageError(where + "is not a multirank journal (line 1 is no journal header)");
  if (*format != kFormat)
    throw UsageError(where + "has journal format " + shown(*format) + "; this multirank reads format " +
                     std::to_string(kFormat) + ": run without --resume (after removing it) to start afresh");
  const auto cmd = found.find("command");
  if (cmd == found.end() || !cmd->is_string() || !found.contains("options") || !found.contains("run_id") ||
      !found["run_id"].is_string())
    throw UsageError(where + "line 1: the header lacks its command, options or run_id");
  if (*cmd != command)
    throw UsageError(where + "belongs to a `" + cmd->get<std::string>() + "` run, not to `" + command + "`");
  const nlohmann::json& theirs = found["options"];
  if (theirs == options) return;
  // Name what differs, not two long descriptions that may look alike.
  throw UsageError(where + "belongs to another `" + command + "` run: " + difference("", theirs, options));
}
Checked check_contents(const std::string& path, const DurableLogContents& contents, const std::string& command,
                       const nlohmann::json& options, const JournalTasks& tasks) {
  if (contents.records.empty())
    throw UsageError("journal " + path + " is empty (its run never recorded its header): run without --resume");
  check_header(path, contents.records.front(), command, options);
  Checked out;
  out.run_id = contents.records.front()["run_id"].get<std::string>();
  std::map<std::int64_t, std::size_t> line_of;
  for (std::size_t i = 1; i < contents.records.size(); ++i) {
    const nlohmann::json& r = contents.records[i];
    const std::size_t line = contents.lines[i];
    const std::string at = "journal " + path + " line " + std::to_string(line) + ": ";
    if (out.written) throw UsageError(at + "a record after the one saying the run was written");
    if (r.contains("written")) {
      if (r.size() != 2 || !r["written"].is_string() || !r.contains("file") || !r["file"].is_string())
        throw UsageError(at + "not a journal record (\"written\" needs a group name and \"file\")");
      out.written = JournalWritten{r["file"].get<std::string>(), r["written"].get<std::string>()};
      continue;
    }
    if (r.size() != 3 || !r.contains("task") || !r.contains("key") || !r.contains("result"))
      throw UsageError(at + "not a task record (it needs exactly \"task\", \"key\" and \"result\")");
    const nlohmann::json& task = r["task"];
    if (!task.is_number_integer()) throw UsageError(at + "\"task\" is " + shown(task) + ", not a whole number");
    const std::int64_t id = task.get<std::int64_t>();
    if (id < 0 || static_cast<std::size_t>(id) >= tasks.keys.size())
      throw UsageError(at + "task " + std::to_string(id) + " is not one of this run's " +
                       std::to_string(tasks.keys.size()) + " tasks (0 to " +
                       std::to_string(static_cast<long long>(tasks.keys.size()) - 1) + ")");
    const auto index = static_cast<std::size_t>(id);
    if (r["key"] != tasks.keys[index])
      throw UsageError(at + "task " + std::to_string(id) + " was recorded for the input " + shown(r["key"]) +
                       ", but this run's task " + std::to_string(id) + " is " + shown(tasks.keys[index]));
    if (const auto [it, fresh] = line_of.emplace(id, line); !fresh)
      throw UsageError(at + "task " + std::to_string(id) + " is recorded a second time (first on line " +
                       std::to_string(it->second) + ")");
    if (tasks.check_result)
      if (const std::string why = tasks.check_result(index, r["result"]); !why.empty())
        throw UsageError(at + "task " + std::to_string(id) + "'s result " + shown(r["result"]) + " is not valid: " + why);
    out.done.emplace(id, r["result"]);
  }
  return out;
}

DurableLog::Options log_options() {
  DurableLog::Options o;
  o.what = kWhat;
  return o;
}

void refuse_old_format(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string first;
  if (std::getline(in, first)) {
    const auto j = nlohmann::json::parse(first, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("multirank_journal"))
      throw UsageError("journal " + path + " is not a multirank journal (line 1 is no journal header)");
  }
  if (is_old_format(path))
    throw UsageError("journal " + path +
                     " was written by an older multirank, without checksums, so its results cannot be verified: "
                     "run without --resume (after removing it) to start afresh");
}

}  // namespace

std::string check_number(const nlohmann::json& value, const char* name, double low) {
  if (!value.is_number()) return std::string(name) + " is not a number";
  const double v = value.get<double>();
  if (!std::isfinite(v) || v < low) return std::string(name) + " must be a finite number of at least " + std::to_string(low);
  return "";
}

void Journal::check_usable(const std::string& path, const std::string& command, const nlohmann::json& options,
                           bool resume, const JournalTasks& tasks) {
  const long long size = file_size(path);
  struct stat st {};
  if (size >= 0 && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw UsageError("journal " + path + " is a directory");
  if (!resume) {
    // An empty file is what a run that could not even write its header leaves (a full disk).
    if (size > 0) throw UsageError("journal " + path + " already exists: add --resume to continue it, or remove it");
    check_output_folder(path, kWhat);
    return;
  }
  if (size < 0) throw UsageError("--resume: journal " + path + " does not exist");
  refuse_old_format(path);
  DurableLogContents contents;
  // Opening takes the lock: a journal in use by another job (or by orphaned ranks) is refused.
  { auto probe = DurableLog::open(path, contents, log_options()); }
  (void)check_contents(path, contents, command, options, tasks);
}

Journal::Journal(std::string path, std::string command, nlohmann::json options, bool resume, JournalTasks tasks)
    : path_(std::move(path)), keys_(tasks.keys) {
  if (resume) {
    refuse_old_format(path_);
    DurableLogContents contents;
    log_ = DurableLog::open(path_, contents, log_options());
    Checked checked = check_contents(path_, contents, command, options, tasks);
    done_ = std::move(checked.done);
    run_id_ = std::move(checked.run_id);
    written_ = std::move(checked.written);
    return;
  }
  if (file_size(path_) == 0) ::unlink(path_.c_str());  // an earlier run's headerless leftover
  run_id_ = study::new_run_id();
  try {
    log_ = DurableLog::create(path_, header(command, options, run_id_), log_options());
  } catch (const UsageError&) {
    throw;
  } catch (...) {
    remove_quietly(path_);  // created, but not even the header went in: leave nothing behind
    throw;
  }
}

Journal::~Journal() = default;  // the log flushes and unlocks

void Journal::record(std::int64_t task, const nlohmann::json& result) {
  // The job is stopping (a signal, or the launcher is gone): take no more results.
  while (stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The key is the task's input as this run knows it (checked on every resume).
  log_->append({{"task", task}, {"key", keys_.at(static_cast<std::size_t>(task))}, {"result", result}});
  done_[task] = result;
}

void Journal::record_written(const std::string& file, const std::string& group) {
  log_->append({{"written", group}, {"file", file}});
  log_->flush();
  written_ = JournalWritten{file, group};
}

void Journal::flush() { log_->flush(); }

}  // namespace multirank::cli
