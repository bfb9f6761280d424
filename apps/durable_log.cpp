#include "durable_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "multirank/core/error.hpp"
#include "multirank/core/signals.hpp"

namespace multirank::cli {
namespace {

std::string os_error(int err) { return std::strerror(err); }

/// Takes the exclusive lock on an open log, or says in one line why it cannot.
void lock_or_refuse(int fd, const std::string& path, const std::string& what) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
  const int err = errno;
  ::close(fd);
  if (err == EWOULDBLOCK)
    throw UsageError(what + " " + path + " is in use by another process (it holds the file's lock)");
  throw UsageError("cannot lock " + what + " " + path + ": " + os_error(err) +
                   " (the filesystem does not support flock; use a local or flock-mounted filesystem)");
}

std::string text_of(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string crc_hex(std::string_view text) {
  boost::crc_32_type crc;
  crc.process_bytes(text.data(), text.size());
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(crc.checksum()));
  return buf;
}

DurableLogContents parse(const std::string& data, const std::string& path, const std::string& what) {
  DurableLogContents out;
  std::size_t at = 0;
  std::size_t line = 0;
  while (at < data.size()) {
    const std::size_t nl = data.find('\n', at);
    ++line;
    if (nl == std::string::npos) {  // a write cut short: the only damage a crash leaves
      out.torn_tail = true;
      break;
    }
    const std::string_view text(data.data() + at, nl - at);
    const std::string where = what + " " + path + " line " + std::to_string(line);
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw UsageError(where + " is not a JSON object (damaged or edited)");
    const auto crc = j.find("crc32");
    if (crc == j.end() || !crc->is_string())
      throw UsageError(where + " has no checksum (\"crc32\"): not written by multirank, or edited");
    if (crc->get<std::string>() != DurableLog::checksum(j))
      throw UsageError(where + " fails its checksum: the record was edited or damaged");
    j.erase("crc32");
    out.records.push_back(std::move(j));
    out.lines.push_back(line);
    at = nl + 1;
    out.valid_bytes = at;
  }
  return out;
}

std::string read_all(int fd, const std::string& path, const std::string& what) {
  std::string data;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw UsageError("cannot read " + what + " " + path + ": " + os_error(errno));
    }
    if (n == 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string DurableLog::checksum(const nlohmann::json& record) {
  if (record.contains("crc32")) {
    nlohmann::json copy = record;
    copy.erase("crc32");
    return crc_hex(text_of(copy));
  }
  return crc_hex(text_of(record));
}

std::string DurableLog::line_of(nlohmann::json record) {
  record.erase("crc32");
  record["crc32"] = crc_hex(text_of(record));
  std::string line = text_of(record);
  line += '\n';
  return line;
}

DurableLogContents DurableLog::read(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UsageError("cannot read " + what + " " + path + ": " + os_error(errno));
  std::string data;
  try {
    data = read_all(fd, path, what);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return parse(data, path, what);
}

std::unique_ptr<DurableLog> DurableLog::create(const std::string& path, const nlohmann::json& header,
                                               Options options) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw UsageError("cannot create " + options.what + " " + path + ": " + os_error(errno));
  lock_or_refuse(fd, path, options.what);
  std::unique_ptr<DurableLog> log(new DurableLog(path, fd, std::move(options), 0, false));
  log->append(header);
  log->flush();
  return log;
}

std::unique_ptr<DurableLog> DurableLog::open(const std::string& path, DurableLogContents& contents, Options options) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw UsageError("cannot open " + options.what + " " + path + ": " + os_error(errno));
  lock_or_refuse(fd, path, options.what);
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) throw UsageError(options.what + " " + path + " is not a regular file");
    contents = parse(read_all(fd, path, options.what), path, options.what);
  } catch (...) {
    ::close(fd);
    throw;
  }
  const bool cut = contents.torn_tail;
  return std::unique_ptr<DurableLog>(new DurableLog(path, fd, std::move(options), contents.valid_bytes, cut));
}

DurableLog::DurableLog(std::string path, int fd, Options options, std::uint64_t keep_bytes, bool truncate_first)
    : path_(std::move(path)), fd_(fd), options_(std::move(options)), keep_bytes_(keep_bytes),
      truncate_first_(truncate_first) {
  if (::lseek(fd_, static_cast<off_t>(keep_bytes_), SEEK_SET) < 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error("cannot seek in " + options_.what + " " + path_ + ": " + os_error(err));
  }
  thread_ = std::thread([this] { flusher(); });
  if (options_.flush_on_stop) flush_id_ = register_flush([this] { seal(); });
}

DurableLog::~DurableLog() {
  if (flush_id_) unregister_flush(flush_id_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  try {
    flush();
  } catch (...) {
  }
  ::close(fd_);  // releases the lock
}

void DurableLog::append(nlohmann::json record) {
  std::string line = line_of(std::move(record));
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error_.empty()) throw std::runtime_error(error_);
  if (sealed_) return;  // the job is stopping: this record is one of the attempts it loses
  if (pending_.empty()) {
    first_pending_ = std::chrono::steady_clock::now();
    cv_.notify_all();
  }
  pending_ += line;
}

void DurableLog::write_locked(std::unique_lock<std::mutex>& lock) {
  // The write lock is taken before the batch, so batches reach the file in the order they formed.
  lock.unlock();
  std::lock_guard<std::mutex> writing(write_mutex_);
  lock.lock();
  std::string batch;
  batch.swap(pending_);
  if (batch.empty() || !error_.empty()) return;
  lock.unlock();
  std::string failure;
  if (truncate_first_) {  // drop the torn line before the first new one follows it
    if (::ftruncate(fd_, static_cast<off_t>(keep_bytes_)) != 0)
      failure = "cannot cut the torn last line of " + options_.what + " " + path_ + ": " + os_error(errno);
    truncate_first_ = false;
  }
  const char* p = batch.data();
  std::size_t left = batch.size();
  while (failure.empty() && left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      failure = "cannot write " + options_.what + " " + path_ + ": " + os_error(errno);
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (failure.empty() && ::fdatasync(fd_) != 0)
    failure = "cannot sync " + options_.what + " " + path_ + ": " + os_error(errno);
  lock.lock();
  if (!failure.empty() && error_.empty()) error_ = failure;
}

void DurableLog::flusher() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;  // the destructor writes what is left
    const auto due = first_pending_ + options_.interval;
    cv_.wait_until(lock, due, [&] { return stopping_ || pending_.empty(); });
    if (!pending_.empty() && !stopping_) write_locked(lock);
  }
}

void DurableLog::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  write_locked(lock);
  if (!error_.empty()) throw std::runtime_error(error_);
}

void DurableLog::seal() noexcept {
  try {
    std::unique_lock<std::mutex> lock(mutex_);
    do {
      write_locked(lock);
    } while (!pending_.empty() && error_.empty());
    sealed_ = true;
  } catch (...) {
  }
}

}  // namespace multirank::cli
