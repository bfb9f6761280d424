// The typed layer's handle on a job: waiting, results, streams and cancel, over the job table
// (internal/pool_core.hpp) under the pool's mutex.
#include "multirank/pool/job_handle.hpp"

#include <algorithm>
#include <mutex>

#include "multirank/core/error.hpp"
#include "multirank/pool/internal/pool_core.hpp"

namespace multirank::detail {

bool JobHandle::ready() const {
  std::lock_guard<std::mutex> lock(core_->mutex);
  return job_->settled();
}

void JobHandle::wait() const { core_->wait_settled(*job_); }

bool JobHandle::wait_until(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(core_->mutex);
  return core_->done_cv.wait_until(lock, deadline, [&] { return job_->settled(); });
}

bool JobHandle::cancel() { return core_->cancel(*job_); }

bool JobHandle::cancelled() const {
  std::lock_guard<std::mutex> lock(core_->mutex);
  return job_->cancelled && (job_->chunks_cut == 0 || !job_->chunks.front().done);
}

std::string JobHandle::single_result() const {
  std::unique_lock<std::mutex> lock(core_->mutex);
  Job& j = *job_;
  core_->done_cv.wait(lock, [&] { return j.settled(); });
  if (j.chunks_cut == 0 || !j.chunks.front().done) throw PoolCore::cancelled_error(j);
  if (j.first_error != kNoIndex) throw core_->task_error(j, 0);
  return j.chunks.front().out.payload;
}

std::vector<ChunkResults> JobHandle::take_results() {
  std::unique_lock<std::mutex> lock(core_->mutex);
  Job& j = *job_;
  core_->done_cv.wait(lock, [&] { return j.settled(); });
  if (j.first_error != kNoIndex) throw core_->task_error(j, j.first_error);
  if (j.cancelled) throw PoolCore::cancelled_error(j);
  std::vector<ChunkResults> out;
  out.reserve(j.chunks.size());
  for (auto& chunk : j.chunks) out.push_back(ChunkResults{chunk.first, chunk.count, std::move(chunk.out.payload), {}});
  return out;
}

void JobHandle::feed(EncodedInputs&& inputs, bool end) { core_->feed(*job_, std::move(inputs), end); }

std::optional<ChunkResults> JobHandle::next_results() {
  std::unique_lock<std::mutex> lock(core_->mutex);
  Job& j = *job_;
  auto at_end = [&] { return j.closed && j.delivered == j.available; };
  auto ready = [&] { return j.unordered ? !j.completed.empty() : j.cursor < j.chunks_cut && j.slot(j.cursor).done; };
  core_->done_cv.wait(lock, [&] { return at_end() || j.cancelled || ready() || core_->stopped; });
  if (!ready()) {
    if (at_end()) return std::nullopt;
    if (j.cancelled) throw PoolCore::cancelled_error(j);
    throw UsageError("the pool ended while this stream still had results to deliver");
  }
  std::uint64_t seq = j.cursor;
  if (j.unordered) {
    seq = j.completed.front();
    j.completed.pop_front();
  } else {
    ++j.cursor;
  }
  ChunkSlot& s = j.slot(seq);
  ChunkResults out{s.first, s.count, std::move(s.out.payload), {}};
  for (const auto& [pos, msg] : s.out.errors) {
    (void)msg;
    out.failures.emplace_back(pos, std::make_exception_ptr(core_->task_error(j, s.first + pos)));
  }
  std::sort(out.failures.begin(), out.failures.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  j.delivered += s.count;
  s.consumed = true;
  while (!j.chunks.empty() && j.chunks.front().consumed && j.chunks.front().done) {
    j.chunks.pop_front();
    ++j.chunk_base;
  }
  return out;
}

void JobHandle::abandon() noexcept {
  try {
    core_->abandon(*job_);
  } catch (...) {
  }
}

std::optional<std::size_t> JobHandle::wait_any(const std::vector<const JobHandle*>& jobs,
                                               std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (jobs.empty()) throw UsageError("when_any needs at least one future");
  PoolCore& core = *jobs.front()->core_;
  std::optional<std::size_t> found;
  auto any = [&] {
    for (std::size_t i = 0; i < jobs.size(); ++i)
      if (jobs[i]->job_->settled()) return (found = i), true;
    return false;
  };
  std::unique_lock<std::mutex> lock(core.mutex);
  if (deadline)
    core.done_cv.wait_until(lock, *deadline, any);
  else
    core.done_cv.wait(lock, any);
  return found;
}

}  // namespace multirank::detail
