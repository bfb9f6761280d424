#pragma once
/// \file Lazy result streams of imap (input order) and imap_unordered (completion order).

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "multirank/core/error.hpp"
#include "multirank/pool/pool_core.hpp"

namespace multirank {

/// One result with the index of its input (what imap_unordered yields).
template <class R>
struct Indexed {
  std::uint64_t index = 0;  ///< position of the input in the input range
  R value{};                ///< the task's result
};

/// How a stream reads its inputs.
struct StreamOptions {
  /// Inputs per chunk: fixed, or auto (adaptive).
  Chunksize chunksize = auto_chunksize;
  /// Most inputs read but not yet returned to the caller (0: per executing rank, 64 or four
  /// chunks, whichever is more); the input range is read lazily, never further ahead than this.
  std::size_t max_in_flight = 0;
};

namespace detail {
/// Reads one input from the caller's range and appends its encoding; false at the end.
using Feeder = std::function<bool(std::string& out, std::uint64_t& bytes)>;
}  // namespace detail

/// The results of Pool::imap (Ordered) or Pool::imap_unordered, read lazily: inputs are read
/// from the caller's range only as results are consumed, at most max_in_flight ahead. A failed
/// input throws TaskError when its turn comes; reading may continue after it. Move-only; dropping
/// it early discards the remaining work.
template <class R, bool Ordered>
class ResultStream {
 public:
  /// What each step yields: the result, or (unordered) the result with its input index.
  using value_type = std::conditional_t<Ordered, R, Indexed<R>>;

  ResultStream(ResultStream&& other) noexcept = default;
  ResultStream& operator=(ResultStream&& other) noexcept {
    if (this != &other) {
      release();
      core_ = std::move(other.core_);
      job_ = std::move(other.job_);
      feed_ = std::move(other.feed_);
      window_ = other.window_;
      batch_ = other.batch_;
      read_ = other.read_;
      returned_ = other.returned_;
      input_done_ = other.input_done_;
      cursor_ = other.cursor_;
      buffer_ = std::move(other.buffer_);
    }
    return *this;
  }
  ResultStream(const ResultStream&) = delete;
  ResultStream& operator=(const ResultStream&) = delete;
  ~ResultStream() { release(); }

  /// The next result, or nullopt after the last one.
  std::optional<value_type> next() {
    if (buffer_.empty() && !refill()) return std::nullopt;
    Item item = std::move(buffer_.front());
    buffer_.pop_front();
    ++returned_;
    if (item.error) std::rethrow_exception(item.error);
    if constexpr (Ordered) {
      return std::move(item.value);
    } else {
      return Indexed<R>{item.index, std::move(item.value)};
    }
  }

  /// Inputs read from the caller's range so far.
  [[nodiscard]] std::uint64_t inputs_read() const noexcept { return read_; }

  /// Input iterator for range-for.
  class iterator {
   public:
    using value_type = ResultStream::value_type;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(ResultStream* s) : stream_(s) { ++*this; }
    value_type& operator*() { return *current_; }
    iterator& operator++() {
      current_ = stream_->next();
      if (!current_) stream_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return stream_ == nullptr; }

   private:
    ResultStream* stream_ = nullptr;
    std::optional<value_type> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

 private:
  friend class Pool;
  using Out = R;
  struct Item {
    std::uint64_t index = 0;
    Out value{};
    std::exception_ptr error;
  };

  ResultStream(std::shared_ptr<detail::PoolCore> core, std::shared_ptr<detail::Job> job, detail::Feeder feed,
               std::size_t window, std::size_t batch)
      : core_(std::move(core)), job_(std::move(job)), feed_(std::move(feed)), window_(window), batch_(batch) {}

  void release() noexcept {
    if (core_ && job_) {
      try {
        core_->abandon(*job_);
      } catch (...) {
      }
    }
    core_.reset();
    job_.reset();
  }

  /// Reads inputs up to the window and hands them to the pool in batches: only once a batch fits
  /// (so tiny tasks are not handed over one by one), or when little is left in flight (so a
  /// partly filled chunk is completed rather than waited for).
  void fill() {
    const auto in_flight = [&] { return read_ - returned_; };
    if (in_flight() + batch_ > window_ && in_flight() >= batch_) return;
    while (!input_done_ && in_flight() < window_) {
      std::string bytes;
      std::vector<std::uint64_t> sizes;
      const std::size_t want = std::min<std::size_t>(batch_, window_ - (read_ - returned_));
      bool end = false;
      while (sizes.size() < want) {
        std::uint64_t b = 0;
        if (!feed_(bytes, b)) {
          end = true;
          break;
        }
        sizes.push_back(b);
      }
      read_ += sizes.size();
      input_done_ = end;
      core_->feed(*job_, std::move(bytes), sizes, end);
    }
  }

  /// Waits for the next chunk of results and decodes it into the buffer; false at the end.
  bool refill() {
    if (!job_) return false;
    std::uint64_t first = 0;
    std::uint32_t count = 0;
    std::string payload;
    std::vector<std::pair<std::uint32_t, std::exception_ptr>> failures;
    {
      fill();
      std::unique_lock<std::mutex> lock(core_->mutex);
      detail::Job& j = *job_;
      auto at_end = [&] { return j.closed && returned_ == j.available; };
      auto ready = [&] {
        if constexpr (Ordered) {
          return cursor_ < j.chunks_cut && j.slot(cursor_).done;
        } else {
          return !j.completed.empty();
        }
      };
      core_->done_cv.wait(lock, [&] { return at_end() || j.cancelled || ready() || core_->stopped; });
      if (!ready()) {
        if (at_end()) return false;
        if (j.cancelled) throw detail::PoolCore::cancelled_error(j);
        throw UsageError("the pool ended while this stream still had results to deliver");
      }
      std::uint64_t seq = cursor_;
      if constexpr (Ordered) {
        ++cursor_;
      } else {
        seq = j.completed.front();
        j.completed.pop_front();
      }
      detail::ChunkSlot& s = j.slot(seq);
      first = s.first;
      count = s.count;
      payload = std::move(s.out.payload);
      failures.clear();
      for (const auto& [pos, msg] : s.out.errors) {
        (void)msg;
        failures.emplace_back(pos, std::make_exception_ptr(core_->task_error(j, s.first + pos)));
      }
      s.consumed = true;
      while (!j.chunks.empty() && j.chunks.front().consumed && j.chunks.front().done) {
        j.chunks.pop_front();
        ++j.chunk_base;
      }
    }
    // Decode outside the lock. A failed input holds a default value in the payload, unless the
    // whole chunk could not run (then the payload is empty).
    std::sort(failures.begin(), failures.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const bool all_failed = failures.size() >= count && payload.empty();
    const char* p = payload.data();
    const char* const end = p + payload.size();
    std::size_t next_failure = 0;
    for (std::uint32_t k = 0; k < count; ++k) {
      Item item;
      item.index = first + k;
      if (!all_failed) read_item(p, end, item.value);
      if (next_failure < failures.size() && failures[next_failure].first == k) item.error = failures[next_failure++].second;
      buffer_.push_back(std::move(item));
    }
    return true;
  }

  std::shared_ptr<detail::PoolCore> core_;
  std::shared_ptr<detail::Job> job_;
  detail::Feeder feed_;
  std::size_t window_ = 1;
  std::size_t batch_ = 1;
  std::uint64_t read_ = 0;
  std::uint64_t returned_ = 0;
  bool input_done_ = false;
  std::uint64_t cursor_ = 0;
  std::deque<Item> buffer_;
};

/// Results of Pool::imap, in input order.
template <class R>
using ImapResults = ResultStream<R, true>;
/// Results of Pool::imap_unordered, in completion order with input indices.
template <class R>
using UnorderedResults = ResultStream<R, false>;

}  // namespace multirank
