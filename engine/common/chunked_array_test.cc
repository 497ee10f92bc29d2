#include "engine/common/chunked_array.h"

#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace feedgov {
namespace {

using Array = ChunkedArray<int32_t>;
constexpr int32_t kChunk = Array::kChunk;

std::vector<int32_t> ToVector(const Array& a) {
  std::vector<int32_t> out;
  for (int32_t i = 0; i < a.size(); ++i) out.push_back(a[i]);
  return out;
}

TEST(ChunkedArrayTest, StartsFilledIncludingAPartialLastChunk) {
  for (int32_t n : {0, 1, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk + 17}) {
    Array a(n, 7);
    EXPECT_EQ(a.size(), n);
    EXPECT_EQ(a.num_chunks(), (n + kChunk - 1) / kChunk);
    EXPECT_EQ(ToVector(a), std::vector<int32_t>(n, 7)) << "n=" << n;
  }
}

// Oracle: a std::vector per array, copied where the array is copied.
TEST(ChunkedArrayTest, RandomWritesAndCopiesMatchVectorOracle) {
  std::mt19937 rng(42);
  const int32_t n = 5 * kChunk + 123;
  std::vector<Array> arrays;
  std::vector<std::vector<int32_t>> oracle;
  arrays.emplace_back(n, -1);
  oracle.emplace_back(n, -1);
  for (int step = 0; step < 4000; ++step) {
    const size_t k = rng() % arrays.size();
    if (rng() % 50 == 0 && arrays.size() < 12) {
      arrays.push_back(arrays[k]);  // Copy: later writes must not leak.
      oracle.push_back(oracle[k]);
      continue;
    }
    const int32_t i = static_cast<int32_t>(rng() % n);
    const int32_t v = static_cast<int32_t>(rng() % 1000);
    arrays[k].Set(i, v);
    oracle[k][i] = v;
  }
  for (size_t k = 0; k < arrays.size(); ++k) {
    EXPECT_EQ(ToVector(arrays[k]), oracle[k]) << "array " << k;
  }
}

TEST(ChunkedArrayTest, CopyClonesOnlyTheChunksItWrites) {
  Array base(4 * kChunk, 0);
  Array copy = base;
  for (int32_t c = 0; c < 4; ++c) EXPECT_TRUE(copy.SharesChunk(base, c));
  copy.Set(kChunk + 5, 9);
  copy.Set(kChunk + 6, 10);
  EXPECT_TRUE(copy.SharesChunk(base, 0));
  EXPECT_FALSE(copy.SharesChunk(base, 1));
  EXPECT_TRUE(copy.SharesChunk(base, 2));
  EXPECT_TRUE(copy.SharesChunk(base, 3));
  EXPECT_EQ(base[kChunk + 5], 0);
  EXPECT_EQ(copy[kChunk + 5], 9);
  EXPECT_EQ(copy[kChunk + 6], 10);
}

TEST(ChunkedArrayTest, SourceWrittenAfterACopyClonesToo) {
  Array source(2 * kChunk, 1);
  source.Set(3, 2);  // Owned before the copy.
  Array copy = source;
  source.Set(3, 5);
  source.Set(kChunk, 6);
  EXPECT_EQ(copy[3], 2);
  EXPECT_EQ(copy[kChunk], 1);
  EXPECT_EQ(source[3], 5);
  EXPECT_FALSE(copy.SharesChunk(source, 0));
  EXPECT_FALSE(copy.SharesChunk(source, 1));
}

TEST(ChunkedArrayTest, MovedArrayKeepsValuesAndOwnership) {
  Array a(kChunk + 1, 3);
  a.Set(kChunk, 4);
  Array b = std::move(a);
  EXPECT_EQ(b.size(), kChunk + 1);
  EXPECT_EQ(b[kChunk], 4);
  b.Set(0, 8);
  EXPECT_EQ(b[0], 8);
}

// Readers of a published array while derived copies are written (the
// GovernanceView pattern); run under TSan this would flag a shared write.
TEST(ChunkedArrayTest, ConcurrentReadersSeeTheSourceUnchanged) {
  const int32_t n = 8 * kChunk;
  Array base(n, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&base, t, n] {
      Array mine = base;
      for (int32_t i = t; i < n; i += 97) mine.Set(i, 2);
      int64_t sum = 0;
      for (int32_t i = 0; i < n; ++i) sum += base[i];
      EXPECT_EQ(sum, n);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ToVector(base), std::vector<int32_t>(n, 1));
}

}  // namespace
}  // namespace feedgov
