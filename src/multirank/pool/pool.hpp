#pragma once
/// \file Pool: master-worker execution over the ranks of a communicator, as Python's
/// multiprocessing.Pool / ProcessPoolExecutor with ranks for processes.
///
/// \code
///   int square(int x) { return x * x; }
///
///   multirank::run_pool(comm, [](multirank::Pool& pool) {      // collective; body runs on rank 0
///     auto squares = pool.map(multirank::task<square>, std::vector<int>{1, 2, 3});   // {1, 4, 9}
///     auto f = pool.submit(multirank::task<square>, 7);           // Future<int>
///     for (int r : pool.imap(multirank::task<square>, std::views::iota(0, 1000))) use(r);
///     int x = f.get();                                             // 49
///   });                                                            // returns on every rank
/// \endcode
///
/// Rank 0 coordinates (a thread that feeds the other ranks) and also computes (a worker thread),
/// so P ranks keep P cores busy; the other ranks run chunks until the body returns. Chunks are
/// handed out dynamically (self-scheduling), each remote rank holding a little queued work so
/// short tasks are not bound by message latency. Nothing spins: idle threads sleep.
///
/// This header is the API only: its templates encode inputs and decode results with the one
/// codec (core/codec.hpp) and hand them to the scheduler through an opaque JobHandle
/// (job_handle.hpp); the job table and the scheduler live in pool/internal and the .cpp files.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "multirank/core/clock.hpp"
#include "multirank/core/codec.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/task_record.hpp"
#include "multirank/pool/chunksize.hpp"
#include "multirank/pool/future.hpp"
#include "multirank/pool/job_handle.hpp"
#include "multirank/pool/pool_options.hpp"
#include "multirank/pool/result_stream.hpp"
#include "multirank/pool/task.hpp"
#include "multirank/pool/task_error.hpp"

namespace multirank {

namespace detail {
struct PoolAccess;

/// A stream's input range, kept by reference when the caller passed an lvalue and by value
/// otherwise, iterated from its first read on. (Not std::views::all: Clang 14 cannot instantiate
/// libstdc++ 12's ranges::ref_view, llvm/llvm-project#52696.)
template <class Range>
class StreamSource {
  using Stored = std::conditional_t<std::is_lvalue_reference_v<Range>, std::remove_reference_t<Range>*,
                                    std::remove_cvref_t<Range>>;
  using Iterated = std::remove_reference_t<Range>;

 public:
  explicit StreamSource(Range&& range) : range_(store(std::forward<Range>(range))) {}
  /// The next input, converted to In and appended to `out`; false at the end.
  template <class In>
  bool next(EncodedInputs& out) {
    if (!it_) it_.emplace(std::ranges::begin(range()));
    if (*it_ == std::ranges::end(range())) return false;
    out.add(In(**it_));
    ++*it_;
    return true;
  }

 private:
  static Stored store(Range&& range) {
    if constexpr (std::is_lvalue_reference_v<Range>) {
      return &range;
    } else {
      return Stored(std::move(range));
    }
  }
  Iterated& range() {
    if constexpr (std::is_lvalue_reference_v<Range>) {
      return *range_;
    } else {
      return range_;
    }
  }
  Stored range_;
  std::optional<std::ranges::iterator_t<Iterated>> it_;
};
}  // namespace detail

/// The coordinating rank's handle on a running pool (given to the body of run_pool).
/// Use it from one thread (the body's).
class Pool {
 public:
  /// Ranks in the pool.
  [[nodiscard]] int size() const noexcept;
  /// Ranks that execute tasks (all of them unless PoolOptions::coordinator_works is false).
  [[nodiscard]] int executors() const noexcept;
  /// Tasks that can run at once: executors() x PoolOptions::workers_per_rank.
  [[nodiscard]] int workers() const noexcept;
  /// The pool's synchronised clock (the time base of records()).
  [[nodiscard]] const SyncClock& clock() const noexcept;

  /// f applied to every input, results in input order (Pool.map). The first failing input (lowest
  /// index among those run) throws TaskError once the chunks already out are back; nothing more
  /// of this map is started after a failure.
  template <auto F, class Range>
  std::vector<typename Task<F>::result_type> map(const Task<F>& task, Range&& inputs,
                                                 Chunksize chunksize = auto_chunksize) {
    static_assert(Task<F>::arity == 1, "map calls a one-argument function; use starmap for several arguments");
    using In = typename Task<F>::input_type;
    using Elem = std::remove_cv_t<std::ranges::range_value_t<Range>>;
    if constexpr (std::ranges::contiguous_range<Range> && std::ranges::sized_range<Range> &&
                  std::is_same_v<Elem, In> && fixed_item_bytes<In> != 0) {
      // Trivially copyable inputs already laid out as the column: one copy.
      detail::EncodedInputs in;
      in.count = static_cast<std::uint64_t>(std::ranges::size(inputs));
      in.bytes.assign(reinterpret_cast<const char*>(std::ranges::data(inputs)), in.count * sizeof(In));
      return run_all<F>(task, chunksize, std::move(in));
    } else {
      return run_all<F>(task, chunksize, encode_all<In>(std::forward<Range>(inputs), [](auto&& x) {
                          return In(std::forward<decltype(x)>(x));
                        }));
    }
  }

  /// f applied to every tuple of arguments, unpacked (Pool.starmap); results in input order.
  template <auto F, class Range>
  std::vector<typename Task<F>::result_type> starmap(const Task<F>& task, Range&& tuples,
                                                     Chunksize chunksize = auto_chunksize) {
    using In = typename Task<F>::input_type;
    return run_all<F>(task, chunksize,
                      encode_all<In>(std::forward<Range>(tuples), [](auto&& t) { return to_input<F>(t); }));
  }

  /// Lazy, ordered map (Pool.imap): reads `inputs` only as results are consumed (at most
  /// options.max_in_flight ahead). `inputs` is kept by reference if it is an lvalue.
  template <auto F, class Range>
  ImapResults<typename Task<F>::result_type> imap(const Task<F>& task, Range&& inputs, StreamOptions options = {}) {
    return stream<F, true>(task, std::forward<Range>(inputs), options);
  }
  /// imap with a chunk size.
  template <auto F, class Range>
  ImapResults<typename Task<F>::result_type> imap(const Task<F>& task, Range&& inputs, Chunksize chunksize) {
    return stream<F, true>(task, std::forward<Range>(inputs), StreamOptions{chunksize, 0});
  }

  /// Lazy map yielding {index, result} in completion order (Pool.imap_unordered, as_completed).
  template <auto F, class Range>
  UnorderedResults<typename Task<F>::result_type> imap_unordered(const Task<F>& task, Range&& inputs,
                                                                 StreamOptions options = {}) {
    return stream<F, false>(task, std::forward<Range>(inputs), options);
  }
  /// imap_unordered with a chunk size.
  template <auto F, class Range>
  UnorderedResults<typename Task<F>::result_type> imap_unordered(const Task<F>& task, Range&& inputs,
                                                                 Chunksize chunksize) {
    return stream<F, false>(task, std::forward<Range>(inputs), StreamOptions{chunksize, 0});
  }

  /// Runs f(args...) on whichever rank is free first (ProcessPoolExecutor.submit, Pool.apply_async).
  template <auto F, class... A>
  Future<typename Task<F>::result_type> submit(const Task<F>& task, A&&... args) {
    return submit_on<F>(-1, task, std::forward<A>(args)...);
  }
  /// Same as submit (Python's name).
  template <auto F, class... A>
  Future<typename Task<F>::result_type> apply_async(const Task<F>& task, A&&... args) {
    return submit_on<F>(-1, task, std::forward<A>(args)...);
  }
  /// Runs f(args...) on rank `rank` (Process(target=f, args).start(); the future's wait() is join()).
  template <auto F, class... A>
  Future<typename Task<F>::result_type> run_on(int rank, const Task<F>& task, A&&... args) {
    if (rank < 0 || rank >= size())
      throw UsageError("run_on: rank " + std::to_string(rank) + " is not in this pool of " + std::to_string(size()) +
                       " rank(s)");
    return submit_on<F>(rank, task, std::forward<A>(args)...);
  }

  /// Accepts no new work (Pool.close).
  void close();
  /// Waits for all submitted work (Pool.join); needs close() or terminate() first.
  void join();
  /// Cancels everything not finished (Pool.terminate): queued chunks are dropped, waiting futures
  /// and maps throw CancelledError. A task already running finishes (a rank cannot be killed
  /// without ending the MPI job); its result is discarded.
  void terminate();

  /// One record per executed input so far (task_id = input index in its call), in completion order.
  [[nodiscard]] std::vector<TaskRecord> records() const;
  /// Forgets the records so far (e.g. between the phases of a study).
  void clear_records();
  /// Inputs and chunks executed per rank so far.
  [[nodiscard]] PoolStats stats() const;

 private:
  friend struct detail::PoolAccess;
  explicit Pool(std::shared_ptr<detail::PoolCore> core) : core_(std::move(core)) {}

  /// Registers a job and queues its inputs for dispatch (UsageError once the pool is closed).
  detail::JobHandle start(const detail::JobSpec& spec, detail::EncodedInputs&& inputs, bool closed);

  template <auto F, class Tuple>
  static typename Task<F>::input_type to_input(const Tuple& t) {
    using In = typename Task<F>::input_type;
    if constexpr (Task<F>::arity == 0) {
      return In{};
    } else if constexpr (Task<F>::arity == 1) {
      return In(std::get<0>(t));
    } else {
      return In(t);
    }
  }

  template <auto F>
  static detail::JobSpec spec_of(const Task<F>& task, Chunksize chunksize) {
    using Out = typename detail::task_traits<decltype(F)>::output;
    using In = typename Task<F>::input_type;
    if (!chunksize.is_auto() && chunksize.fixed() == 0) throw UsageError("chunksize must be at least 1 (or auto)");
    detail::JobSpec spec;
    spec.key = task.key();
    spec.task_name = task.name();
    spec.in_fixed = fixed_item_bytes<In>;
    spec.out_fixed = fixed_item_bytes<Out>;
    spec.sizer = &detail::size_results<Out>;
    spec.chunking = chunksize;
    return spec;
  }

  template <class In, class Range, class Convert>
  static detail::EncodedInputs encode_all(Range&& inputs, Convert convert) {
    detail::EncodedInputs in;
    if constexpr (std::ranges::sized_range<Range>) {
      const auto n = static_cast<std::size_t>(std::ranges::size(inputs));
      if constexpr (fixed_item_bytes<In> != 0) {
        in.bytes.reserve(n * fixed_item_bytes<In>);
      } else {
        in.sizes.reserve(n);
      }
    }
    for (auto&& x : inputs) in.add(convert(std::forward<decltype(x)>(x)));
    return in;
  }

  /// Runs a job whose inputs are all in, waits, and decodes its results in input order.
  template <auto F>
  std::vector<typename Task<F>::result_type> run_all(const Task<F>& task, Chunksize chunksize,
                                                     detail::EncodedInputs&& inputs) {
    using R = typename Task<F>::result_type;
    static_assert(!std::is_void_v<R>, "map/starmap need a task that returns a value; use submit for void tasks");
    detail::JobSpec spec = spec_of<F>(task, chunksize);
    spec.fail_fast = true;
    const auto count = static_cast<std::size_t>(inputs.count);
    detail::JobHandle job = start(spec, std::move(inputs), true);
    std::vector<detail::ChunkResults> chunks = job.take_results();
    std::vector<R> out;
    if constexpr (fixed_item_bytes<R> != 0 && !std::is_same_v<R, bool>) {
      out.resize(count);  // trivially copyable results: copy each chunk's bytes in place
      for (const auto& chunk : chunks)
        if (!chunk.payload.empty())
          std::memcpy(static_cast<void*>(out.data() + chunk.first), chunk.payload.data(),
                      std::min<std::size_t>(chunk.payload.size(), std::size_t{chunk.count} * sizeof(R)));
      return out;
    }
    out.reserve(count);
    for (const auto& chunk : chunks) {
      const char* p = chunk.payload.data();
      const char* const end = p + chunk.payload.size();
      for (std::uint32_t k = 0; k < chunk.count; ++k) {
        R value{};
        read_item(p, end, value);
        out.push_back(std::move(value));
      }
    }
    return out;
  }

  template <auto F, bool Ordered, class Range>
  ResultStream<typename Task<F>::result_type, Ordered> stream(const Task<F>& task, Range&& inputs,
                                                               StreamOptions options) {
    using R = typename Task<F>::result_type;
    using In = typename Task<F>::input_type;
    static_assert(!std::is_void_v<R>, "imap needs a task that returns a value; use submit for void tasks");
    static_assert(Task<F>::arity == 1, "imap calls a one-argument function (pass tuples to a tuple-taking function)");
    detail::JobSpec spec = spec_of<F>(task, options.chunksize);
    spec.lazy = true;
    spec.unordered = !Ordered;
    std::size_t window = options.max_in_flight;
    const std::size_t chunk = options.chunksize.is_auto() ? 1 : options.chunksize.fixed();
    if (window == 0) window = static_cast<std::size_t>(workers()) * std::max<std::size_t>(64, 4 * chunk);
    if (window < chunk)
      throw UsageError("max_in_flight (" + std::to_string(window) + ") must be at least the chunk size (" +
                       std::to_string(chunk) + ")");
    // Inputs are handed over in batches (a whole chunk, or an eighth of the window) so that tiny
    // tasks do not pay a hand-over per input.
    const std::size_t batch = options.chunksize.is_auto() ? std::max<std::size_t>(1, window / 8) : chunk;
    auto source = std::make_shared<detail::StreamSource<Range>>(std::forward<Range>(inputs));
    detail::Feeder feed = [source](detail::EncodedInputs& out) { return source->template next<In>(out); };
    detail::JobHandle job = start(spec, detail::EncodedInputs{}, false);
    return ResultStream<R, Ordered>(std::move(job), std::move(feed), window, batch);
  }

  template <auto F, class... A>
  Future<typename Task<F>::result_type> submit_on(int rank, const Task<F>& task, A&&... args) {
    static_assert(sizeof...(A) == Task<F>::arity, "submit: wrong number of arguments for this task");
    using In = typename Task<F>::input_type;
    detail::JobSpec spec = spec_of<F>(task, Chunksize(1));
    spec.pinned = rank;
    detail::EncodedInputs in;
    if constexpr (Task<F>::arity == 0) {
      in.add(In{});
    } else {
      in.add(In(std::forward<A>(args)...));
    }
    return Future<typename Task<F>::result_type>(start(spec, std::move(in), true));
  }

  std::shared_ptr<detail::PoolCore> core_;
};

/// Runs a pool over `comm` (collective: every rank calls it with the same options). Rank 0 runs
/// `body` with the pool while the other ranks serve tasks; when the body returns, the pool closes,
/// waits for outstanding work and stops, and run_pool returns on every rank. If the body throws,
/// unfinished work is cancelled, the other ranks are released, and the exception propagates on
/// rank 0 (run_pool returns normally elsewhere). Several pools may run one after another on the
/// same communicator.
void run_pool(const Communicator& comm, const std::function<void(Pool&)>& body, const PoolOptions& options = {});

}  // namespace multirank
