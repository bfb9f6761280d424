#pragma once
/// \file The word-count exercise as a three-stage pipeline: read blocks, tokenise and count, merge.

#include <cstdint>
#include <string>
#include <vector>

#include "exercises/text_blocks.hpp"
#include "exercises/word_counts.hpp"
#include "exercises/words.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/pipeline/pipeline_report.hpp"

namespace multirank::exercises {

/// What to count and how.
struct WordCountOptions {
  std::vector<std::string> files;              ///< read in this order by one rank
  WordRule rule = WordRule::alnum;             ///< what a word is
  std::size_t block_bytes = kDefaultBlockBytes;  ///< size of the blocks handed to the counters
  std::size_t queue_capacity = 4;              ///< blocks in flight per counting rank (bounds memory)
};

/// The outcome of a word count.
struct WordCountResult {
  WordCounts counts;         ///< all counts, on rank 0 (empty elsewhere)
  std::uint64_t bytes = 0;   ///< bytes read, on every rank
  PipelineReport report;     ///< per-stage figures, on every rank
};

/// Counts the words of `options.files` over `comm` (collective): rank 0 reads the files in blocks
/// cut at word boundaries, every rank tokenises and counts blocks as they come, and rank 0 merges
/// the partial counts. The counts never depend on the number of ranks. Throws PipelineError on
/// every rank when any stage fails (an unreadable file, invalid UTF-8), with that stage's message.
WordCountResult word_count(const Communicator& comm, const WordCountOptions& options);

}  // namespace multirank::exercises
