// The word count (a three-stage pipeline) against Python's Counter, at 1-4 ranks.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "exercises/word_count.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/pipeline/pipeline.hpp"
#include "sample_text.hpp"
#include "shared_dir.hpp"

using multirank::Communicator;
using multirank::PipelineError;
namespace ex = multirank::exercises;
namespace mt = multirank::testing;

// The word count equals Python's Counter at every rank count, for both rules; blocks are small
// so that every rank gets some.
TEST(WordCount, MatchesPythonCounterAtAnyRankCount) {
  const auto comm = Communicator::world();
  const std::string dir = mt::shared_dir(comm, "wordcount");
  const std::string a = dir + "/a.txt", b = dir + "/b.txt";
  if (comm.rank() == 0) {
    mt::write_file(a, mt::sample_text(300000, 1));
    mt::write_file(b, mt::sample_text(100000, 2));
  }
  comm.barrier();
  for (const char* rule : {"alnum", "whitespace"}) {
    ex::WordCountOptions options;
    options.files = {a, b};
    options.rule = ex::parse_word_rule(rule);
    options.block_bytes = 8192;
    const auto result = ex::word_count(comm, options);
    EXPECT_EQ(result.bytes, std::filesystem::file_size(a) + std::filesystem::file_size(b));
    ASSERT_EQ(result.report.stages.size(), 3u);
    EXPECT_EQ(result.report.stages[1].ranks.size(), static_cast<std::size_t>(comm.size()));
    EXPECT_EQ(result.report.stages[1].items_in, result.report.stages[0].items_out);
    EXPECT_GE(result.report.stages[0].items_out, 400000u / 8192);
    if (comm.rank() == 0) {
      result.counts.write_tsv(dir + "/counts.tsv");
      EXPECT_EQ(mt::read_file(dir + "/counts.tsv"), mt::python_reference_tsv(rule, {a, b})) << rule;
      EXPECT_GT(result.counts.total(), 50000u);
    } else {
      EXPECT_EQ(result.counts.total(), 0u);
    }
  }
  comm.barrier();
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

TEST(WordCount, EmptyFileAndFileWithoutWords) {
  const auto comm = Communicator::world();
  const std::string dir = mt::shared_dir(comm, "wordcount");
  if (comm.rank() == 0) {
    mt::write_file(dir + "/empty.txt", "");
    mt::write_file(dir + "/punct.txt", "¿? ¡! -- ... «» \n\n\t");
  }
  comm.barrier();
  ex::WordCountOptions options;
  options.files = {dir + "/empty.txt", dir + "/punct.txt"};
  const auto result = ex::word_count(comm, options);
  EXPECT_EQ(result.counts.total(), 0u);
  EXPECT_EQ(result.counts.distinct(), 0u);
  EXPECT_EQ(result.bytes, std::filesystem::file_size(dir + "/punct.txt"));
  comm.barrier();
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

// Invalid UTF-8 deep in a file: every rank gets the same error naming the file and offset.
TEST(WordCount, InvalidUtf8EndsTheCountOnEveryRank) {
  const auto comm = Communicator::world();
  const std::string dir = mt::shared_dir(comm, "wordcount");
  const std::string path = dir + "/bad.txt";
  std::string text = mt::sample_text(100000, 3);
  const std::size_t at = text.find(' ', 70000) + 1;
  text.insert(at, "ni\xf1o ");
  if (comm.rank() == 0) mt::write_file(path, text);
  comm.barrier();
  ex::WordCountOptions options;
  options.files = {path};
  options.block_bytes = 4096;
  try {
    (void)ex::word_count(comm, options);
    ADD_FAILURE() << "no error";
  } catch (const PipelineError& e) {
    EXPECT_EQ(std::string(e.what()), "invalid UTF-8 at " + path + ": byte " + std::to_string(at + 2));
    EXPECT_EQ(e.stage(), "count");
  }
  comm.barrier();
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}
