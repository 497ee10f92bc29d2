// File: engine/common/row_set.h
//
// RowSet: a fixed-size bitset over catalog rows [0, n). Used for eligibility
// filters (which rows may be returned), governance verdict masks and
// per-request exclusions. Copy is O(n / 64) words.
//
// Thread-safety: const methods may be called concurrently; mutation needs
// external synchronization (a RowSet is normally built per request or once
// per immutable snapshot).
#ifndef FEEDGOV_ENGINE_COMMON_ROW_SET_H_
#define FEEDGOV_ENGINE_COMMON_ROW_SET_H_

#include <bit>
#include <cstdint>
#include <vector>

#include "engine/common/types.h"

namespace feedgov {

class RowSet {
 public:
  RowSet() = default;
  // `size` rows, all set to `value`.
  explicit RowSet(int32_t size, bool value = false)
      : size_(size), words_((size + 63) / 64, value ? ~uint64_t{0} : 0) {
    if (value) TrimTail();
  }

  int32_t size() const { return size_; }
  // REQUIRES: 0 <= row < size().
  bool contains(Row row) const {
    return (words_[row >> 6] >> (row & 63)) & 1u;
  }
  void insert(Row row) { words_[row >> 6] |= uint64_t{1} << (row & 63); }
  void erase(Row row) { words_[row >> 6] &= ~(uint64_t{1} << (row & 63)); }

  // Number of rows set. O(n / 64).
  int32_t count() const {
    int32_t c = 0;
    for (uint64_t w : words_) c += std::popcount(w);
    return c;
  }

  // |this & other|, without building the intersection. O(n / 64).
  // REQUIRES: same size.
  int32_t CountIntersection(const RowSet& other) const {
    int32_t c = 0;
    for (size_t i = 0; i < words_.size(); ++i) {
      c += std::popcount(words_[i] & other.words_[i]);
    }
    return c;
  }

  // this &= other / this &= ~other. REQUIRES: same size.
  void IntersectWith(const RowSet& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] &= other.words_[i];
  }
  void Subtract(const RowSet& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] &= ~other.words_[i];
  }

  // Calls fn(row) for every set row in increasing order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < words_.size(); ++i) {
      uint64_t w = words_[i];
      while (w) {
        int bit = std::countr_zero(w);
        fn(static_cast<Row>(i * 64 + bit));
        w &= w - 1;
      }
    }
  }

  friend bool operator==(const RowSet&, const RowSet&) = default;

 private:
  void TrimTail() {
    int rem = size_ & 63;
    if (rem != 0 && !words_.empty()) words_.back() &= (uint64_t{1} << rem) - 1;
  }

  int32_t size_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_ROW_SET_H_
