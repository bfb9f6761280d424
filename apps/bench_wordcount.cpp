// `multirank bench wordcount`: the word-count pipeline at 2 ranks against itself at 1 rank, against
// `tr | sort | uniq -c`, and its peak memory per rank.
#include <unistd.h>


#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench.hpp"
#include "exercises/word_count.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/core/error.hpp"

namespace multirank::cli::bench {
namespace {

struct WordcountBenchArgs {
  double size_mb = 64;
  std::string file;
  int repeat = 2;
  bool keep = false;
};

/// Writes about `bytes` of Spanish/English-looking text: a Zipf-distributed vocabulary of
/// syllable words (with accents and ñ), capitals and punctuation now and then, lines of ~80 bytes.
void generate_text(const std::string& path, std::uint64_t bytes) {
  static const char* const syllables[] = {"la", "ca", "ma", "ción", "es", "tá", "ni", "ño", "the", "ing", "er", "qu",
                                          "ro", "pe", "sí", "an", "do", "ñu", "ü", "to", "re", "in", "of", "and",
                                          "mo", "té", "ri", "sa", "con", "por", "wh", "ight"};
  constexpr std::size_t kSyllables = sizeof(syllables) / sizeof(syllables[0]);
  std::mt19937_64 gen(12345);
  constexpr std::size_t kVocabulary = 50000;
  std::vector<std::string> vocab;
  vocab.reserve(kVocabulary);
  std::uniform_int_distribution<std::size_t> syl(0, kSyllables - 1);
  std::uniform_int_distribution<int> len(1, 4);
  for (std::size_t i = 0; i < kVocabulary; ++i) {
    std::string w;
    for (int k = len(gen); k > 0; --k) w += syllables[syl(gen)];
    vocab.push_back(std::move(w));
  }
  std::vector<double> cumulative(kVocabulary);
  double sum = 0;
  for (std::size_t i = 0; i < kVocabulary; ++i) cumulative[i] = (sum += 1.0 / static_cast<double>(i + 1));
  std::uniform_real_distribution<double> u(0.0, sum);
  std::uniform_int_distribution<int> style(0, 99);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) throw std::runtime_error("cannot write " + path);
  std::string chunk;
  std::uint64_t written = 0;
  std::size_t line = 0;
  while (written < bytes) {
    chunk.clear();
    while (chunk.size() < (1u << 20)) {
      const auto r = static_cast<std::size_t>(std::lower_bound(cumulative.begin(), cumulative.end(), u(gen)) -
                                              cumulative.begin());
      const std::string& w = vocab[std::min(r, kVocabulary - 1)];
      const int s = style(gen);
      if (s < 5 && static_cast<unsigned char>(w[0]) < 0x80) {
        chunk += static_cast<char>(w[0] - 'a' + 'A');
        chunk.append(w, 1);
      } else {
        chunk += w;
      }
      line += w.size() + 1;
      if (s >= 95) chunk += s & 1 ? "," : ".";
      if (line > 80) {
        chunk += '\n';
        line = 0;
      } else {
        chunk += ' ';
      }
    }
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), bytes - written));
    // The last piece ends after a separator: never inside a word or a UTF-8 sequence.
    if (n < chunk.size())
      while (n > 0 && chunk[n - 1] != ' ' && chunk[n - 1] != '\n') --n;
    if (n == 0) break;
    if (std::fwrite(chunk.data(), 1, n, out) != n) throw std::runtime_error("cannot write " + path);
    written += n;
  }
  if (std::fclose(out) != 0) throw std::runtime_error("cannot write " + path);
}

/// Current resident set, MiB.
double current_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Quotes a path for the shell.
std::string shell_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Runner setup(CLI::App& app) {
  auto args = std::make_shared<WordcountBenchArgs>();
  app.add_option("--size", args->size_mb, "MB of generated text (when no --file)")->capture_default_str();
  app.add_option("--file", args->file, "count this UTF-8 file instead of a generated one");
  app.add_option("--repeat", args->repeat, "runs per rank count; the best is kept")->capture_default_str();
  app.add_flag("--keep", args->keep, "keep the generated file");
  CLI::App* sub = &app;
  auto validate = [args](const Communicator& world) {
    if (world.size() < 2) throw UsageError("bench wordcount compares 1 rank with 2: run it on at least 2 ranks");
    if (!(args->size_mb > 0) || args->size_mb > 1024 * 1024) throw UsageError("--size must be in (0, 1048576] MB");
    if (args->repeat < 1) throw UsageError("--repeat must be at least 1");
    if (!args->file.empty() && world.rank() == 0) exercises::check_text_file(args->file);
  };
  auto run = [args, sub](const Communicator& world) {
    const bool json = sub->count("--json") > 0;
    std::FILE* info = json ? stderr : stdout;
    std::string path = args->file;
    const bool generated = path.empty();
    if (generated && world.rank() == 0) {
      path = (std::filesystem::temp_directory_path() /
              ("multirank_wordcount_" + std::to_string(::getpid()) + ".txt")).string();
      const auto t0 = std::chrono::steady_clock::now();
      generate_text(path, static_cast<std::uint64_t>(args->size_mb * 1e6));
      std::fprintf(info, "generated %s (%.0f MB) in %.1f s\n", path.c_str(), args->size_mb, seconds_since(t0));
    }
    broadcast(world, path, 0);
    // The generated file goes away however the run ends.
    const std::shared_ptr<void> cleanup(nullptr, [&](void*) {
      if (generated && !args->keep && world.rank() == 0) {
        std::error_code ec;
        std::filesystem::remove(path, ec);
      }
    });
    const double rss_before = current_rss_mib();

    exercises::WordCountOptions options;
    options.files = {path};
    Communicator one = world.split(world.rank() == 0 ? 0 : MPI_UNDEFINED, world.rank());
    Communicator two = world.split(world.rank() < 2 ? 0 : MPI_UNDEFINED, world.rank());
    double best_one = 1e300, best_two = 1e300;
    std::uint64_t bytes = 0;
    std::size_t distinct = 0;
    for (int r = 0; r < args->repeat; ++r) {
      if (one) {
        const auto res = exercises::word_count(one, options);
        best_one = std::min(best_one, res.report.seconds);
        bytes = res.bytes;
        distinct = res.counts.distinct();
      }
      world.barrier();
      if (two) {
        const auto res = exercises::word_count(two, options);
        best_two = std::min(best_two, res.report.seconds);
        if (world.rank() == 0 && res.counts.distinct() != distinct)
          throw std::runtime_error("2 ranks counted a different dictionary than 1 rank");
      }
      world.barrier();
    }
    const double rss_peak = peak_rss_mib();

    double shell_seconds = 0;
    const std::string shell = "LC_ALL=C tr -cs '[:alnum:]' '\\n' < " + shell_quoted(path) + " | LC_ALL=C sort | uniq -c > /dev/null";
    if (world.rank() == 0) {
      const auto t0 = std::chrono::steady_clock::now();
      if (std::system(shell.c_str()) != 0) throw std::runtime_error("failed: " + shell);
      shell_seconds = seconds_since(t0);
    }
    world.barrier();

    const std::vector<double> growth = gather(world, rss_peak - rss_before, 0);
    std::vector<Measurement> ms;
    if (world.rank() == 0) {
      const double mb = static_cast<double>(bytes) / 1e6;
      std::fprintf(info, "file %s: %.1f MB, %zu distinct words; best of %d run(s); shell reference: %s\n",
                   path.c_str(), mb, distinct, args->repeat, shell.c_str());
      std::fprintf(info, "1 rank %.3f s, 2 ranks %.3f s, shell %.3f s\n", best_one, best_two, shell_seconds);
      ms.push_back({"wordcount_2_ranks_vs_1_rank", "MB/s", mb / best_two, mb / best_one});
      ms.push_back({"wordcount_2_ranks_vs_tr_sort_uniq", "MB/s", mb / best_two, mb / shell_seconds});
      // Peak RSS growth while counting, against the budget of 64 MiB beyond the dictionary.
      for (std::size_t r = 0; r < growth.size() && r < 2; ++r)
        ms.push_back({"wordcount_peak_rss_growth_rank" + std::to_string(r), "MiB", growth[r], 64.0});
    }
    return ms;
  };
  return Runner{validate, run};
}

const Register registered{{"wordcount", "word-count pipeline: 2 ranks vs 1 rank vs tr|sort|uniq, and peak memory", setup}};

}  // namespace
}  // namespace multirank::cli::bench
