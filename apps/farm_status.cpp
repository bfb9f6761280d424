#include "farm_status.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "multirank/core/error.hpp"

namespace multirank::cli::farm {
namespace {

constexpr int kFormatVersion = 1;
const char* const kWhat = "status file";

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

void check_folder_writable(const std::string& path) {
  const std::string dir = folder_of(path);
  if (::access(dir.c_str(), W_OK) != 0)
    throw UsageError(std::string("cannot write the ") + kWhat + " " + path + ": folder " + dir + ": " + std::strerror(errno));
}

/// The task list as the header names it: "-", or its absolute path.
std::string list_path(const std::string& tasks) {
  if (tasks == "-") return "-";
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(tasks, ec), ec);
  return ec ? tasks : p.string();
}

/// Checks one attempt record's members, naming the line of the file.
void check_record(const nlohmann::json& j, const std::string& where) {
  auto integer = [](const nlohmann::json& v) { return v.is_number_integer(); };
  auto text = [](const nlohmann::json& v) { return v.is_string(); };
  auto number = [](const nlohmann::json& v) { return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= 0; };
  auto boolean = [](const nlohmann::json& v) { return v.is_boolean(); };
  struct Field {
    const char* name;
    bool (*ok)(const nlohmann::json&);
    const char* kind;
  };
  const Field fields[] = {{"task", integer, "an integer"},     {"command", text, "a string"},
                          {"exit_code", integer, "an integer"}, {"signal", integer, "an integer"},
                          {"timed_out", boolean, "true or false"}, {"attempt", integer, "an integer"},
                          {"rank", integer, "an integer"},     {"host", text, "a string"},
                          {"pid", integer, "an integer"},      {"start", text, "a string"},
                          {"end", text, "a string"},           {"seconds", number, "a number >= 0"}};
  for (const auto& f : fields) {
    const auto it = j.find(f.name);
    if (it == j.end() || !f.ok(*it)) throw UsageError(where + ": \"" + f.name + "\" is missing or not " + f.kind);
  }
  if (j["task"].get<std::int64_t>() < 1) throw UsageError(where + ": \"task\" must be a line number (1 or more)");
  if (j["attempt"].get<std::int64_t>() < 1) throw UsageError(where + ": \"attempt\" must be 1 or more");
}

}  // namespace

std::string iso_utc(double unix_seconds) {
  const auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
  int ms = static_cast<int>(std::lround((unix_seconds - static_cast<double>(whole)) * 1000.0));
  std::time_t t = whole;
  if (ms >= 1000) {
    ms -= 1000;
    ++t;
  }
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::string recorded_text(const std::string& command) {
  // Round trip through JSON with invalid bytes replaced, exactly as the record stores it.
  return nlohmann::json::parse(nlohmann::json(command).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

nlohmann::ordered_json to_json(const Attempt& a) {
  return {{"task", a.task},         {"command", a.command},   {"exit_code", a.exit_code},
          {"signal", a.signal},     {"timed_out", a.timed_out}, {"attempt", a.attempt},
          {"rank", a.rank},         {"host", a.host},         {"pid", a.pid},
          {"start", iso_utc(a.start_unix)}, {"end", iso_utc(a.end_unix)}, {"seconds", a.seconds}};
}

StatusFile::StatusFile(std::string path, const std::string& tasks, bool resume) : path_(std::move(path)) {
  header_ = {{"multirank_farm", kFormatVersion}, {"tasks", tasks}, {"tasks_path", list_path(tasks)}};
  const std::string wanted_path = list_path(tasks);
  struct stat st {};
  const bool exists = ::stat(path_.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) throw UsageError(std::string(kWhat) + " " + path_ + " is a directory");
  if (!resume) {
    if (exists)
      throw UsageError(std::string(kWhat) + " " + path_ + " already exists" + (st.st_size == 0 ? " (empty)" : "") +
                       ": add --resume to continue it, or remove it");
    check_folder_writable(path_);
    return;
  }
  if (!exists) {
    check_folder_writable(path_);
    return;
  }
  DurableLogContents contents;
  log_ = DurableLog::open(path_, contents, DurableLog::Options{kWhat, std::chrono::milliseconds(200), true});
  if (contents.records.empty()) return;  // empty, or only a torn header: starts over
  const auto& head = contents.records.front();
  if (!head.contains("multirank_farm"))
    throw UsageError(path_ + " is not a multirank farm status file (line 1 is no farm header)");
  if (head["multirank_farm"] != kFormatVersion)
    throw UsageError(std::string(kWhat) + " " + path_ + " has format version " + head["multirank_farm"].dump() +
                     ", not " + std::to_string(kFormatVersion) + ": run without --resume");
  const std::string recorded = head.value("tasks_path", std::string());
  if (recorded != wanted_path)
    throw UsageError(std::string(kWhat) + " " + path_ + " belongs to the task list " + head.value("tasks", recorded) +
                     " (" + recorded + "), not to " + tasks + " (" + wanted_path + ")");
  has_header_ = true;
  for (std::size_t i = 1; i < contents.records.size(); ++i) {
    const auto& j = contents.records[i];
    const std::string where = std::string(kWhat) + " " + path_ + " line " + std::to_string(contents.lines[i]);
    check_record(j, where);
    const auto task = j["task"].get<std::int64_t>();
    const auto command = j["command"].get<std::string>();
    const Last last{j["attempt"].get<int>(), j["exit_code"].get<int>()};
    auto& seen = last_[task];
    bool found = false;
    for (auto& [cmd, l] : seen) {
      if (cmd != command) continue;
      found = true;
      if (last.attempt == l.attempt)
        throw UsageError(where + ": attempt " + std::to_string(last.attempt) + " of task " + std::to_string(task) +
                         " is recorded twice");
      if (last.attempt > l.attempt) l = last;
    }
    if (!found) seen.emplace_back(command, last);
    ++resumed_;
  }
}

void StatusFile::start() {
  if (!log_) {
    header_["created"] = iso_utc(now_unix());
    log_ = DurableLog::create(path_, header_, DurableLog::Options{kWhat, std::chrono::milliseconds(200), true});
    return;
  }
  if (!has_header_) {  // an empty file (or one with only a torn header) taken over
    header_["created"] = iso_utc(now_unix());
    log_->append(header_);
    log_->flush();
  }
}

void StatusFile::record(const Attempt& a) { log_->append(to_json(a)); }

void StatusFile::flush() {
  if (log_) log_->flush();
}

std::optional<StatusFile::Last> StatusFile::last(std::int64_t task, const std::string& recorded_command) const {
  const auto it = last_.find(task);
  if (it == last_.end()) return std::nullopt;
  for (const auto& [cmd, l] : it->second)
    if (cmd == recorded_command) return l;
  return std::nullopt;
}

}  // namespace multirank::cli::farm
