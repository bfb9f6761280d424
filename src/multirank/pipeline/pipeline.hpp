#pragma once
/// \file Pipeline: a chain of stages on ranks, joined by bounded queues, with end-of-stream,
/// fan-out/fan-in, optional input order, failure propagation and per-stage figures.
///
/// \code
///   multirank::Pipeline p(comm);
///   p.source<int>("numbers", [](const StageContext&, Emit<int>& emit) { for (int i = 0; i < 100; ++i) emit(i); });
///   p.stage<int, long>("square", [](const StageContext&) {
///     return Worker<int, long>{[](int x, Emit<long>& out) { out(long{x} * x); }};
///   }, {.ranks = multirank::kEveryRank});
///   long sum = 0;
///   p.sink<long>("sum", [&](const StageContext&) { return SinkWorker<long>{[&](long v) { sum += v; }}; },
///                {.rank = 0});
///   PipelineReport report = p.run();   // collective; sum is complete on rank 0
/// \endcode

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

#include "multirank/channel/queue.hpp"
#include "multirank/core/codec.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/request.hpp"
#include "multirank/core/type_name.hpp"
#include "multirank/pipeline/pipeline_report.hpp"

namespace multirank {

/// `StageOptions::ranks` value: one instance of the stage on every rank.
inline constexpr int kEveryRank = 0;

/// Where and how a stage runs.
struct StageOptions {
  /// Number of instances (each on its own rank, sharing the stage's items); kEveryRank for one
  /// per rank. More instances than ranks are capped at the number of ranks.
  int ranks = 1;
  /// With one instance: the rank it runs on (-1: placed round-robin after the previous stages).
  int rank = -1;
  /// Deliver the inputs in source order (sequence numbers); needs exactly one instance.
  bool ordered = false;
};

/// Tuning of a whole pipeline.
struct PipelineOptions {
  /// Items buffered per link and consumer instance (each link's queue holds about this many per
  /// consumer, plus the minimum the queue needs); bounds memory.
  std::size_t items_per_consumer = 4;
};

/// Who a stage instance is.
struct StageContext {
  std::string name;   ///< the stage's name
  int stage = 0;      ///< its position in the chain (0 = source)
  int instance = 0;   ///< this instance, 0 <= instance < instances
  int instances = 1;  ///< instances of the stage
  int rank = 0;       ///< the rank this instance runs on
};

/// A stage failed: its message, on every rank, once the pipeline has ended.
class PipelineError : public Error {
 public:
  /// `message` is what the stage threw; `stage` its name; `rank` where it ran.
  PipelineError(const std::string& message, std::string stage, int rank)
      : Error(message), stage_(std::move(stage)), rank_(rank) {}
  /// Name of the stage that failed (the first in chain order when several did).
  [[nodiscard]] const std::string& stage() const noexcept { return stage_; }
  /// Rank it ran on.
  [[nodiscard]] int rank() const noexcept { return rank_; }

 private:
  std::string stage_;
  int rank_;
};

/// Hands a stage's outputs to the next stage.
template <class T>
class Emit {
 public:
  /// Emits through `send` (internal).
  explicit Emit(std::function<void(T&&)> send) : send_(std::move(send)) {}
  /// Emits one item.
  void operator()(T item) {
    send_(std::move(item));
    ++count_;
  }
  /// Items emitted through this handle.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  std::function<void(T&&)> send_;
  std::uint64_t count_ = 0;
};

/// What one instance of a middle stage does: `item` for every input, `end` once after the last one
/// (end-of-stream: flush what was accumulated). Built per instance, so it may hold state.
template <class In, class Out>
struct Worker {
  std::function<void(In&&, Emit<Out>&)> item;  ///< called for every input item
  std::function<void(Emit<Out>&)> end = {};    ///< called exactly once after the last input (may be empty)
};

/// What one instance of the last stage does.
template <class In>
struct SinkWorker {
  std::function<void(In&&)> item;  ///< called for every input item
  std::function<void()> end = {};  ///< called exactly once after the last input (may be empty)
};

namespace detail {

/// Items of one source item's lineage, as they travel between two stages. Every source item
/// gets a sequence number that its descendants keep, so a stage can restore input order.
template <class T>
struct Envelope {
  std::uint64_t seq = 0;     ///< the source item's sequence number
  std::uint32_t origin = 0;  ///< instance of the sending stage (orders end-of-stream outputs)
  bool tail = false;         ///< emitted at end-of-stream rather than for one input
  std::vector<T> items;      ///< the outputs (possibly none)
};

/// What leads an envelope on the wire.
struct EnvelopeHead {
  std::uint64_t seq = 0;
  std::uint64_t count = 0;
  std::uint32_t origin = 0;
  std::uint32_t tail = 0;
};

}  // namespace detail

/// An envelope travels as its head and its items framed by the one codec: trivially copyable
/// items as their own bytes (no Boost archive), others each as a length and its encoding.
template <class T>
struct Codec<detail::Envelope<T>> {
  static constexpr WireKind kind = WireKind::serialized;
  static void encode(std::string& out, const detail::Envelope<T>& e) {
    const detail::EnvelopeHead head{e.seq, e.items.size(), e.origin, e.tail ? 1U : 0U};
    out.append(reinterpret_cast<const char*>(&head), sizeof head);
    if constexpr (fixed_item_bytes<T> != 0) {
      out.append(reinterpret_cast<const char*>(e.items.data()), e.items.size() * sizeof(T));
    } else {
      for (const T& item : e.items) append_item(out, item);
    }
  }
  static void decode(std::span<const char> bytes, detail::Envelope<T>& e) {
    detail::EnvelopeHead head;
    if (bytes.size() < sizeof head) throw ProtocolError("Pipeline: a truncated envelope");
    std::memcpy(&head, bytes.data(), sizeof head);
    e.seq = head.seq;
    e.origin = head.origin;
    e.tail = head.tail != 0;
    const auto body = bytes.subspan(sizeof head);
    if (head.count > body.size() + 1) throw ProtocolError("Pipeline: an envelope claims more items than it holds");
    e.items.clear();
    e.items.reserve(static_cast<std::size_t>(head.count));
    read_batch<T>(body, static_cast<std::size_t>(head.count), [&e]() -> T& { return e.items.emplace_back(); });
  }
};

namespace detail {

/// A stage's own code threw: caught, reported, and the stage drains its input.
struct Cancelled {};

/// Failures and their notices between ranks; figures of this rank's instances.
class PipelineControl {
 public:
  /// Collective over `comm`.
  explicit PipelineControl(const Communicator& comm);
  /// Records the first failure on this rank and tells every other rank (once).
  void fail(int stage, const std::string& stage_name, const std::string& message);
  /// Whether any rank has failed (as far as this rank knows yet).
  bool cancelled();
  /// Ends the run collectively: receives every notice, gathers the figures (this rank's are
  /// `local`: one StageReport per local instance, `ranks` holding its rank), and throws
  /// PipelineError everywhere if a stage failed anywhere.
  PipelineReport finish(const std::vector<std::pair<int, StageReport>>& local,
                        const std::vector<std::string>& names, const std::vector<std::vector<int>>& placement,
                        double seconds);

 private:
  Communicator comm_;
  std::mutex mu_;
  bool failed_here_ = false;
  bool cancelled_ = false;
  int first_stage_ = -1;
  std::string first_stage_name_;
  std::string first_message_;
  std::vector<bool> notice_from_;
  std::vector<Request> notices_;
};

/// Figures of one instance, filled while it runs.
struct InstanceFigures {
  std::uint64_t items_in = 0;
  std::uint64_t items_out = 0;
  double busy = 0.0;
  double wait_in = 0.0;
  double wait_out = 0.0;
};

/// Seconds since `t0`.
inline double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The queue between two stages, type-erased so stages of any types line up in one vector.
struct LinkBase {
  virtual ~LinkBase() = default;
};
template <class T>
struct Link final : LinkBase {
  Link(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers, std::size_t capacity)
      : queue(comm, std::move(producers), std::move(consumers), capacity) {}
  Queue<Envelope<T>> queue;
};

/// What an instance needs to run.
struct InstanceEnv {
  StageContext ctx;
  LinkBase* in = nullptr;
  LinkBase* out = nullptr;
  bool ordered = false;            ///< restore input order
  bool keep_empty = false;         ///< forward empty envelopes (a later stage restores order)
  PipelineControl* control = nullptr;
  InstanceFigures* figures = nullptr;
};

/// One stage of the chain, its types erased.
struct StageBase {
  std::string name;
  StageOptions options;
  std::type_index in_type = typeid(void);   ///< what it takes (void: a source)
  std::type_index out_type = typeid(void);  ///< what it emits (void: a sink)
  std::string in_name = "void";             ///< in_type's stable name (core/type_name.hpp)
  std::string out_name = "void";            ///< out_type's stable name
  virtual ~StageBase() = default;
  /// The link carrying this stage's outputs.
  virtual std::unique_ptr<LinkBase> make_link(const Communicator& comm, std::vector<int> producers,
                                              std::vector<int> consumers, std::size_t capacity) const = 0;
  /// Runs one instance to completion; never throws (failures go to env.control).
  virtual void run_instance(InstanceEnv& env) = 0;
};

/// Runs `f` as the stage's own code: timed as busy, exceptions reported (returns false).
template <class F>
bool guarded(InstanceEnv& env, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  bool ok = true;
  try {
    f();
  } catch (const Cancelled&) {
    ok = false;
  } catch (const std::exception& e) {
    env.control->fail(env.ctx.stage, env.ctx.name, e.what());
    ok = false;
  } catch (...) {
    env.control->fail(env.ctx.stage, env.ctx.name, "unknown exception");
    ok = false;
  }
  env.figures->busy += since(t0);
  return ok;
}

/// The next envelope, or empty at end-of-stream.
template <class T>
std::optional<Envelope<T>> take(Queue<Envelope<T>>& queue) {
  return queue.get();
}

template <class T>
void put_timed(InstanceEnv& env, Link<T>& link, Envelope<T>&& e) {
  const auto t0 = std::chrono::steady_clock::now();
  link.queue.put(std::move(e));
  env.figures->wait_out += since(t0);
}

template <class Out>
struct SourceStage final : StageBase {
  std::function<void(const StageContext&, Emit<Out>&)> body;

  std::unique_ptr<LinkBase> make_link(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
                                      std::size_t capacity) const override {
    return std::make_unique<Link<Out>>(comm, std::move(producers), std::move(consumers), capacity);
  }

  void run_instance(InstanceEnv& env) override {
    auto& out = static_cast<Link<Out>&>(*env.out);
    std::uint64_t emitted = 0;
    double waiting = 0.0;
    Emit<Out> emit([&](Out&& item) {
      if (env.control->cancelled()) throw Cancelled{};
      Envelope<Out> e;
      e.seq = emitted * static_cast<std::uint64_t>(env.ctx.instances) + static_cast<std::uint64_t>(env.ctx.instance);
      e.origin = static_cast<std::uint32_t>(env.ctx.instance);
      e.items.push_back(std::move(item));
      const auto t0 = std::chrono::steady_clock::now();
      out.queue.put(std::move(e));
      waiting += since(t0);
      ++emitted;
    });
    guarded(env, [&] { body(env.ctx, emit); });
    env.figures->busy -= waiting;  // time blocked in put() is waiting, not work
    env.figures->wait_out += waiting;
    env.figures->items_out += emitted;
    out.queue.close();
  }
};

/// Restores source order: holds envelopes until every earlier sequence number went through;
/// end-of-stream outputs come last, by sending instance.
template <class T>
class Reorder {
 public:
  /// Takes `e`, then calls `deliver` for every envelope now in order.
  template <class F>
  void push(Envelope<T>&& e, F&& deliver) {
    if (e.tail) {
      tails_.emplace(e.origin, std::move(e));
      return;
    }
    held_.emplace(e.seq, std::move(e));
    while (!held_.empty() && held_.begin()->first == next_) {
      deliver(held_.begin()->second);
      held_.erase(held_.begin());
      ++next_;
    }
  }
  /// At end-of-stream: everything left, in order (gaps come from sources that emitted unevenly).
  template <class F>
  void flush(F&& deliver) {
    for (auto& [seq, e] : held_) deliver(e);
    for (auto& [origin, e] : tails_) deliver(e);
    held_.clear();
    tails_.clear();
  }

 private:
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, Envelope<T>> held_;
  std::multimap<std::uint32_t, Envelope<T>> tails_;
};

/// A middle stage (Out is an item type) or the last stage (Out is void).
template <class In, class Out>
struct ConsumerStage final : StageBase {
  static constexpr bool kSink = std::is_void_v<Out>;
  using WorkerType = std::conditional_t<kSink, SinkWorker<In>, Worker<In, std::conditional_t<kSink, int, Out>>>;
  std::function<WorkerType(const StageContext&)> factory;

  std::unique_ptr<LinkBase> make_link(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
                                      std::size_t capacity) const override {
    if constexpr (kSink) {
      (void)comm, (void)producers, (void)consumers, (void)capacity;
      return nullptr;
    } else {
      return std::make_unique<Link<Out>>(comm, std::move(producers), std::move(consumers), capacity);
    }
  }

  void run_instance(InstanceEnv& env) override {
    auto& in = static_cast<Link<In>&>(*env.in);
    std::optional<WorkerType> worker;
    bool ok = guarded(env, [&] { worker.emplace(factory(env.ctx)); });
    const auto deliver = [&](Envelope<In>& e) {
      env.figures->items_in += e.items.size();
      if (ok && env.control->cancelled()) ok = false;
      if constexpr (kSink) {
        if (ok && worker->item)
          ok = guarded(env, [&] {
            for (auto& item : e.items) worker->item(std::move(item));
          });
      } else {
        Envelope<Out> o;
        o.seq = e.seq;
        o.tail = e.tail;
        o.origin = static_cast<std::uint32_t>(env.ctx.instance);
        Emit<Out> emit([&o](Out&& item) { o.items.push_back(std::move(item)); });
        if (ok && worker->item)
          ok = guarded(env, [&] {
            for (auto& item : e.items) worker->item(std::move(item), emit);
          });
        if (!ok) o.items.clear();
        env.figures->items_out += o.items.size();
        if (!o.items.empty() || (env.keep_empty && !o.tail)) put_timed(env, static_cast<Link<Out>&>(*env.out), std::move(o));
      }
    };
    Reorder<In> reorder;
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      std::optional<Envelope<In>> e = take(in.queue);
      env.figures->wait_in += since(t0);
      if (!e) break;  // end-of-stream: every upstream instance closed and every item was got
      if (env.ordered) {
        reorder.push(std::move(*e), deliver);
      } else {
        deliver(*e);
      }
    }
    if (env.ordered) reorder.flush(deliver);
    // End-of-stream reaches the stage's own code exactly once per instance.
    if (ok && env.control->cancelled()) ok = false;
    if constexpr (kSink) {
      if (ok && worker->end) guarded(env, [&] { worker->end(); });
    } else {
      auto& out = static_cast<Link<Out>&>(*env.out);
      if (ok && worker->end) {
        Envelope<Out> o;
        o.tail = true;
        o.origin = static_cast<std::uint32_t>(env.ctx.instance);
        Emit<Out> emit([&o](Out&& item) { o.items.push_back(std::move(item)); });
        if (!guarded(env, [&] { worker->end(emit); })) o.items.clear();
        env.figures->items_out += o.items.size();
        if (!o.items.empty()) put_timed(env, out, std::move(o));
      }
      out.queue.close();
    }
  }
};

}  // namespace detail

/// A chain of stages over the ranks of a communicator, joined by bounded queues (channel/queue.hpp).
///
/// - The first stage is a source: it emits items until it returns. Each later stage gets items,
///   and may emit items to the next one; the last stage (the sink) only gets.
/// - A stage runs as one or more instances, each on its own rank, as a thread of that rank;
///   several instances share the stage's items (fan-out) and all feed the next stage (fan-in).
///   With fewer ranks than instances overall, stages share ranks: at one rank the whole
///   pipeline runs in that rank's threads. Waiting threads sleep.
/// - End-of-stream flows down once the source returns: every instance sees its inputs end and
///   calls its `end` exactly once.
/// - `StageOptions::ordered` gives a single-instance stage its inputs in source order.
/// - If a stage's code throws anywhere, the source stops, every stage drains, and run() throws
///   PipelineError with that message on every rank: no hang, no message left in flight.
/// - run() returns per-stage figures: items, busy time, waiting time.
class Pipeline {
 public:
  /// A pipeline over `comm` (collective: duplicates it).
  explicit Pipeline(const Communicator& comm, PipelineOptions options = {});

  /// Sets the source: `body(ctx, emit)` emits every item, then returns.
  template <class Out, class F>
  Pipeline& source(std::string name, F body, StageOptions options = {}) {
    if (!stages_.empty()) throw UsageError("Pipeline: source '" + name + "' must be the first stage");
    auto s = std::make_unique<detail::SourceStage<Out>>();
    s->body = std::move(body);
    s->out_type = typeid(Out);
    s->out_name = type_name<Out>();
    add(std::move(s), std::move(name), options);
    return *this;
  }
  /// Adds a middle stage: `factory(ctx)` builds each instance's Worker<In, Out>.
  template <class In, class Out, class F>
  Pipeline& stage(std::string name, F factory, StageOptions options = {}) {
    auto s = std::make_unique<detail::ConsumerStage<In, Out>>();
    s->factory = std::move(factory);
    s->in_type = typeid(In);
    s->out_type = typeid(Out);
    s->in_name = type_name<In>();
    s->out_name = type_name<Out>();
    add(std::move(s), std::move(name), options);
    return *this;
  }
  /// Adds the last stage: `factory(ctx)` builds each instance's SinkWorker<In>.
  template <class In, class F>
  Pipeline& sink(std::string name, F factory, StageOptions options = {}) {
    auto s = std::make_unique<detail::ConsumerStage<In, void>>();
    s->factory = std::move(factory);
    s->in_type = typeid(In);
    s->in_name = type_name<In>();
    add(std::move(s), std::move(name), options);
    return *this;
  }

  /// The ranks each stage's instances run on, in chain order, at this communicator's size.
  [[nodiscard]] std::vector<std::vector<int>> placement() const;

  /// Runs the pipeline to its end (collective). Throws PipelineError on every rank if a stage
  /// failed, UsageError for a chain that cannot run (no source, no sink, types that do not match).
  PipelineReport run();

 private:
  void add(std::unique_ptr<detail::StageBase> stage, std::string name, StageOptions options);

  Communicator comm_;
  PipelineOptions options_;
  std::vector<std::unique_ptr<detail::StageBase>> stages_;
};

}  // namespace multirank
