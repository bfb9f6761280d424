// Word counts: hashing for counting, sorting only for output.
#include "exercises/word_counts.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "multirank/core/output_file.hpp"

namespace multirank::exercises {

void WordCounts::add(std::string_view word, std::uint64_t n) {
  auto it = map_.find(word);
  if (it == map_.end()) {
    map_.emplace(std::string(word), n);
  } else {
    it->second += n;
  }
  total_ += n;
}

void WordCounts::merge(const WordCounts& other) {
  for (const auto& [word, n] : other.map_) add(word, n);
}

void WordCounts::merge(WordCounts&& other) {
  if (map_.empty()) {
    map_ = std::move(other.map_);
    total_ = other.total_;
  } else {
    if (other.map_.size() > map_.size()) std::swap(map_, other.map_), std::swap(total_, other.total_);
    for (const auto& [word, n] : other.map_) add(word, n);
  }
  other.map_.clear();
  other.total_ = 0;
}

std::uint64_t WordCounts::count(std::string_view word) const {
  const auto it = map_.find(word);
  return it == map_.end() ? 0 : it->second;
}

std::vector<WordCounts::Entry> WordCounts::top(std::size_t k) const {
  std::vector<const std::pair<const std::string, std::uint64_t>*> all;
  all.reserve(map_.size());
  for (const auto& e : map_) all.push_back(&e);
  k = std::min(k, all.size());
  const auto before = [](const auto* a, const auto* b) {
    return a->second != b->second ? a->second > b->second : a->first < b->first;
  };
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), before);
  std::vector<Entry> out;
  out.reserve(k);
  for (std::size_t i = 0; i < k; ++i) out.emplace_back(all[i]->first, all[i]->second);
  return out;
}

void WordCounts::write_tsv(const std::string& path) const {
  // Beside the file a symlink names (the link stays a link), published by rename once synced.
  const std::string target = resolve_output_path(path);
  const std::string tmp = target + ".tmp." + std::to_string(::getpid());
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (!out) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  bool ok = true;
  int write_errno = 0;
  for (const auto& [word, n] : sorted()) {
    ok = ok && std::fwrite(word.data(), 1, word.size(), out) == word.size() &&
         std::fprintf(out, "\t%llu\n", static_cast<unsigned long long>(n)) > 0;
    if (!ok) {
      write_errno = errno;
      break;
    }
  }
  if (std::fflush(out) != 0 && ok) {
    ok = false;
    write_errno = errno;
  }
  if (std::fclose(out) != 0 && ok) {
    ok = false;
    write_errno = errno;
  }
  if (!ok) {
    remove_quietly(tmp);
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(write_errno) +
                             " (the temporary file was removed)");
  }
  publish_file(tmp, target);
}

}  // namespace multirank::exercises
