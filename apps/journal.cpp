#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "multirank/core/error.hpp"
#include "multirank/core/signals.hpp"

namespace multirank::cli {
namespace {

constexpr std::size_t kBatch = 64;
constexpr auto kSyncInterval = std::chrono::milliseconds(200);
std::mutex g_journal_mutex;  // record() and a stop signal's flush may race

nlohmann::json header(const std::string& command, const nlohmann::json& options) {
  return {{"multirank_journal", 1}, {"command", command}, {"options", options}};
}

struct Loaded {
  nlohmann::json header;
  std::map<std::int64_t, nlohmann::json> done;
  std::uint64_t complete_bytes = 0;  // length of the prefix made of complete lines
};

Loaded load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read journal " + path + ": " + std::strerror(errno));
  Loaded out;
  std::string line;
  bool first = true;
  std::uint64_t offset = 0;
  while (std::getline(in, line)) {
    const bool complete = !in.eof();  // getline hit a newline
    if (!complete) break;             // torn last line
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      if (first) throw UsageError(path + " is not a multirank journal");
      break;  // a damaged line: keep what precedes it
    }
    if (first) {
      if (!j.is_object() || !j.contains("multirank_journal")) throw UsageError(path + " is not a multirank journal");
      out.header = std::move(j);
      first = false;
    } else {
      if (!j.contains("task") || !j.contains("result")) break;
      out.done[j["task"].get<std::int64_t>()] = j["result"];
    }
    offset += line.size() + 1;
    out.complete_bytes = offset;
  }
  if (first) throw UsageError(path + " is empty or not a multirank journal");
  return out;
}

void check_header(const std::string& path, const nlohmann::json& found, const std::string& command,
                  const nlohmann::json& options) {
  if (found != header(command, options))
    throw UsageError("journal " + path + " belongs to another run (" + found.value("command", std::string("?")) +
                     " " + found.value("options", nlohmann::json::object()).dump() + "), not to " + command + " " +
                     options.dump());
}

}  // namespace

void Journal::check_usable(const std::string& path, const std::string& command, const nlohmann::json& options,
                           bool resume) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!resume) {
    if (exists) throw UsageError("journal " + path + " already exists: add --resume to continue it, or remove it");
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
    if (::access(dir.c_str(), W_OK) != 0) throw UsageError("cannot write a journal in " + dir + ": " + std::strerror(errno));
    return;
  }
  if (!exists) throw UsageError("--resume: journal " + path + " does not exist");
  if (S_ISDIR(st.st_mode)) throw UsageError("journal " + path + " is a directory");
  check_header(path, load(path).header, command, options);
}

Journal::Journal(std::string path, std::string command, nlohmann::json options, bool resume)
    : path_(std::move(path)), last_sync_(std::chrono::steady_clock::now()) {
  if (resume) {
    Loaded loaded = load(path_);
    check_header(path_, loaded.header, command, options);
    done_ = std::move(loaded.done);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0 || ::ftruncate(fd_, static_cast<off_t>(loaded.complete_bytes)) != 0 ||
        ::lseek(fd_, 0, SEEK_END) < 0)
      throw std::runtime_error("cannot reopen journal " + path_ + ": " + std::strerror(errno));
  } else {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw UsageError("cannot create journal " + path_ + ": " + std::strerror(errno));
    pending_ = header(command, options).dump() + "\n";
    flush();
  }
  flush_id_ = register_flush([this] {
    flush();
    std::lock_guard<std::mutex> lock(g_journal_mutex);
    sealed_ = true;
  });
}

Journal::~Journal() {
  unregister_flush(flush_id_);
  try {
    flush();
  } catch (...) {
  }
  if (fd_ >= 0) ::close(fd_);
}

void Journal::record(std::int64_t task, const nlohmann::json& result) {
  bool due = false;
  {
    std::unique_lock<std::mutex> lock(g_journal_mutex);
    while (sealed_) {  // the job is stopping (the handler aborts it in a moment): take no more results
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lock.lock();
    }
    pending_ += nlohmann::json{{"task", task}, {"result", result}}.dump() + "\n";
    ++pending_count_;
    done_[task] = result;
    due = pending_count_ >= kBatch || std::chrono::steady_clock::now() - last_sync_ >= kSyncInterval;
  }
  if (due) flush();
}

void Journal::flush() {
  std::lock_guard<std::mutex> lock(g_journal_mutex);
  if (fd_ < 0 || pending_.empty() || sealed_) return;
  const char* p = pending_.data();
  std::size_t left = pending_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write journal " + path_ + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::fdatasync(fd_);
  pending_.clear();
  pending_count_ = 0;
  last_sync_ = std::chrono::steady_clock::now();
}

}  // namespace multirank::cli
