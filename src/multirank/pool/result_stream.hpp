#pragma once
/// \file Lazy result streams of imap (input order) and imap_unordered (completion order).

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "multirank/core/error.hpp"
#include "multirank/core/codec.hpp"
#include "multirank/pool/chunksize.hpp"
#include "multirank/pool/job_handle.hpp"

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
  /// Most inputs read but not yet returned to the caller (0: per worker, 64 or four
  /// chunks, whichever is more); the input range is read lazily, never further ahead than this.
  std::size_t max_in_flight = 0;
};

namespace detail {
/// Reads one input from the caller's range and appends its encoding; false at the end.
using Feeder = std::function<bool(EncodedInputs& out)>;
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
      job_ = std::move(other.job_);
      feed_ = std::move(other.feed_);
      window_ = other.window_;
      batch_ = other.batch_;
      read_ = other.read_;
      returned_ = other.returned_;
      input_done_ = other.input_done_;
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

  ResultStream(detail::JobHandle job, detail::Feeder feed, std::size_t window, std::size_t batch)
      : job_(std::move(job)), feed_(std::move(feed)), window_(window), batch_(batch) {}

  void release() noexcept {
    if (job_.valid()) job_.abandon();
    job_ = detail::JobHandle();
  }

  /// Reads inputs up to the window and hands them to the pool in batches: only once a batch fits
  /// (so tiny tasks are not handed over one by one), or when little is left in flight (so a
  /// partly filled chunk is completed rather than waited for).
  void fill() {
    const auto in_flight = [&] { return read_ - returned_; };
    if (in_flight() + batch_ > window_ && in_flight() >= batch_) return;
    while (!input_done_ && in_flight() < window_) {
      detail::EncodedInputs inputs;
      const std::size_t want = std::min<std::size_t>(batch_, window_ - (read_ - returned_));
      bool end = false;
      while (inputs.count < want) {
        if (!feed_(inputs)) {
          end = true;
          break;
        }
      }
      read_ += inputs.count;
      input_done_ = end;
      job_.feed(std::move(inputs), end);
    }
  }

  /// Waits for the next chunk of results and decodes it into the buffer; false at the end.
  bool refill() {
    if (!job_.valid()) return false;
    fill();
    std::optional<detail::ChunkResults> chunk = job_.next_results();
    if (!chunk) return false;
    // A failed input holds a default value in the payload, unless the whole chunk could not run
    // (then the payload is empty).
    const bool all_failed = chunk->failures.size() >= chunk->count && chunk->payload.empty();
    const char* p = chunk->payload.data();
    const char* const end = p + chunk->payload.size();
    std::size_t next_failure = 0;
    for (std::uint32_t k = 0; k < chunk->count; ++k) {
      Item item;
      item.index = chunk->first + k;
      if (!all_failed) read_item(p, end, item.value);
      if (next_failure < chunk->failures.size() && chunk->failures[next_failure].first == k)
        item.error = chunk->failures[next_failure++].second;
      buffer_.push_back(std::move(item));
    }
    return true;
  }

  detail::JobHandle job_;
  detail::Feeder feed_;
  std::size_t window_ = 1;
  std::size_t batch_ = 1;
  std::uint64_t read_ = 0;
  std::uint64_t returned_ = 0;
  bool input_done_ = false;
  std::deque<Item> buffer_;
};

/// Results of Pool::imap, in input order.
template <class R>
using ImapResults = ResultStream<R, true>;
/// Results of Pool::imap_unordered, in completion order with input indices.
template <class R>
using UnorderedResults = ResultStream<R, false>;

}  // namespace multirank
