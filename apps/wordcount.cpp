// `multirank wordcount FILE...`: the producer/consumer word count, as a pipeline over the ranks.
#include <mpi.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "exercises/word_count.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/output_file.hpp"
#include "registry.hpp"

namespace multirank::cli {
namespace {

struct WordcountArgs {
  std::vector<std::string> files;
  std::size_t top = 10;
  std::string output;
  bool force = false;
  std::string words = "alnum";
  std::size_t block_kib = exercises::kDefaultBlockBytes / 1024;
  bool json = false;
};

nlohmann::json stages_json(const PipelineReport& report) {
  auto out = nlohmann::json::array();
  for (const auto& s : report.stages)
    out.push_back({{"name", s.name}, {"ranks", s.ranks}, {"items_in", s.items_in}, {"items_out", s.items_out},
                   {"busy_s", s.busy_seconds}, {"wait_in_s", s.wait_in_seconds}, {"wait_out_s", s.wait_out_seconds}});
  return out;
}

void print_result(const WordcountArgs& args, const exercises::WordCountResult& r, int ranks) {
  const auto top = r.counts.top(args.top);
  const double mb_per_s = r.report.seconds > 0 ? static_cast<double>(r.bytes) / 1e6 / r.report.seconds : 0.0;
  if (args.json) {
    nlohmann::json out{{"files", args.files},
                       {"words", args.words},
                       {"ranks", ranks},
                       {"bytes", r.bytes},
                       {"total_words", r.counts.total()},
                       {"distinct_words", r.counts.distinct()},
                       {"top", nlohmann::json::array()},
                       {"output", args.output.empty() ? nlohmann::json(nullptr) : nlohmann::json(args.output)},
                       {"seconds", r.report.seconds},
                       {"mb_per_s", mb_per_s},
                       {"stages", stages_json(r.report)}};
    for (const auto& [word, n] : top) out["top"].push_back({{"word", word}, {"count", n}});
    // Words are checked UTF-8, so dump() never meets an invalid sequence.
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("total words:    %llu\n", static_cast<unsigned long long>(r.counts.total()));
    std::printf("distinct words: %zu\n", r.counts.distinct());
    std::printf("bytes:          %llu in %.3f s (%.1f MB/s) on %d rank(s)\n", static_cast<unsigned long long>(r.bytes),
                r.report.seconds, mb_per_s, ranks);
    if (!top.empty()) {
      std::printf("top %zu:\n", top.size());
      for (const auto& [word, n] : top) std::printf("%12llu  %s\n", static_cast<unsigned long long>(n), word.c_str());
    }
    if (!args.output.empty()) std::printf("all counts written to %s\n", args.output.c_str());
    std::printf("%s", r.report.table().c_str());
  }
  std::fflush(stdout);
}

Action setup(CLI::App& app) {
  auto args = std::make_shared<WordcountArgs>();
  app.add_option("files", args->files, "UTF-8 text files, read in order")->required();
  app.add_option("--top", args->top, "how many of the most frequent words to print")->capture_default_str();
  app.add_option("--output", args->output, "write every count as TSV (word, count; by count, then word)");
  app.add_flag("--force", args->force, "--output: replace an existing file");
  app.add_option("--words", args->words, "alnum: runs of letters and digits, lowercased; whitespace: tokens as they are")
      ->capture_default_str();
  app.add_option("--block-kib", args->block_kib, "size of the blocks handed to the counting ranks, KiB")
      ->capture_default_str();
  app.add_flag("--json", args->json, "print one JSON object");
  auto validate = [args](const Communicator& world) {
    (void)exercises::parse_word_rule(args->words);
    if (args->block_kib == 0 || args->block_kib > 1024 * 1024) throw UsageError("--block-kib must be in 1..1048576");
    if (args->force && args->output.empty()) throw UsageError("--force goes with --output FILE");
    // Only rank 0 reads the files and writes the output, so only rank 0 needs to see them
    // (other hosts may not).
    if (world.rank() != 0) return;
    if (!args->output.empty()) {
      namespace fs = std::filesystem;
      const fs::path out(args->output);
      const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) throw UsageError("--output " + args->output + ": no directory " + dir.string());
      if (fs::is_directory(out, ec)) throw UsageError("--output " + args->output + ": is a directory");
      if (fs::exists(fs::symlink_status(out, ec)) && !args->force)
        throw UsageError("--output " + args->output + " exists: add --force to replace it");
      check_output_folder(args->output, "--output");  // a read-only or full folder, before any counting
    }
    for (const auto& f : args->files) exercises::check_text_file(f);
  };
  auto run = [args](const Communicator& world) {
    exercises::WordCountOptions options;
    options.files = args->files;
    options.rule = exercises::parse_word_rule(args->words);
    options.block_bytes = args->block_kib * 1024;
    // A failing stage (invalid UTF-8 deep in a file, a read error) ends the pipeline on every rank
    // with the same message: print it once and fail everywhere, no abort needed.
    std::string failure;
    exercises::WordCountResult result;
    try {
      result = exercises::word_count(world, options);
      if (world.rank() == 0 && !args->output.empty()) result.counts.write_tsv(args->output);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    const bool any_failed = allreduce(world, failure.empty() ? 0 : 1, maximum<>{}) != 0;
    if (any_failed) {
      if (world.rank() == 0)
        std::fprintf(stderr, "multirank wordcount: error: %s\n",
                     failure.empty() ? "failed on another rank" : failure.c_str());
      return 1;
    }
    if (world.rank() == 0) print_result(*args, result, world.size());
    return 0;
  };
  return Action{validate, run};
}

const Register registered{{"wordcount", "count the words of text files in a read/count/merge pipeline", setup}};

}  // namespace
}  // namespace multirank::cli
