#pragma once
// [lo, hi) as a plain input range that counts how often its elements are read: a lazy input for
// the pool's streams that both compilers take (Clang 14 cannot use libstdc++ 12's std::views,
// llvm/llvm-project#52696; the GCC build also tests std::views::iota, see streams_test.cpp).
#include <cstddef>
#include <iterator>

namespace multirank::testing {

template <class T>
class CountingRange {
 public:
  struct sentinel {};
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(T at, const CountingRange* range) : at_(at), range_(range) {}
    T operator*() const {
      if (range_->reads_) ++*range_->reads_;
      return at_;
    }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    void operator++(int) { ++at_; }
    bool operator==(sentinel) const { return at_ == range_->hi_; }

   private:
    T at_{};
    const CountingRange* range_ = nullptr;
  };

  /// [lo, hi); each element read adds one to *reads (when given).
  CountingRange(T lo, T hi, int* reads = nullptr) : lo_(lo), hi_(hi < lo ? lo : hi), reads_(reads) {}
  iterator begin() const { return iterator(lo_, this); }
  sentinel end() const { return {}; }

 private:
  T lo_;
  T hi_;
  int* reads_;
};

}  // namespace multirank::testing
