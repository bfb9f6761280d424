#pragma once
/// \file Future<T>: the result of one submitted task, and waiting on several (gather, wait, as_completed).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "multirank/core/codec.hpp"
#include "multirank/core/error.hpp"
#include "multirank/pool/job_handle.hpp"

namespace multirank {

class Pool;

/// The eventual result of a task submitted with Pool::submit / apply_async / run_on, like
/// concurrent.futures.Future. Copies share the same result. Waiting sleeps (no spinning).
template <class T>
class Future {
 public:
  /// An empty future (valid() is false).
  Future() = default;

  /// Whether it refers to a task.
  [[nodiscard]] bool valid() const noexcept { return job_.valid(); }
  /// Whether the outcome is known (finished, failed or cancelled); never blocks.
  [[nodiscard]] bool ready() const { return job().ready(); }
  /// Blocks until ready (Python's Process.join for run_on).
  void wait() const { job().wait(); }
  /// Waits at most `timeout`; returns whether it is ready.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> timeout) const {
    return job().wait_until(std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
  }
  /// Waits, then returns the result (each call decodes a fresh copy). Throws TaskError when the
  /// task threw, CancelledError when it was cancelled or the pool terminated first.
  T get() const {
    using Out = std::conditional_t<std::is_void_v<T>, detail::NoResult, T>;
    const std::string payload = job().single_result();
    Out value{};
    const char* p = payload.data();
    read_item(p, payload.data() + payload.size(), value);
    if constexpr (!std::is_void_v<T>) return value;
  }
  /// Cancels the task if it has not started; returns whether it did (like Future.cancel()).
  bool cancel() { return job().cancel(); }
  /// Whether it was cancelled (before it finished).
  [[nodiscard]] bool cancelled() const { return job().cancelled(); }

 private:
  friend class Pool;
  template <class U>
  friend std::optional<std::size_t> when_any_until(const std::vector<Future<U>>&,
                                                    std::optional<std::chrono::steady_clock::time_point>);
  explicit Future(detail::JobHandle job) : job_(std::move(job)) {}
  const detail::JobHandle& job() const {
    if (!job_.valid()) throw UsageError("this Future refers to no task");
    return job_;
  }
  detail::JobHandle& job() {
    if (!job_.valid()) throw UsageError("this Future refers to no task");
    return job_;
  }

  detail::JobHandle job_;
};

/// Waits for all and returns their results in order (asyncio.gather); throws the first failure in order.
template <class T>
auto when_all(const std::vector<Future<T>>& futures) {
  if constexpr (std::is_void_v<T>) {
    for (const auto& f : futures) f.get();
  } else {
    std::vector<T> out;
    out.reserve(futures.size());
    for (const auto& f : futures) out.push_back(f.get());
    return out;
  }
}

/// Index of a ready future, waiting until `deadline` (forever when empty); nullopt on timeout.
template <class T>
std::optional<std::size_t> when_any_until(const std::vector<Future<T>>& futures,
                                          std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (futures.empty()) throw UsageError("when_any needs at least one future");
  std::vector<const detail::JobHandle*> jobs;
  jobs.reserve(futures.size());
  for (const auto& f : futures) {
    jobs.push_back(&f.job());
    if (!jobs.back()->same_pool(*jobs.front())) throw UsageError("when_any: all futures must come from the same pool");
  }
  return detail::JobHandle::wait_any(jobs, deadline);
}

/// Index of the first future to be ready (asyncio.wait(FIRST_COMPLETED)); blocks until one is.
template <class T>
std::size_t when_any(const std::vector<Future<T>>& futures) {
  return *when_any_until(futures, std::nullopt);
}

/// Like when_any, waiting at most `timeout`; nullopt when none became ready in time.
template <class T, class Rep, class Period>
std::optional<std::size_t> when_any_for(const std::vector<Future<T>>& futures,
                                        std::chrono::duration<Rep, Period> timeout) {
  return when_any_until(futures,
                        std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
}

/// The indices of `futures` in the order they become ready (concurrent.futures.as_completed):
/// `for (std::size_t i : as_completed(fs)) use(fs[i].get());`
template <class T>
class as_completed {
 public:
  /// Iterates over `futures`, which must outlive this object.
  explicit as_completed(const std::vector<Future<T>>& futures) : futures_(&futures), left_(futures.size()) {}

  /// Input iterator over indices.
  class iterator {
   public:
    using value_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(as_completed* owner) : owner_(owner) { advance(); }
    std::size_t operator*() const { return current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(std::default_sentinel_t) const { return owner_ == nullptr; }

   private:
    void advance() {
      if (!owner_) return;
      if (auto i = owner_->next()) {
        current_ = *i;
      } else {
        owner_ = nullptr;
      }
    }
    as_completed* owner_ = nullptr;
    std::size_t current_ = 0;
  };

  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

  /// The next index to become ready, or nullopt when all were returned.
  std::optional<std::size_t> next() {
    if (left_ == 0) return std::nullopt;
    if (pending_.empty()) {  // first call: everyone is pending
      for (std::size_t i = 0; i < futures_->size(); ++i) pending_.push_back(i);
    }
    std::vector<Future<T>> view;
    view.reserve(pending_.size());
    for (const auto i : pending_) view.push_back((*futures_)[i]);
    const std::size_t k = when_any(view);
    const std::size_t index = pending_[k];
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(k));
    --left_;
    return index;
  }

 private:
  const std::vector<Future<T>>* futures_;
  std::vector<std::size_t> pending_;
  std::size_t left_;
};

}  // namespace multirank
