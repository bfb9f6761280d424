#include "exercises/uneven_task.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "multirank/core/error.hpp"

namespace multirank::exercises {

std::vector<UnevenTask> default_uneven_tasks() {
  return {{1, 3'000'000, 3}, {2, 5'000'000, 5}, {3, 8'000'000, 4}, {4, 4'000'000, 6},
          {5, 6'000'000, 2}, {6, 2'000'000, 8}, {7, 7'000'000, 3}, {8, 5'000'000, 4}};
}

namespace {
std::int64_t parse_size(const std::string& text) {
  if (text.empty()) throw UsageError("empty task size");
  double multiplier = 1;
  std::string digits = text;
  const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (last == 'K' || last == 'M' || last == 'G') {
    multiplier = last == 'K' ? 1e3 : last == 'M' ? 1e6 : 1e9;
    digits.pop_back();
  }
  char* end = nullptr;
  const double v = std::strtod(digits.c_str(), &end);
  if (digits.empty() || *end != '\0' || !(v >= 0) || v * multiplier > 1e15)
    throw UsageError("bad task size '" + text + "'");
  return static_cast<std::int64_t>(v * multiplier);
}

int parse_int(const std::string& text, const char* what) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0 || v > 1'000'000)
    throw UsageError(std::string("bad task ") + what + " '" + text + "'");
  return static_cast<int>(v);
}
}  // namespace

std::vector<UnevenTask> parse_uneven_tasks(const std::string& spec) {
  std::vector<UnevenTask> tasks;
  std::stringstream all(spec);
  std::string item;
  while (std::getline(all, item, ',')) {
    std::stringstream fields(item);
    std::string id;
    std::string size;
    std::string complexity;
    if (!std::getline(fields, id, ':') || !std::getline(fields, size, ':') || !std::getline(fields, complexity) ||
        complexity.find(':') != std::string::npos)
      throw UsageError("a task is id:size:complexity, got '" + item + "'");
    tasks.push_back({parse_int(id, "id"), parse_size(size), parse_int(complexity, "complexity")});
  }
  if (tasks.empty()) throw UsageError("--tasks is empty");
  return tasks;
}

double run_uneven_task(const UnevenTask& task) {
  double result = 0.0;
  for (std::int64_t i = 0; i < task.size; ++i) {
    const auto x = static_cast<double>(i);
    result += std::sqrt(x) * std::sin(x) * std::cos(x);
  }
  for (int c = 0; c < task.complexity; ++c) {
    std::int64_t s = 0;
    for (std::int64_t i = 0; i < 1'000'000; ++i) {
      s += i;
      asm volatile("" : "+r"(s));  // really add, as the notes' sum(range(10**6)) does
    }
    result += static_cast<double>(s) * 0.0001;
  }
  return result;
}

double uneven_task_work(const UnevenTask& task) {
  return static_cast<double>(task.size) + static_cast<double>(task.complexity) * 1e6;
}

}  // namespace multirank::exercises
