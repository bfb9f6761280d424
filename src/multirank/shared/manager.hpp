#pragma once
/// \file Manager: a dictionary and a list hosted on one rank, used from every rank through a
/// proxy (Python's `multiprocessing.Manager().dict()` and `.list()`).
///
/// ```cpp
/// multirank::Manager m(comm);                        // collective; the data lives on rank 0
/// m.set("name", std::string("run-7"));
/// m.update<std::int64_t>("done", [](std::int64_t n) { return n + 1; });   // atomic
/// m.append(std::make_pair(comm.rank(), 3.5));
/// comm.barrier();
/// for (auto& [k, v] : m.items<std::int64_t>()) ...
/// ```
/// Values may be of any type that can travel (trivially copyable, or with a Boost.Serialization
/// `serialize`); each entry remembers its type, and reading it as another type throws UsageError.
/// The host answers from a service thread that sleeps when idle (a Backoff on MPI_Iprobe), so it
/// serves while its own user code runs; the host's own calls go straight to the data.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "multirank/core/codec.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/type_name.hpp"
#include "multirank/core/wait.hpp"

namespace multirank {

namespace detail {

/// One stored value: its type's stable name (core/type_name.hpp, the same from every compiler), its encoded bytes, and the store version of its last write.
struct ManagedEntry {
  std::string type;
  std::string bytes;
  std::uint64_t version = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) { ar & type & bytes & version; }
};

/// What a proxy asks the host.
struct ManagerRequest {
  enum Op : int { get, set, compare_set, erase, items, size, append, list, list_size };
  int op = get;
  std::string key;
  ManagedEntry entry;         ///< value for set / compare_set / append
  std::uint64_t expected = 0;  ///< compare_set: the version the entry must still have (0: absent)
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) { ar & op & key & entry & expected; }
};

/// What the host answers.
struct ManagerReply {
  bool ok = false;                                          ///< found / written / erased
  ManagedEntry entry;                                       ///< get: the value
  std::uint64_t number = 0;                                 ///< size, list_size, append's index
  std::vector<std::pair<std::string, ManagedEntry>> items;  ///< items, list (key empty)
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) { ar & ok & entry & number & items; }
};

/// The hosted data; `apply` runs one request under a mutex.
class ManagerStore {
 public:
  ManagerReply apply(const ManagerRequest& request);

 private:
  std::mutex mutex_;
  std::map<std::string, ManagedEntry> dict_;
  std::vector<ManagedEntry> list_;
  std::uint64_t version_ = 0;
};

template <class T>
ManagedEntry encode_entry(const T& value) {
  ManagedEntry e;
  e.type = type_name<T>();
  e.bytes = encode_bytes(value);  // the one codec (core/codec.hpp)
  return e;
}

/// Throws UsageError unless `e` holds a T (`what` names the entry in the message).
void check_entry_type(const ManagedEntry& e, const std::string& expected_type, const std::string& what);

template <class T>
T decode_entry(const ManagedEntry& e, const std::string& what) {
  check_entry_type(e, type_name<T>(), what);
  T value{};
  decode_bytes(std::span<const char>(e.bytes.data(), e.bytes.size()), value);
  return value;
}

}  // namespace detail

/// A proxy to the dictionary and list hosted on `host`; every rank holds one.
/// Each call is one round trip to the host (none on the host itself) and is atomic there.
/// Construction and destruction (or close()) are collective.
class Manager {
 public:
  /// Creates the store on `host` and starts its service thread (collective).
  explicit Manager(const Communicator& comm, int host = 0);
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;
  /// close()s if not done yet.
  ~Manager();
  /// Waits until every rank is done with the manager, then stops the host's service thread
  /// (collective). Calls made afterwards throw UsageError.
  void close();

  /// The rank hosting the data.
  [[nodiscard]] int host() const noexcept { return host_; }

  /// Sets `key` to `value` (any type that can travel).
  template <class T>
  void set(const std::string& key, const T& value) {
    detail::ManagerRequest r{detail::ManagerRequest::set, key, detail::encode_entry(value), 0};
    (void)call(r);
  }
  /// The value under `key` as a T, or nothing if absent; throws UsageError if it holds another type.
  template <class T>
  [[nodiscard]] std::optional<T> get(const std::string& key) {
    const auto reply = call({detail::ManagerRequest::get, key, {}, 0});
    if (!reply.ok) return std::nullopt;
    return detail::decode_entry<T>(reply.entry, "key '" + key + "'");
  }
  /// The value under `key`, or `fallback` if absent.
  template <class T>
  [[nodiscard]] T get_or(const std::string& key, const T& fallback) {
    auto v = get<T>(key);
    return v ? std::move(*v) : fallback;
  }
  /// Atomically replaces the value under `key` by `fn(current)` (`initial` if absent) and returns
  /// the new value. `fn` runs on the calling rank and may run more than once: the write only
  /// happens if nobody wrote `key` in between, else it retries with the fresh value.
  template <class T, class F>
  T update(const std::string& key, F&& fn, const T& initial = T{}) {
    Backoff backoff;
    for (;;) {
      const auto seen = call({detail::ManagerRequest::get, key, {}, 0});
      T next = fn(seen.ok ? detail::decode_entry<T>(seen.entry, "key '" + key + "'") : initial);
      detail::ManagerRequest cas{detail::ManagerRequest::compare_set, key, detail::encode_entry(next),
                                 seen.ok ? seen.entry.version : 0};
      if (call(cas).ok) return next;
      backoff.pause();  // someone else won; let them through before retrying
    }
  }
  /// Removes `key`; returns whether it was there.
  bool erase(const std::string& key);
  /// Whether `key` is present.
  [[nodiscard]] bool contains(const std::string& key);
  /// Number of keys.
  [[nodiscard]] std::size_t size();
  /// Every key, sorted.
  [[nodiscard]] std::vector<std::string> keys();
  /// Every (key, value) pair, sorted by key; throws UsageError if a value is not a T.
  template <class T>
  [[nodiscard]] std::map<std::string, T> items() {
    const auto reply = call({detail::ManagerRequest::items, {}, {}, 0});
    std::map<std::string, T> out;
    for (const auto& [k, e] : reply.items) out.emplace(k, detail::decode_entry<T>(e, "key '" + k + "'"));
    return out;
  }

  /// Appends `value` to the shared list; returns its index.
  template <class T>
  std::size_t append(const T& value) {
    return static_cast<std::size_t>(call({detail::ManagerRequest::append, {}, detail::encode_entry(value), 0}).number);
  }
  /// The whole list as T values (in append order); throws UsageError if an item is not a T.
  template <class T>
  [[nodiscard]] std::vector<T> list() {
    const auto reply = call({detail::ManagerRequest::list, {}, {}, 0});
    std::vector<T> out;
    out.reserve(reply.items.size());
    for (std::size_t i = 0; i < reply.items.size(); ++i)
      out.push_back(detail::decode_entry<T>(reply.items[i].second, "list item " + std::to_string(i)));
    return out;
  }
  /// Number of list items.
  [[nodiscard]] std::size_t list_size();

 private:
  detail::ManagerReply call(const detail::ManagerRequest& request);
  void serve();

  struct Service;
  Communicator comm_;
  int host_ = 0;
  bool closed_ = false;
  std::mutex client_mutex_;  // one request in flight per rank, so replies match requests
  std::unique_ptr<detail::ManagerStore> store_;  // on the host only
  std::unique_ptr<Service> service_;             // on the host only
};

}  // namespace multirank
