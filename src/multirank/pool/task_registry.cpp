#include <mutex>
#include <unordered_map>

#include "multirank/core/error.hpp"
#include "multirank/pool/task.hpp"

namespace multirank::detail {
namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_map<TaskKey, TaskEntry> entries;
};

// A function-local static, so registration from other translation units' static objects works
// whatever their initialisation order.
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

TaskKey register_task(std::string_view name, ChunkRunner run) {
  if (name.empty()) throw UsageError("a task name must not be empty");
  const TaskKey key = task_key(name);
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  auto [it, inserted] = r.entries.try_emplace(key, TaskEntry{std::string(name), key, run});
  if (!inserted) {
    if (it->second.name != name)
      throw UsageError("task names '" + it->second.name + "' and '" + std::string(name) +
                       "' hash to the same key; rename one of them");
    if (it->second.run != run)
      throw UsageError("task name '" + std::string(name) + "' is registered for two different functions");
  }
  return key;
}

const TaskEntry* find_task(TaskKey key) noexcept {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.entries.find(key);
  return it == r.entries.end() ? nullptr : &it->second;
}

}  // namespace multirank::detail
