// The word count as read -> count -> merge: one reader, a counter on every rank, one merger.
#include "exercises/word_count.hpp"

#include <memory>

#include "multirank/collective/broadcast.hpp"
#include "multirank/pipeline/pipeline.hpp"

namespace multirank::exercises {

WordCountResult word_count(const Communicator& comm, const WordCountOptions& options) {
  if (options.block_bytes == 0) throw UsageError("word_count: the block size must be positive");
  PipelineOptions pipeline_options;
  pipeline_options.items_per_consumer = options.queue_capacity;
  Pipeline pipeline(comm, pipeline_options);
  WordCountResult result;

  // Stage 1, on rank 0: blocks cut at word boundaries, so every block counts on its own.
  pipeline.source<TextBlock>(
      "read",
      [&options, &result](const StageContext&, Emit<TextBlock>& emit) {
        BlockReader reader(options.files, options.rule, options.block_bytes);
        TextBlock block;
        while (reader.next(block)) emit(std::move(block));
        result.bytes = reader.bytes_read();
      },
      {.ranks = 1, .rank = 0});

  // Stage 2, on every rank: each instance counts the blocks it gets and sends its counts once,
  // at end-of-stream (one dictionary per rank travels, not one per block).
  pipeline.stage<TextBlock, WordCounts>(
      "count",
      [&options](const StageContext&) {
        auto counts = std::make_shared<WordCounts>();
        auto tokenizer = std::make_shared<Tokenizer>(options.rule);
        return Worker<TextBlock, WordCounts>{
            [&options, counts, tokenizer](TextBlock&& block, Emit<WordCounts>&) {
              tokenizer->for_each_word(block.text, {options.files[block.file], block.offset},
                                       [&counts](std::string_view word) { counts->add(word); });
            },
            [counts](Emit<WordCounts>& emit) { emit(std::move(*counts)); }};
      },
      {.ranks = kEveryRank});

  // Stage 3, on rank 0: the merge.
  pipeline.sink<WordCounts>(
      "merge",
      [&result](const StageContext&) {
        return SinkWorker<WordCounts>{[&result](WordCounts&& part) { result.counts.merge(std::move(part)); }};
      },
      {.ranks = 1, .rank = 0});

  result.report = pipeline.run();
  // run() ended with every rank together, so this broadcast does not wait long.
  broadcast(comm, result.bytes, 0);
  return result;
}

}  // namespace multirank::exercises
