// File: engine/common/chunked_array.h
//
// ChunkedArray<T>: a fixed-size array of `size` values of T, stored in
// chunks of kChunk = 4096 values and copied on write. A copy shares every
// chunk with its source (O(size / kChunk) pointer copies) and clones a
// chunk the first time it writes to it, so a copy that then changes m
// values costs O(size / kChunk + m * kChunk) instead of O(size).
//
// Used for per-row arrays of immutable snapshots derived from their
// predecessor with a few rows changed (GovernanceView::WithUpdatedRows
// after a label write): at 1M rows a flat copy of four 4-byte arrays moved
// 16 MB per label version.
//
// Reads are two dependent loads (chunk table, then value); the chunk table
// is size / 512 bytes (2 KB at 1M rows), so it stays in L1 on hot paths.
//
// Thread-safety: const methods may be called concurrently, also on arrays
// that share chunks while one of them is written (a write never touches a
// shared chunk). Copying is a const method of the source (it marks the
// source as copied, atomically). Set() needs exclusive access to the array
// it is called on, and every copy of that array must happen-before it.
//
// Limits: size in [0, INT32_MAX - kChunk]; T is trivially copyable and not
// bool (chunks are std::vector<T> accessed through data()).
#ifndef FEEDGOV_ENGINE_COMMON_CHUNKED_ARRAY_H_
#define FEEDGOV_ENGINE_COMMON_CHUNKED_ARRAY_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

namespace feedgov {

template <typename T>
class ChunkedArray {
  static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>,
                "ChunkedArray<T>: T must be trivially copyable and not bool");

 public:
  static constexpr int kShift = 12;
  static constexpr int32_t kChunk = int32_t{1} << kShift;

  ChunkedArray() = default;
  // `size` >= 0 values, all `value`. Every chunk is owned (writable
  // without cloning).
  ChunkedArray(int32_t size, T value) : size_(size) {
    const int32_t chunks = (size + kChunk - 1) / kChunk;
    chunks_.reserve(chunks);
    data_.reserve(chunks);
    for (int32_t c = 0; c < chunks; ++c) {
      const int32_t len = std::min(kChunk, size - c * kChunk);
      chunks_.push_back(std::make_shared<std::vector<T>>(len, value));
      data_.push_back(chunks_.back()->data());
    }
    owned_.assign(chunks, true);
  }
  // Shares every chunk of `other`; neither array owns them afterwards
  // (`other` clones a chunk before its next write too).
  ChunkedArray(const ChunkedArray& other)
      : size_(other.size_),
        chunks_(other.chunks_),
        data_(other.data_),
        owned_(other.chunks_.size(), false) {
    other.copied_.store(true, std::memory_order_relaxed);
  }
  ChunkedArray& operator=(const ChunkedArray& other) {
    if (this != &other) *this = ChunkedArray(other);
    return *this;
  }
  ChunkedArray(ChunkedArray&& other) noexcept
      : size_(other.size_),
        chunks_(std::move(other.chunks_)),
        data_(std::move(other.data_)),
        owned_(std::move(other.owned_)),
        copied_(other.copied_.load(std::memory_order_relaxed)) {
    other.size_ = 0;
  }
  ChunkedArray& operator=(ChunkedArray&& other) noexcept {
    if (this == &other) return *this;
    size_ = other.size_;
    chunks_ = std::move(other.chunks_);
    data_ = std::move(other.data_);
    owned_ = std::move(other.owned_);
    copied_.store(other.copied_.load(std::memory_order_relaxed),
                  std::memory_order_relaxed);
    other.size_ = 0;
    return *this;
  }

  int32_t size() const { return size_; }

  // REQUIRES: 0 <= i < size().
  const T& operator[](int32_t i) const {
    return data_[i >> kShift][i & (kChunk - 1)];
  }

  // Sets value i, cloning its chunk first if this array does not own it.
  // REQUIRES: 0 <= i < size().
  void Set(int32_t i, T value) {
    if (copied_.load(std::memory_order_relaxed)) {
      // Copied since the last write: every chunk may be shared now.
      owned_.assign(owned_.size(), false);
      copied_.store(false, std::memory_order_relaxed);
    }
    const int32_t c = i >> kShift;
    if (!owned_[c]) Own(c);
    data_[c][i & (kChunk - 1)] = value;
  }

  // Whether chunk c (holding values [c * kChunk, (c + 1) * kChunk)) is the
  // same storage in both arrays. For tests of the copy-on-write contract.
  bool SharesChunk(const ChunkedArray& other, int32_t c) const {
    return c < static_cast<int32_t>(chunks_.size()) &&
           c < static_cast<int32_t>(other.chunks_.size()) &&
           chunks_[c] == other.chunks_[c];
  }
  int32_t num_chunks() const { return static_cast<int32_t>(chunks_.size()); }

 private:
  void Own(int32_t c) {
    chunks_[c] = std::make_shared<std::vector<T>>(*chunks_[c]);
    data_[c] = chunks_[c]->data();
    owned_[c] = true;
  }

  int32_t size_ = 0;
  // Chunk storage, shared between copies. A chunk is written only through
  // an array that owns it, and an owned chunk is referenced by no other
  // array: a copy owns nothing and makes its source give up ownership.
  std::vector<std::shared_ptr<std::vector<T>>> chunks_;
  std::vector<T*> data_;  // chunks_[c]->data(), one load on reads.
  std::vector<bool> owned_;
  // Set by a copy of this array (which may run concurrently with other
  // const methods, hence atomic); cleared by the next Set().
  mutable std::atomic<bool> copied_{false};
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_CHUNKED_ARRAY_H_
