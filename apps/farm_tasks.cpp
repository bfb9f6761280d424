#include "farm_tasks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "multirank/core/error.hpp"

namespace multirank::cli::farm {

std::optional<TaskLine> classify(std::string_view text, std::int64_t line) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  const auto first = text.find_first_not_of(" \t\v\f");
  if (first == std::string_view::npos) return std::nullopt;
  if (text[first] == '#') {
    std::string_view t = text.substr(first);
    const auto last = t.find_last_not_of(" \t\v\f");
    t = t.substr(0, last + 1);
    if (t == "#MULTIRANK BARRIER") return TaskLine{TaskLine::Kind::barrier, line, {}};
    return std::nullopt;
  }
  return TaskLine{TaskLine::Kind::command, line, std::string(text)};
}

TaskSource::TaskSource(const std::string& path, std::size_t read_ahead) : read_ahead_(std::max<std::size_t>(read_ahead, 1)) {
  if (path == "-") {
    fd_ = 0;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw UsageError("cannot read the task list " + path + ": " + std::strerror(errno));
    owns_fd_ = true;
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd_);
      throw UsageError("the task list " + path + " is a directory");
    }
  }
  thread_ = std::thread([this] { read_loop(); });
}

TaskSource::~TaskSource() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  room_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (owns_fd_) ::close(fd_);
}

void TaskSource::read_loop() {
  std::string partial;
  std::int64_t line = 0;
  char buf[1 << 16];
  auto push = [&](std::string_view text) -> bool {
    ++line;
    auto entry = classify(text, line);
    if (!entry) return true;
    std::unique_lock<std::mutex> lock(mutex_);
    room_cv_.wait(lock, [&] { return stop_ || queue_.size() < read_ahead_; });
    if (stop_) return false;
    if (entry->kind == TaskLine::Kind::command) ++commands_;
    queue_.push_back(std::move(*entry));
    ready_cv_.notify_all();
    return true;
  };
  auto finish = [&](std::string error) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::move(error);
    done_ = true;
    ready_cv_.notify_all();
  };
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
    }
    // A pipe may stay silent for a long time: look for a stop request every 100 ms.
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return finish(std::string("cannot read the task list: ") + std::strerror(errno));
    }
    if (n == 0) break;
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    for (;;) {
      const auto nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        partial.append(chunk);
        break;
      }
      bool go = true;
      if (partial.empty()) {
        go = push(chunk.substr(0, nl));
      } else {
        partial.append(chunk.substr(0, nl));
        go = push(partial);
        partial.clear();
      }
      if (!go) return;
      chunk.remove_prefix(nl + 1);
    }
  }
  if (!partial.empty() && !push(partial)) return;  // a last line without its newline
  finish({});
}

TaskSource::Status TaskSource::next(TaskLine& out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (queue_.empty() && !done_ && timeout.count() > 0)
    ready_cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || done_; });
  if (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    room_cv_.notify_one();
    return Status::entry;
  }
  if (!done_) return Status::pending;
  if (!error_.empty()) throw std::runtime_error(error_);
  return Status::end;
}

std::optional<std::uint64_t> TaskSource::total_commands() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!done_) return std::nullopt;
  return commands_;
}

}  // namespace multirank::cli::farm
