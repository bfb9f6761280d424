#pragma once
/// \file The "complex example" of the notes: eight tasks of uneven size and complexity.

#include <cstdint>
#include <string>
#include <vector>

namespace multirank::exercises {

/// One uneven task: `size` iterations of sqrt(i)·sin(i)·cos(i), then `complexity` times the
/// sum of 0..10^6.
struct UnevenTask {
  int id = 0;
  std::int64_t size = 0;
  int complexity = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) { ar & id & size & complexity; }
};

/// The notes' eight tasks: (1,3M,3) (2,5M,5) (3,8M,4) (4,4M,6) (5,6M,2) (6,2M,8) (7,7M,3) (8,5M,4).
std::vector<UnevenTask> default_uneven_tasks();

/// Parses "id:size:complexity,..." (sizes may use K/M suffixes); throws UsageError.
std::vector<UnevenTask> parse_uneven_tasks(const std::string& spec);

/// Runs the task's work and returns its result (deterministic for a given task).
double run_uneven_task(const UnevenTask& task);

/// A task's work in abstract units (size + complexity·10^6), for lower bounds and static plans.
double uneven_task_work(const UnevenTask& task);

}  // namespace multirank::exercises
