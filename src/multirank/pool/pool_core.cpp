#include "multirank/pool/internal/pool_core.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "multirank/core/error.hpp"

namespace multirank::detail {
namespace {
// Weight of the newest measurement in a task's running estimate of seconds per input.
constexpr double kEstimateWeight = 0.3;
// A lazy job's dispatched inputs are dropped from its column once they exceed this.
constexpr std::uint64_t kDropInputsBytes = 1 << 16;
}  // namespace

PoolCore::PoolCore(Communicator comm_in, PoolOptions options_in, SyncClock clock_in, std::vector<RankInfo> ranks_in)
    : comm(std::move(comm_in)),
      options(options_in),
      clock(clock_in),
      ranks(std::move(ranks_in)),
      size(comm.size()),
      local_worker(options.coordinator_works || comm.size() == 1),
      executors(comm.size() - 1 + (local_worker ? 1 : 0)),
      workers_per_rank(options.workers_per_rank),
      slots(executors * options.workers_per_rank),
      pinned_(static_cast<std::size_t>(comm.size())),
      flights_(static_cast<std::size_t>(comm.size())),
      tasks_per_rank_(static_cast<std::size_t>(comm.size()), 0),
      chunks_per_rank_(static_cast<std::size_t>(comm.size()), 0) {}

PoolCore::~PoolCore() {
  // Normally stop_threads() ran; this only guards against a destructor racing live threads.
  if (coordinator_.joinable() || !local_.empty()) stop_threads();
}

void PoolCore::start(const std::shared_ptr<Job>& job) {
  std::lock_guard<std::mutex> lock(mutex);
  if (terminated) throw UsageError("the pool was terminated; it accepts no more tasks");
  if (closed || stopping) throw UsageError("the pool is closed; it accepts no more tasks");
  if (job->pinned >= 0) {
    comm.check_rank(job->pinned);
    if (job->pinned == 0 && !local_worker)
      throw UsageError("rank 0 does not run tasks in this pool (PoolOptions::coordinator_works is false)");
  }
  job->id = next_job_id_++;
  job->queued_all = clock.now();
  active_.emplace(job->id, job);
  if (job->pinned >= 0)
    pinned_[static_cast<std::size_t>(job->pinned)].push_back(job);
  else
    queue_.push_back(job);
  if (job->settled()) forget_if_finished_locked(*job);  // e.g. a map over no inputs
  notify_work_locked();
  done_cv.notify_all();
}

void PoolCore::feed(Job& job, EncodedInputs&& inputs, bool end) {
  const double now = clock.now();
  std::lock_guard<std::mutex> lock(mutex);
  if (stopped) throw UsageError("the pool has ended; this stream can read no more inputs");
  if (job.dispatch_blocked()) return;
  if (job.column.empty())
    job.column = std::move(inputs.bytes);
  else
    job.column.append(inputs.bytes);
  if (!job.in_fixed)
    for (const auto s : inputs.sizes) job.offsets.push_back(job.offsets.back() + s);
  if (options.records) job.queued.insert(job.queued.end(), static_cast<std::size_t>(inputs.count), now);
  job.available += inputs.count;
  if (end) job.closed = true;
  if (job.settled()) forget_if_finished_locked(job);
  notify_work_locked();
  done_cv.notify_all();
}

void PoolCore::abandon(Job& job) {
  std::lock_guard<std::mutex> lock(mutex);
  job.abandoned = true;
  job.closed = true;
  job.column.clear();
  job.column.shrink_to_fit();
  for (auto& c : job.chunks) c.out = ChunkOutput{};
  forget_if_finished_locked(job);
  done_cv.notify_all();
}

bool PoolCore::cancel(Job& job) {
  std::lock_guard<std::mutex> lock(mutex);
  if (job.chunks_cut != 0 || job.settled()) return false;
  job.cancelled = true;
  forget_if_finished_locked(job);
  done_cv.notify_all();
  return true;
}

void PoolCore::wait_settled(Job& job) {
  std::unique_lock<std::mutex> lock(mutex);
  done_cv.wait(lock, [&] { return job.settled(); });
}

void PoolCore::close() {
  std::lock_guard<std::mutex> lock(mutex);
  closed = true;
}

void PoolCore::join() {
  std::unique_lock<std::mutex> lock(mutex);
  if (!closed && !terminated) throw UsageError("join() needs close() or terminate() first, as in Python");
  done_cv.wait(lock, [&] {
    return std::all_of(active_.begin(), active_.end(), [](const auto& kv) {
      const Job& j = *kv.second;
      return j.settled() || (!j.closed && j.quiet());
    });
  });
}

void PoolCore::terminate() {
  std::lock_guard<std::mutex> lock(mutex);
  terminated = true;
  closed = true;
  for (auto& [id, job] : active_) {
    (void)id;
    if (!job->settled()) job->cancelled = true;
  }
  queue_.clear();
  for (auto& q : pinned_) q.clear();
  notify_work_locked();
  done_cv.notify_all();
}

void PoolCore::start_threads() {
  if (size > 1) coordinator_ = std::thread([this] { coordinate(*this); });
  if (local_worker)
    for (int k = 0; k < workers_per_rank; ++k) local_.emplace_back([this] { work_locally(*this); });
}

void PoolCore::stop_threads() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
    local_stop_ = true;
    notify_work_locked();
  }
  for (auto& t : local_) t.join();
  local_.clear();
  if (coordinator_.joinable()) coordinator_.join();
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopped = true;
    done_cv.notify_all();
  }
  comm = Communicator();  // every rank frees its duplicate as the pool ends
}

void PoolCore::notify_work_locked() {
  wake = true;
  wake_cv.notify_one();
  if (workers_per_rank > 1)
    work_cv.notify_all();
  else
    work_cv.notify_one();
}

const PoolCore::Cost* PoolCore::cost_locked(TaskKey key) const {
  const auto it = costs_.find(key);
  return it == costs_.end() ? nullptr : &it->second;
}

bool PoolCore::wants_chunk_locked(int rank) const {
  const Flight& f = flights_[static_cast<std::size_t>(rank)];
  const double busy = std::chrono::duration<double>(std::chrono::steady_clock::now() - f.since).count();
  // Its workers drain the work it holds side by side.
  const double left = f.seconds / workers_per_rank - busy;
  return wants_another_chunk(f.chunks, left, f.unknown, f.long_unsure, static_cast<std::size_t>(workers_per_rank));
}

bool PoolCore::remote_work_in_flight_locked() const {
  for (std::size_t r = 1; r < flights_.size(); ++r)
    if (flights_[r].chunks > 0) return true;
  return false;
}

bool PoolCore::cut_chunk_locked(int rank, Cut& cut, std::size_t prefix) {
  if (terminated || (stopping && rank != 0)) return false;
  auto& mine = pinned_[static_cast<std::size_t>(rank)];
  while (!mine.empty()) {
    Job& j = *mine.front();
    if (cut_from_locked(j, rank, cut, prefix)) {
      cut.job = mine.front();
      if (j.closed && j.next == j.available) mine.pop_front();
      return true;
    }
    mine.pop_front();  // pinned jobs are single tasks: nothing left means done or cancelled
  }
  for (auto it = queue_.begin(); it != queue_.end();) {
    Job& j = **it;
    if (j.dispatch_blocked() || (j.closed && j.next == j.available)) {
      it = queue_.erase(it);
      continue;
    }
    if (cut_from_locked(j, rank, cut, prefix)) {
      cut.job = *it;
      if (j.closed && j.next == j.available) queue_.erase(it);
      return true;
    }
    ++it;
  }
  return false;
}

bool PoolCore::cut_from_locked(Job& j, int rank, Cut& cut, std::size_t prefix) {
  if (j.dispatch_blocked()) return false;
  const std::uint64_t ready = j.available - j.next;
  if (ready == 0) return false;
  const Cost* cost = cost_locked(j.key);
  const double per_item = cost ? cost->mean : -1.0;
  std::uint64_t n = 0;
  if (j.chunking.is_auto()) {
    n = auto_chunk_items(static_cast<std::size_t>(ready), slots, per_item);
  } else {
    const std::uint64_t c = j.chunking.fixed();
    if (ready < c && !j.closed) return false;  // wait for a full chunk
    n = std::min<std::uint64_t>(c, ready);
  }
  n = std::min<std::uint64_t>(n, 0xFFFFFFFEu);  // its count + 1 time stamps fit 32 bits
  const std::uint64_t from = j.offset_of(j.next);
  const std::uint64_t to = j.offset_of(j.next + n);
  cut.bytes.resize(prefix + (to - from));
  if (to > from) std::memcpy(cut.bytes.data() + prefix, j.column.data() + from, to - from);
  cut.seq = j.chunks_cut++;
  cut.first = j.next;
  cut.count = static_cast<std::uint32_t>(n);
  ChunkSlot& s = j.chunks.emplace_back();
  s.first = j.next;
  s.count = cut.count;
  s.rank = rank;
  s.estimated = per_item >= 0;
  s.estimate = s.estimated ? per_item * static_cast<double>(n) : 0.0;
  s.long_unsure = s.estimated && s.estimate >= kPrefetchSeconds && !cost->steady();
  if (options.records) {
    if (j.lazy) s.queued.assign(j.queued.begin(), j.queued.begin() + static_cast<std::ptrdiff_t>(n));
    if (!j.in_fixed) {
      s.bytes_in.resize(n);
      for (std::uint64_t k = 0; k < n; ++k) s.bytes_in[k] = j.offset_of(j.next + k + 1) - j.offset_of(j.next + k);
    }
  }
  if (j.lazy && options.records) j.queued.erase(j.queued.begin(), j.queued.begin() + static_cast<std::ptrdiff_t>(n));
  j.next += n;
  Flight& f = flights_[static_cast<std::size_t>(rank)];
  if (f.chunks == 0) f.since = std::chrono::steady_clock::now();
  ++f.chunks;
  f.seconds += s.estimate;
  if (!s.estimated) ++f.unknown;
  if (s.long_unsure) ++f.long_unsure;
  if (j.lazy) drop_dispatched_inputs_locked(j);
  return true;
}

void PoolCore::drop_dispatched_inputs_locked(Job& j) {
  const std::uint64_t upto = j.offset_of(j.next);
  if (upto < kDropInputsBytes || upto * 2 < j.column.size()) return;
  j.column.erase(0, upto);
  if (j.in_fixed) {
    j.base_item = j.next;
  } else {
    j.offsets.erase(j.offsets.begin(), j.offsets.begin() + static_cast<std::ptrdiff_t>(j.next - j.base_item));
    j.base_item = j.next;
    j.base_byte = j.offsets.front();
  }
}

void PoolCore::complete_locked(std::uint64_t job_id, std::uint64_t seq, int rank, ChunkOutput&& out) {
  const auto it = active_.find(job_id);
  if (it == active_.end()) return;  // an unknown job cannot have chunks in flight
  Job& j = *it->second;
  ChunkSlot& s = j.slot(seq);
  Flight& f = flights_[static_cast<std::size_t>(s.rank)];
  --f.chunks;
  f.seconds = f.chunks ? std::max(0.0, f.seconds - s.estimate) : 0.0;
  f.since = std::chrono::steady_clock::now();  // it starts on its next chunk about now
  if (!s.estimated) --f.unknown;
  if (s.long_unsure) --f.long_unsure;
  s.done = true;
  s.rank = rank;
  ++j.chunks_done;
  tasks_per_rank_[static_cast<std::size_t>(rank)] += s.count;
  ++chunks_per_rank_[static_cast<std::size_t>(rank)];

  if (s.count > 0) {
    const double per = out.seconds / s.count;
    Cost& c = costs_[j.key];
    if (c.samples == 0) {
      c.mean = per;
    } else {
      c.deviation = (1.0 - kEstimateWeight) * c.deviation + kEstimateWeight * std::abs(per - c.mean);
      c.mean = (1.0 - kEstimateWeight) * c.mean + kEstimateWeight * per;
    }
    ++c.samples;
  }
  if (!out.errors.empty()) {
    std::uint32_t lowest = out.errors.front().first;
    for (const auto& e : out.errors) lowest = std::min(lowest, e.first);
    j.first_error = std::min(j.first_error, s.first + lowest);
    if (j.fail_fast) j.halted = true;
  }
  if (options.records && !j.abandoned && !j.cancelled) {
    ChunkRecord rec;
    rec.first = s.first;
    rec.count = s.count;
    rec.rank = rank;
    rec.queued = j.queued_all;
    rec.queued_each = std::move(s.queued);
    rec.bounds = std::move(out.times);
    rec.in_fixed = j.in_fixed;
    rec.out_fixed = j.out_fixed;
    rec.bytes_in = std::move(s.bytes_in);
    if (!j.out_fixed && j.sizer && !(out.errors.size() >= s.count && out.payload.empty()))
      j.sizer(out.payload.data(), out.payload.size(), s.count, rec.bytes_out);
    recorded_inputs_ += s.count;
    records_.push_back(std::move(rec));
  }
  s.queued.clear();
  s.bytes_in.clear();
  out.times.clear();
  if (!j.abandoned && !j.cancelled) {
    s.out = std::move(out);
    if (j.unordered) j.completed.push_back(seq);
  }
  forget_if_finished_locked(j);
  done_cv.notify_all();
}

void PoolCore::forget_if_finished_locked(const Job& job) {
  // Kept while chunks are out, so their results find their slot; the reader holds its own reference.
  if (job.settled() && job.chunks_done == job.chunks_cut) active_.erase(job.id);
}

TaskError PoolCore::task_error(Job& job, std::uint64_t index) const {
  // Chunks cover consecutive inputs in sequence order: find the one holding `index`.
  auto it = std::upper_bound(job.chunks.begin(), job.chunks.end(), index,
                             [](std::uint64_t i, const ChunkSlot& c) { return i < c.first; });
  if (it == job.chunks.begin()) throw Error("pool: no chunk holds the failed input (an internal error)");
  const ChunkSlot& s = *std::prev(it);
  const auto pos = static_cast<std::uint32_t>(index - s.first);
  std::string message = "unknown failure";
  for (const auto& [p, m] : s.out.errors)
    if (p == pos) message = m;
  const RankInfo& where = ranks[static_cast<std::size_t>(s.rank)];
  return TaskError(job.task_name, index, s.rank, where.host, where.pid, message);
}

CancelledError PoolCore::cancelled_error(const Job& job) {
  return CancelledError("task '" + job.task_name + "' was cancelled before it finished");
}

std::vector<TaskRecord> PoolCore::records() const {
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<TaskRecord> out;
  out.reserve(recorded_inputs_);
  for (const ChunkRecord& c : records_) {
    const RankInfo& where = ranks[static_cast<std::size_t>(c.rank)];
    for (std::uint32_t k = 0; k < c.count; ++k) {
      TaskRecord t;
      t.task_id = static_cast<std::int64_t>(c.first + k);
      t.rank = c.rank;
      t.pid = where.pid;
      t.host = where.host;
      t.queued = k < c.queued_each.size() ? c.queued_each[k] : c.queued;
      if (std::size_t{k} + 1 < c.bounds.size()) {
        t.start = c.bounds[k];
        t.end = c.bounds[k + 1];
      }
      t.bytes_in = c.in_fixed ? c.in_fixed : (k < c.bytes_in.size() ? c.bytes_in[k] : 0);
      t.bytes_out = c.out_fixed ? c.out_fixed : (k < c.bytes_out.size() ? c.bytes_out[k] : 0);
      out.push_back(std::move(t));
    }
  }
  return out;
}

void PoolCore::clear_records() {
  std::lock_guard<std::mutex> lock(mutex);
  records_.clear();
  recorded_inputs_ = 0;
}

PoolStats PoolCore::stats() const {
  std::lock_guard<std::mutex> lock(mutex);
  return PoolStats{tasks_per_rank_, chunks_per_rank_};
}

}  // namespace multirank::detail
