#pragma once
/// \file Tasks: functions that any rank of a pool can run, named by a stable key.
///
/// Every rank runs the same binary, so a task registered while static objects are initialised
/// (before main) is known under the same key on every rank. The key is a 64-bit hash of the
/// task's name (never a function address: each rank is its own process, with its own layout),
/// and a name never depends on the compiler's spelling (core/type_name.hpp).
///
/// \code
///   int square(int x) { return x * x; }
///   // either the function's qualified name is the key:
///   pool.map(multirank::task<square>, inputs);
///   // or a name of your choosing, on a namespace-scope object:
///   inline const multirank::Task<square> square_task{"demo.square"};
///   pool.map(square_task, inputs);
/// \endcode
///
/// Arguments and results may be any type that typed messages carry (see core/codec.hpp); results
/// must be default-constructible. A function of several parameters takes a std::tuple of them
/// (see Pool::starmap). A Task object must have static storage duration (namespace scope), so that
/// it is registered on every rank before the pool starts.

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "multirank/core/clock.hpp"
#include "multirank/core/type_name.hpp"
#include "multirank/core/codec.hpp"

namespace multirank {

/// A task's stable identity: the FNV-1a 64-bit hash of its name.
using TaskKey = std::uint64_t;

/// The key of a task name (compile-time computable).
constexpr TaskKey task_key(std::string_view name) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

namespace detail {

/// The argument of a task that takes none.
struct NoArgs {};
/// The result of a task that returns void.
struct NoResult {};

/// What one chunk produced on the rank that ran it.
struct ChunkOutput {
  std::string payload;                                          ///< one encoded result per input
  std::vector<std::pair<std::uint32_t, std::string>> errors;    ///< (position in chunk, message)
  std::vector<double> times;                                    ///< count+1 input boundaries (when recorded)
  double seconds = 0.0;                                         ///< time spent running the chunk
};

/// Runs `count` encoded inputs through a task and fills `out`; `clock` is null when per-task
/// times are not recorded.
using ChunkRunner = void (*)(const char* in, std::size_t in_bytes, std::uint32_t count, ChunkOutput& out,
                             const SyncClock* clock);

/// A registered task.
struct TaskEntry {
  std::string name;     ///< the name it was registered under
  TaskKey key = 0;      ///< task_key(name)
  ChunkRunner run = nullptr;
};

/// Registers `run` under `name` (normally while static objects are initialised). Registering the
/// same name with the same runner again is harmless; a different runner under the same name, or
/// a different name with the same key, throws UsageError.
TaskKey register_task(std::string_view name, ChunkRunner run);
/// The task registered under `key`, or nullptr.
const TaskEntry* find_task(TaskKey key) noexcept;

/// What a function pointer type means as a task.
template <class Fn>
struct task_traits;

template <class R, class... A>
struct task_traits<R (*)(A...)> {
  static constexpr std::size_t arity = sizeof...(A);
  using result = R;
  /// The Python-level arguments as a tuple (what starmap takes).
  using args_tuple = std::tuple<std::decay_t<A>...>;
  /// What travels as one input: the single argument itself, or a tuple of several.
  using input = std::conditional_t<arity == 0, NoArgs,
                                   std::conditional_t<arity == 1, std::tuple_element_t<0, std::tuple<std::decay_t<A>..., void>>,
                                                      args_tuple>>;
  /// What travels as one result.
  using output = std::conditional_t<std::is_void_v<R>, NoResult, std::decay_t<R>>;
};
template <class R, class... A>
struct task_traits<R (*)(A...) noexcept> : task_traits<R (*)(A...)> {};

/// Calls F on one decoded input.
template <auto F>
typename task_traits<decltype(F)>::output call_task(typename task_traits<decltype(F)>::input& in) {
  using T = task_traits<decltype(F)>;
  auto invoke = [&]() -> decltype(auto) {
    if constexpr (T::arity == 0) {
      return F();
    } else if constexpr (T::arity == 1) {
      return F(std::move(in));
    } else {
      return std::apply(F, std::move(in));
    }
  };
  if constexpr (std::is_void_v<typename T::result>) {
    invoke();
    return NoResult{};
  } else {
    return invoke();
  }
}

/// A cheap monotonic tick (the TSC on x86, ~10x cheaper than a clock call in a VM); only
/// differences within one chunk are used, scaled by the chunk's own wall-clock duration.
inline std::uint64_t tick() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

/// Turns tick offsets from `tick0` (stored in `bounds`) into clock times, given the chunk's start
/// `t_start` at tick0 and its end `t_end` at `tick_end` on the pool clock.
inline void ticks_to_times(std::vector<double>& bounds, std::uint64_t tick0, std::uint64_t tick_end, double t_start,
                           double t_end) {
  const double scale = tick_end > tick0 ? (t_end - t_start) / static_cast<double>(tick_end - tick0) : 0.0;
  for (auto& b : bounds) b = t_start + b * scale;
}

/// The chunk runner of F: decodes each input, calls F, encodes each result; an exception becomes
/// that input's error (its result slot holds a default value) and the next input still runs.
/// With a clock, out.times gets count+1 boundaries: input i ran from times[i] to times[i+1].
template <auto F>
void run_chunk(const char* in, std::size_t in_bytes, std::uint32_t count, ChunkOutput& out, const SyncClock* clock) {
  using T = task_traits<decltype(F)>;
  using Out = typename T::output;
  const char* p = in;
  const char* const end = in + in_bytes;
  const double t_start = clock ? clock->now() : 0.0;
  const std::uint64_t tick0 = tick();
  if (clock) {
    out.times.resize(std::size_t{count} + 1);
    out.times[0] = 0.0;
  }
  const double t0 = MPI_Wtime();
  std::uint32_t i = 0;
  for (; i < count; ++i) {
    typename T::input arg{};
    bool decoded = false;
    try {
      read_item(p, end, arg);
      decoded = true;
      append_item(out.payload, call_task<F>(arg));
    } catch (const std::exception& e) {
      append_item(out.payload, Out{});
      out.errors.emplace_back(i, e.what());
    } catch (...) {
      append_item(out.payload, Out{});
      out.errors.emplace_back(i, "unknown exception (not derived from std::exception)");
    }
    if (clock) out.times[i + 1] = static_cast<double>(tick() - tick0);
    if (!decoded) {  // the rest of the chunk cannot be located: fail it too
      for (std::uint32_t j = i + 1; j < count; ++j) {
        append_item(out.payload, Out{});
        out.errors.emplace_back(j, "input could not be decoded");
        if (clock) out.times[j + 1] = out.times[i + 1];
      }
      break;
    }
  }
  out.seconds = MPI_Wtime() - t0;
  if (clock) {
    const std::uint64_t tick_end = tick();
    const double t_end = clock->now();
    ticks_to_times(out.times, tick0, tick_end, t_start, t_end);
  }
}

}  // namespace detail

/// A handle on the registered task of function F (a plain function, not a lambda), usable with
/// every Pool call. Constructing it registers F under `name`.
template <auto F>
class Task {
  using traits = detail::task_traits<decltype(F)>;
  static_assert(std::is_default_constructible_v<typename traits::output>,
                "a task's result type must be default-constructible");
  static_assert(std::is_default_constructible_v<typename traits::input>,
                "a task's argument types must be default-constructible");

 public:
  /// What the function returns (void allowed).
  using result_type = typename traits::result;
  /// One input as it travels: the single argument, or a std::tuple of several.
  using input_type = typename traits::input;
  /// The function's arguments as a tuple.
  using args_tuple = typename traits::args_tuple;
  /// Number of parameters.
  static constexpr std::size_t arity = traits::arity;

  /// Registers F under `name` (do this at namespace scope; see the file comment).
  explicit Task(std::string_view name) : key_(detail::register_task(name, &detail::run_chunk<F>)), name_(name) {}

  /// The stable key.
  [[nodiscard]] TaskKey key() const noexcept { return key_; }
  /// The registered name.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  TaskKey key_;
  std::string name_;
};

/// The task of function F, registered under F's stable name: its qualified name and parameter
/// types, e.g. "ns::square(int)", the same text from GCC and Clang (core/type_name.hpp).
template <auto F>
inline const Task<F> task{function_name<F>()};

}  // namespace multirank
