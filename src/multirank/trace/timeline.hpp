#pragma once
/// \file A text timeline per rank, like the notes' picture "Core 0: [Tarea-1]-----[Tarea-5]---".

#include <string>
#include <vector>

#include "multirank/core/task_record.hpp"

namespace multirank::trace {

/// One line per rank, scaled so the whole makespan spans `width` columns: a task is drawn as
/// "[id===]" over the columns of its exec interval (or "#" when it is one column wide), idle time
/// as "-". A header line gives the time span and the time per column. Ranks 0..ranks-1 are always
/// drawn, plus every rank that appears in the records. Throws UsageError when width < 8.
[[nodiscard]] std::string text_timeline(const std::vector<TaskRecord>& tasks, int width = 64, int ranks = 0);

}  // namespace multirank::trace
