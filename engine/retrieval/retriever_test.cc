#include "engine/retrieval/retriever.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/common/sha256.h"
#include "engine/retrieval/brute_force.h"
#include "engine/retrieval/synthetic.h"
#include "engine/testing/status_matchers.h"
#include "feedgov/v1/model_config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::HasSubstr;

absl::Span<const float> RowSpan(const RowMatrixXf& m, int r) {
  return absl::Span<const float>(m.data() + r * m.cols(), m.cols());
}

// A filter keeping exactly round(fraction * n) rows, deterministic in `seed`.
RowSet ExactSizeFilter(int n, double fraction, uint32_t seed) {
  std::vector<Row> rows(n);
  for (int r = 0; r < n; ++r) rows[r] = r;
  std::mt19937 rng(seed);
  const int keep = static_cast<int>(std::lround(fraction * n));
  for (int i = 0; i < keep; ++i) {  // Partial Fisher-Yates.
    std::swap(rows[i], rows[i + rng() % (n - i)]);
  }
  RowSet set(n);
  for (int i = 0; i < keep; ++i) set.insert(rows[i]);
  return set;
}

// A filter keeping about `fraction` of n rows, deterministic in `seed`.
RowSet RandomFilter(int n, double fraction, uint32_t seed) {
  std::mt19937 rng(seed);  // mt19937's sequence is fixed by the standard.
  RowSet set(n);
  for (int r = 0; r < n; ++r) {
    if (rng() % 100000 < fraction * 100000) set.insert(r);
  }
  return set;
}

// Always HNSW, whatever the fixture size, and the ANN path is taken whenever
// the filter is not selective (no "exact is cheaper" shortcut), so small
// fixtures exercise FAISS search with an IDSelector.
RetrieverOptions HnswOptions() {
  RetrieverOptions o;
  o.hnsw_min_items = 1;
  o.ann_cost_per_result = 0.0;
  return o;
}

RetrieverOptions FlatOptions() { return RetrieverOptions(); }

// Asserts `got` is exactly the oracle: same rows in the same order,
// similarities within 1e-5.
void ExpectSameHits(const std::vector<Hit>& got, const std::vector<Hit>& want,
                    const std::string& context) {
  ASSERT_EQ(got.size(), want.size()) << context;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].row, want[i].row) << context << " position " << i;
    EXPECT_NEAR(got[i].similarity, want[i].similarity, 1e-5) << context;
  }
}

// Invariants every Search result must hold, oracle or not.
void ExpectWellFormed(const std::vector<Hit>& hits, int64_t n,
                      const RowSet* eligible) {
  std::set<Row> seen;
  for (size_t i = 0; i < hits.size(); ++i) {
    ASSERT_GE(hits[i].row, 0);
    ASSERT_LT(hits[i].row, n);
    if (eligible != nullptr) {
      EXPECT_TRUE(eligible->contains(hits[i].row));
    }
    EXPECT_TRUE(seen.insert(hits[i].row).second) << "duplicate row";
    if (i > 0) {
      EXPECT_TRUE(HitBefore(hits[i - 1], hits[i])) << "unsorted at " << i;
    }
  }
}

// ---------------------------------------------------------------- options

TEST(RetrieverOptions, FromEmptyConfigGivesDefaults) {
  const RetrieverOptions o = RetrieverOptions::FromConfig(feedgov::v1::RetrievalConfig());
  EXPECT_EQ(o.small_factory, "Flat");
  EXPECT_EQ(o.large_factory, "HNSW32");
  EXPECT_EQ(o.hnsw_min_items, 50000);
  EXPECT_EQ(o.ef_search, 256);
  EXPECT_EQ(o.ef_construction, 200);
  EXPECT_DOUBLE_EQ(o.exact_max_eligible_fraction, 0.05);
  EXPECT_OK(o.Validate());
}

TEST(RetrieverOptions, FromConfigKeepsSetFields) {
  feedgov::v1::RetrievalConfig c;
  c.set_large_factory("HNSW16");
  c.set_hnsw_min_items(10);
  c.set_hnsw_ef_search(64);
  c.set_hnsw_ef_construction(40);
  c.set_exact_max_eligible_fraction(0.2);
  const RetrieverOptions o = RetrieverOptions::FromConfig(c);
  EXPECT_EQ(o.small_factory, "Flat");
  EXPECT_EQ(o.large_factory, "HNSW16");
  EXPECT_EQ(o.hnsw_min_items, 10);
  EXPECT_EQ(o.ef_search, 64);
  EXPECT_EQ(o.ef_construction, 40);
  EXPECT_DOUBLE_EQ(o.exact_max_eligible_fraction, 0.2);
}

TEST(RetrieverOptions, ValidateNamesTheBadField) {
  RetrieverOptions o;
  o.ef_search = 0;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "ef_search is 0"));
  o = RetrieverOptions();
  o.exact_max_eligible_fraction = 1.5;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     "exact_max_eligible_fraction is 1.5, want [0, 1]"));
  o = RetrieverOptions();
  o.hnsw_min_items = -3;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "hnsw_min_items"));
  o = RetrieverOptions();
  o.large_factory = "";
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "large_factory"));
}

// ------------------------------------------------------------------ build

TEST(RetrieverBuild, ChoosesFactoryBySize) {
  const RowMatrixXf m = MakeClusteredEmbeddings(300, 16, 5, 1);
  RetrieverOptions o;
  o.hnsw_min_items = 300;
  ASSERT_OK_AND_ASSIGN(auto at, Retriever::Build(m, o));
  EXPECT_EQ(at->factory(), "HNSW32");
  EXPECT_FALSE(at->is_exact());
  o.hnsw_min_items = 301;
  ASSERT_OK_AND_ASSIGN(auto below, Retriever::Build(m, o));
  EXPECT_EQ(below->factory(), "Flat");
  EXPECT_TRUE(below->is_exact());
}

TEST(RetrieverBuild, RejectsBadEmbeddingsAndFactories) {
  RowMatrixXf m = MakeClusteredEmbeddings(50, 8, 3, 1);
  RowMatrixXf unnormalized = m;
  unnormalized.row(7) *= 2.0f;
  EXPECT_THAT(Retriever::Build(unnormalized, FlatOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, "embedding row 7 has L2 norm 2"));
  RowMatrixXf nan = m;
  nan(3, 2) = std::nanf("");
  EXPECT_THAT(Retriever::Build(nan, FlatOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, "row 3 has a non-finite"));
  RetrieverOptions garbage;
  garbage.small_factory = "NoSuchIndex";
  EXPECT_THAT(Retriever::Build(m, garbage),
              StatusIs(absl::StatusCode::kInvalidArgument, "NoSuchIndex"));
  RetrieverOptions ivf;
  ivf.small_factory = "IVF4,Flat";
  EXPECT_THAT(Retriever::Build(m, ivf),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a supported index family"));
}

TEST(RetrieverBuild, DeterministicBuildGivesIdenticalBytes) {
  const RowMatrixXf m = MakeClusteredEmbeddings(2000, 16, 20, 4);
  ASSERT_OK_AND_ASSIGN(auto a, Retriever::Build(m, HnswOptions()));
  ASSERT_OK_AND_ASSIGN(auto b, Retriever::Build(m, HnswOptions()));
  ASSERT_OK_AND_ASSIGN(std::string bytes_a, a->Serialize());
  ASSERT_OK_AND_ASSIGN(std::string bytes_b, b->Serialize());
  EXPECT_TRUE(bytes_a == bytes_b);
}

// ----------------------------------------------------------------- recall

TEST(RetrieverSearch, HnswRecallAt20IsAtLeast95PercentOfBruteForce) {
  constexpr int kN = 10000, kD = 64, kQueries = 200, kK = 20;
  const RowMatrixXf m = MakeClusteredEmbeddings(kN, kD, 100, 11);
  const RowMatrixXf queries = MakeQueriesNear(m, kQueries, 12);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, HnswOptions()));
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_EQ(retriever->factory(), "HNSW32");
  int found = 0;
  double search_seconds = 0;
  for (int i = 0; i < kQueries; ++i) {
    const auto s0 = std::chrono::steady_clock::now();
    ASSERT_OK_AND_ASSIGN(auto hits, retriever->Search(RowSpan(queries, i), kK, nullptr));
    search_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    ASSERT_OK_AND_ASSIGN(auto truth, BruteForceSearch(m, RowSpan(queries, i), kK, nullptr));
    ASSERT_EQ(hits.size(), static_cast<size_t>(kK));
    ExpectWellFormed(hits, kN, nullptr);
    std::set<Row> want;
    for (const Hit& h : truth) want.insert(h.row);
    for (const Hit& h : hits) found += want.count(h.row);
  }
  const double recall = static_cast<double>(found) / (kQueries * kK);
  std::printf("HNSW32 n=%d d=%d ef=256: recall@20=%.4f build=%.2fs "
              "mean search=%.1fus\n",
              kN, kD, recall, std::chrono::duration<double>(t1 - t0).count(),
              1e6 * search_seconds / kQueries);
  EXPECT_GE(recall, 0.95);
}

// ------------------------------------------------------ filtered == oracle

struct FilterCase {
  const char* index;  // "Flat" or "HNSW".
  double fraction;
};

class FilteredSearch : public ::testing::TestWithParam<FilterCase> {};

TEST_P(FilteredSearch, MatchesBruteForceOverEligibleRows) {
  constexpr int kN = 4000, kD = 32, kQueries = 40, kK = 20;
  const FilterCase c = GetParam();
  const RowMatrixXf m = MakeClusteredEmbeddings(kN, kD, 40, 21);
  const RowMatrixXf queries = MakeQueriesNear(m, kQueries, 22);
  const bool hnsw = std::string(c.index) == "HNSW";
  // Exact whenever the index is exact or #eligible / n <= 5% (the default
  // exact_max_eligible_fraction); approximate (HNSW + filter) otherwise.
  const bool guaranteed_exact = !hnsw || c.fraction <= 0.05;
  ASSERT_OK_AND_ASSIGN(auto retriever,
                       Retriever::Build(m, hnsw ? HnswOptions() : FlatOptions()));
  int ann_searches = 0, found = 0, total = 0;
  for (int i = 0; i < kQueries; ++i) {
    const RowSet eligible = ExactSizeFilter(kN, c.fraction, 100 + i);
    SearchInfo info;
    ASSERT_OK_AND_ASSIGN(auto hits,
                         retriever->Search(RowSpan(queries, i), kK, &eligible, &info));
    ASSERT_OK_AND_ASSIGN(auto truth,
                         BruteForceSearch(m, RowSpan(queries, i), kK, &eligible));
    ExpectWellFormed(hits, kN, &eligible);
    ASSERT_EQ(hits.size(), truth.size()) << "page must be full";
    // A caller that passes the eligible count it already knows gets the same.
    ASSERT_OK_AND_ASSIGN(auto hinted,
                         retriever->Search(RowSpan(queries, i), kK, &eligible,
                                           nullptr,
                                           SearchOptions{eligible.count(), -1}));
    EXPECT_EQ(hinted, hits);
    if (guaranteed_exact) {
      ExpectSameHits(hits, truth, "query " + std::to_string(i));
    } else {
      // Similarities are exact even for ANN rows.
      const Eigen::VectorXf q = NormalizeQuery(RowSpan(queries, i));
      for (const Hit& h : hits) {
        EXPECT_EQ(h.similarity, RowSimilarity(m, h.row, q));
      }
      std::set<Row> want;
      for (const Hit& h : truth) want.insert(h.row);
      for (const Hit& h : hits) found += want.count(h.row);
      total += truth.size();
    }
    if (!info.exact) ++ann_searches;
  }
  if (guaranteed_exact) {
    EXPECT_EQ(ann_searches, 0);
  } else {
    EXPECT_GT(ann_searches, 0);
    const double recall = static_cast<double>(found) / total;
    std::printf("HNSW filtered %.0f%%: recall@%d=%.4f\n", 100 * c.fraction, kK, recall);
    EXPECT_GE(recall, 0.95);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Selectivities, FilteredSearch,
    ::testing::Values(FilterCase{"Flat", 0.5}, FilterCase{"Flat", 0.1},
                      FilterCase{"Flat", 0.05}, FilterCase{"Flat", 0.01},
                      FilterCase{"HNSW", 0.5}, FilterCase{"HNSW", 0.1},
                      FilterCase{"HNSW", 0.05}, FilterCase{"HNSW", 0.01}),
    [](const ::testing::TestParamInfo<FilterCase>& info) {
      return std::string(info.param.index) + "_" +
             std::to_string(static_cast<int>(info.param.fraction * 100)) + "pct";
    });

TEST(RetrieverSearch, AnnStarvedByFilterFallsBackToExactAndFillsThePage) {
  // Eligible: the 10% of rows least similar to the query. FAISS explores the
  // query's neighbourhood, finds (almost) none of them, retries with a larger
  // k, and exact search must still fill the page with the true answer.
  constexpr int kN = 3000;
  const RowMatrixXf m = MakeClusteredEmbeddings(kN, 16, 30, 31);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, HnswOptions()));
  ASSERT_OK_AND_ASSIGN(auto all, BruteForceSearch(m, RowSpan(m, 0), kN, nullptr));
  RowSet eligible(kN);
  for (int i = kN - kN / 10; i < kN; ++i) eligible.insert(all[i].row);
  SearchInfo info;
  ASSERT_OK_AND_ASSIGN(auto hits, retriever->Search(RowSpan(m, 0), 20, &eligible, &info));
  ASSERT_OK_AND_ASSIGN(auto truth, BruteForceSearch(m, RowSpan(m, 0), 20, &eligible));
  ExpectSameHits(hits, truth, "starved");
  EXPECT_GE(info.ann_attempts, 1);
  EXPECT_TRUE(info.fell_back_to_exact);
}

TEST(RetrieverSearch, ExactWhenCheaperThanAnn) {
  // Default ann_cost_per_result (64): 20 results from 2000 eligible rows cost
  // 50 * 64 >= 2000 row scores on the ANN path, so exact answers directly.
  const RowMatrixXf m = MakeClusteredEmbeddings(4000, 16, 30, 33);
  RetrieverOptions o;
  o.hnsw_min_items = 1;
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, o));
  const RowSet half = ExactSizeFilter(4000, 0.5, 1);
  SearchInfo info;
  ASSERT_OK_AND_ASSIGN(auto hits, retriever->Search(RowSpan(m, 9), 20, &half, &info));
  ASSERT_OK_AND_ASSIGN(auto truth, BruteForceSearch(m, RowSpan(m, 9), 20, &half));
  ExpectSameHits(hits, truth, "cheaper exact");
  EXPECT_TRUE(info.exact);
  EXPECT_EQ(info.ann_attempts, 0);
  // Unfiltered, 20 * 64 < 4000: the ANN path is used.
  ASSERT_OK_AND_ASSIGN(auto ann, retriever->Search(RowSpan(m, 9), 20, nullptr, &info));
  EXPECT_FALSE(info.exact);
  EXPECT_EQ(info.ann_attempts, 1);
  EXPECT_EQ(ann.size(), 20u);
}

TEST(RetrieverSearch, MostlyEligibleFilterIsOneAnnCallUnderTheDefaultCostRule) {
  // 99% eligible, default ann_cost_per_result (64): the first ANN request is
  // sized from the eligible fraction (want / p + 3 binomial sigmas: 136 for
  // 130 wanted), below the exact-scan break-even of 9,900 / 64 = 154, so one
  // FAISS call fills the page and nothing is scanned exactly. (A 1.25x
  // margin asks for 165 and went exact.)
  constexpr int kN = 10000;
  constexpr int kK = 130;
  const RowMatrixXf m = MakeClusteredEmbeddings(kN, 16, 100, 41);
  RetrieverOptions o;
  o.hnsw_min_items = 1;
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, o));
  const RowSet eligible = ExactSizeFilter(kN, 0.99, 7);
  int overlap = 0;
  for (int q = 0; q < 20; ++q) {
    SearchInfo info;
    ASSERT_OK_AND_ASSIGN(auto hits,
                         retriever->Search(RowSpan(m, q * 499), kK, &eligible, &info));
    ASSERT_EQ(hits.size(), static_cast<size_t>(kK));
    EXPECT_FALSE(info.exact) << "query " << q;
    EXPECT_EQ(info.ann_attempts, 1) << "query " << q;
    for (const Hit& h : hits) ASSERT_TRUE(eligible.contains(h.row));
    ASSERT_OK_AND_ASSIGN(auto truth,
                         BruteForceSearch(m, RowSpan(m, q * 499), kK, &eligible));
    for (const Hit& t : truth) {
      for (const Hit& h : hits) overlap += h.row == t.row;
    }
  }
  EXPECT_GE(overlap, 0.9 * 20 * kK);  // Recall >= 0.9 over 20 queries.
}

TEST(RetrieverSearch, MinHitsAsksFaissForExactlyKWhenAlmostEverythingIsEligible) {
  // 99% eligible: with min_hits 95% of k, FAISS is asked for k results
  // (not k / 0.99 plus a margin); the answer holds between min_hits and k
  // eligible rows with exact similarities, and recalls the brute-force top k
  // of the eligible rows (oracle) as well as the full-page search does.
  constexpr int kN = 10000;
  constexpr int kK = 130;
  const RowMatrixXf m = MakeClusteredEmbeddings(kN, 16, 100, 41);
  RetrieverOptions o;
  o.hnsw_min_items = 1;
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, o));
  const RowSet eligible = ExactSizeFilter(kN, 0.99, 7);
  SearchOptions options;
  options.min_hits = kK - kK / 20;
  int found = 0, found_full = 0;
  for (int q = 0; q < 20; ++q) {
    SCOPED_TRACE(q);
    SearchInfo info;
    ASSERT_OK_AND_ASSIGN(auto hits, retriever->Search(RowSpan(m, q * 499), kK,
                                                      &eligible, &info, options));
    EXPECT_EQ(info.ann_attempts, 1);
    EXPECT_EQ(info.ann_k, kK);
    EXPECT_GE(hits.size(), static_cast<size_t>(options.min_hits));
    EXPECT_LE(hits.size(), static_cast<size_t>(kK));
    const Eigen::VectorXf query = NormalizeQuery(RowSpan(m, q * 499));
    for (const Hit& h : hits) {
      ASSERT_TRUE(eligible.contains(h.row));
      EXPECT_EQ(h.similarity, RowSimilarity(m, h.row, query));
    }
    EXPECT_TRUE(std::is_sorted(hits.begin(), hits.end(), HitBefore));
    ASSERT_OK_AND_ASSIGN(auto truth, BruteForceSearch(m, RowSpan(m, q * 499),
                                                      kK, &eligible));
    std::set<Row> truth_rows;
    for (const Hit& t : truth) truth_rows.insert(t.row);
    for (const Hit& h : hits) found += truth_rows.count(h.row);
    // The default still fills the page.
    SearchInfo full_info;
    ASSERT_OK_AND_ASSIGN(auto full, retriever->Search(RowSpan(m, q * 499), kK,
                                                      &eligible, &full_info));
    EXPECT_EQ(full.size(), static_cast<size_t>(kK));
    EXPECT_GT(full_info.ann_k, kK);
    for (const Hit& h : full) found_full += truth_rows.count(h.row);
  }
  EXPECT_GE(found, 0.9 * 20 * kK);
  EXPECT_GE(found, found_full - 20 * kK / 50);  // Within 2% of the full page.
  // Asking for every eligible row ignores min_hits.
  const RowSet few = ExactSizeFilter(kN, 0.01, 8);  // 100 rows, exact path.
  ASSERT_OK_AND_ASSIGN(auto all, retriever->Search(RowSpan(m, 0), 200, &few,
                                                   nullptr, options));
  EXPECT_EQ(all.size(), 100u);
}

TEST(RetrieverSearch, FewerEligibleThanKReturnsAllEligibleOnBothIndexes) {
  const RowMatrixXf m = MakeClusteredEmbeddings(2000, 16, 20, 32);
  for (const RetrieverOptions& o : {FlatOptions(), HnswOptions()}) {
    ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, o));
    const RowSet eligible = RandomFilter(2000, 0.006, 5);  // ~12 rows.
    ASSERT_OK_AND_ASSIGN(auto hits, retriever->Search(RowSpan(m, 1), 50, &eligible));
    EXPECT_EQ(static_cast<int>(hits.size()), eligible.count()) << retriever->factory();
    ASSERT_OK_AND_ASSIGN(auto truth, BruteForceSearch(m, RowSpan(m, 1), 50, &eligible));
    ExpectSameHits(hits, truth, retriever->factory());
  }
}

TEST(RetrieverSearch, EmptyFilterReturnsNothingAndOk) {
  const RowMatrixXf m = MakeClusteredEmbeddings(500, 8, 5, 33);
  RetrieverOptions o = HnswOptions();
  o.exact_max_eligible_fraction = 0.0;
  for (const RetrieverOptions& opts : {FlatOptions(), o}) {
    ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, opts));
    const RowSet none(500);
    ASSERT_OK_AND_ASSIGN(auto hits, retriever->Search(RowSpan(m, 0), 10, &none));
    EXPECT_TRUE(hits.empty());
  }
}

TEST(RetrieverSearch, KLargerThanCatalogReturnsEveryRowSorted) {
  const RowMatrixXf m = MakeClusteredEmbeddings(300, 8, 5, 34);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, HnswOptions()));
  ASSERT_OK_AND_ASSIGN(auto hits, retriever->Search(RowSpan(m, 3), 1000, nullptr));
  ASSERT_OK_AND_ASSIGN(auto truth, BruteForceSearch(m, RowSpan(m, 3), 1000, nullptr));
  ExpectSameHits(hits, truth, "k > n");
  EXPECT_EQ(hits.size(), 300u);
}

TEST(RetrieverSearch, RepeatedAndConcurrentSearchesAreIdentical) {
  const RowMatrixXf m = MakeClusteredEmbeddings(3000, 16, 30, 35);
  const RowMatrixXf queries = MakeQueriesNear(m, 16, 36);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, HnswOptions()));
  const RowSet half = RandomFilter(3000, 0.5, 7);
  std::vector<std::vector<Hit>> serial(queries.rows());
  for (int i = 0; i < queries.rows(); ++i) {
    ASSERT_OK_AND_ASSIGN(serial[i], retriever->Search(RowSpan(queries, i), 30, &half));
    ExpectWellFormed(serial[i], 3000, &half);
    EXPECT_EQ(serial[i].size(), 30u);
  }
  std::vector<std::vector<std::vector<Hit>>> parallel(
      4, std::vector<std::vector<Hit>>(queries.rows()));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) {
        for (int i = 0; i < queries.rows(); ++i) {
          auto hits = retriever->Search(RowSpan(queries, i), 30, &half);
          if (hits.ok()) parallel[t][i] = *hits;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(parallel[t], serial) << "thread " << t;
}

// -------------------------------------------------------------- bad input

TEST(RetrieverSearch, BadInputsAreInvalidArgumentNamingTheProblem) {
  const RowMatrixXf m = MakeClusteredEmbeddings(100, 64, 4, 40);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, FlatOptions()));
  const std::vector<float> short_query(32, 1.0f);
  EXPECT_THAT(retriever->Search(short_query, 10, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "query has 32 floats, want 64"));
  std::vector<float> nan_query(64, 1.0f);
  nan_query[5] = std::nanf("");
  EXPECT_THAT(retriever->Search(nan_query, 10, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "query[5] is nan"));
  const std::vector<float> zero(64, 0.0f);
  EXPECT_THAT(retriever->Search(zero, 10, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "non-zero"));
  EXPECT_THAT(retriever->Search(RowSpan(m, 0), 0, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "k is 0, want [1, 100000]"));
  EXPECT_THAT(retriever->Search(RowSpan(m, 0), 100001, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "k is 100001"));
  const RowSet wrong_size(99, true);
  EXPECT_THAT(retriever->Search(RowSpan(m, 0), 10, &wrong_size),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "eligible set has 99 rows, want 100"));
  const RowSet all(100, true);
  EXPECT_THAT(retriever->Search(RowSpan(m, 0), 10, &all, nullptr,
                                SearchOptions{-1, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "min_hits is 0, want -1 or >= 1"));
  EXPECT_THAT(retriever->Search(RowSpan(m, 0), 10, &all, nullptr,
                                SearchOptions{101, -1}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "eligible_count is 101, want -1 or [0, 100]"));
  EXPECT_THAT(retriever->SearchAboveThreshold(RowSpan(m, 0), 0.5f, 0, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "max_results is 0"));
  EXPECT_THAT(retriever->SearchAboveThreshold(RowSpan(m, 0), std::nanf(""), 5, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "min_similarity"));
}

// ------------------------------------------------------------- threshold

TEST(RetrieverSearchAboveThreshold, EqualsBruteForce) {
  const RowMatrixXf m = MakeClusteredEmbeddings(3000, 32, 30, 50);
  const RowMatrixXf queries = MakeQueriesNear(m, 10, 51);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, HnswOptions()));
  const RowSet half = RandomFilter(3000, 0.5, 9);
  for (int i = 0; i < queries.rows(); ++i) {
    for (const RowSet* eligible : {static_cast<const RowSet*>(nullptr), &half}) {
      for (float threshold : {0.95f, 0.8f, 0.5f}) {
        ASSERT_OK_AND_ASSIGN(auto hits, retriever->SearchAboveThreshold(
                                            RowSpan(queries, i), threshold, 100000, eligible));
        ASSERT_OK_AND_ASSIGN(auto truth, BruteForceAboveThreshold(
                                             m, RowSpan(queries, i), threshold, 100000, eligible));
        ExpectSameHits(hits, truth, "threshold " + std::to_string(threshold));
        for (const Hit& h : hits) EXPECT_GE(h.similarity, threshold);
      }
    }
  }
}

TEST(RetrieverSearchAboveThreshold, MaxResultsKeepsTheMostSimilar) {
  const RowMatrixXf m = MakeClusteredEmbeddings(1000, 16, 2, 52);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, FlatOptions()));
  ASSERT_OK_AND_ASSIGN(auto all, retriever->SearchAboveThreshold(RowSpan(m, 0), 0.0f,
                                                                 100000, nullptr));
  ASSERT_GT(all.size(), 10u);
  ASSERT_OK_AND_ASSIGN(auto top, retriever->SearchAboveThreshold(RowSpan(m, 0), 0.0f, 10,
                                                                 nullptr));
  ExpectSameHits(top, std::vector<Hit>(all.begin(), all.begin() + 10), "top 10");
}

// ---------------------------------------------------------- serialization

TEST(RetrieverSerialize, RoundTripGivesIdenticalResults) {
  const RowMatrixXf m = MakeClusteredEmbeddings(3000, 16, 30, 60);
  const RowMatrixXf queries = MakeQueriesNear(m, 20, 61);
  const RowSet tenth = RandomFilter(3000, 0.1, 3);
  for (const RetrieverOptions& o : {FlatOptions(), HnswOptions()}) {
    ASSERT_OK_AND_ASSIGN(auto original, Retriever::Build(m, o));
    ASSERT_OK_AND_ASSIGN(std::string bytes, original->Serialize());
    ASSERT_OK_AND_ASSIGN(auto loaded, Retriever::Deserialize(bytes, m, o));
    EXPECT_EQ(loaded->factory(), original->factory());
    ASSERT_OK_AND_ASSIGN(std::string again, loaded->Serialize());
    EXPECT_TRUE(again == bytes) << "re-serialized bytes differ";
    for (int i = 0; i < queries.rows(); ++i) {
      for (const RowSet* eligible : {static_cast<const RowSet*>(nullptr), &tenth}) {
        ASSERT_OK_AND_ASSIGN(auto a, original->Search(RowSpan(queries, i), 25, eligible));
        ASSERT_OK_AND_ASSIGN(auto b, loaded->Search(RowSpan(queries, i), 25, eligible));
        EXPECT_EQ(a, b) << original->factory() << " query " << i;
      }
    }
  }
}

TEST(RetrieverSerialize, CorruptedBytesAreDataLossNotACrash) {
  const RowMatrixXf m = MakeClusteredEmbeddings(500, 8, 5, 62);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, HnswOptions()));
  ASSERT_OK_AND_ASSIGN(std::string bytes, retriever->Serialize());
  const RetrieverOptions o = HnswOptions();

  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x5a;
  EXPECT_THAT(Retriever::Deserialize(flipped, m, o),
              StatusIs(absl::StatusCode::kDataLoss, "checksum"));
  EXPECT_THAT(Retriever::Deserialize(bytes.substr(0, bytes.size() - 100), m, o),
              StatusIs(absl::StatusCode::kDataLoss, "truncated"));
  EXPECT_THAT(Retriever::Deserialize("not an index at all", m, o),
              StatusIs(absl::StatusCode::kDataLoss, "magic"));
  EXPECT_THAT(Retriever::Deserialize("", m, o),
              StatusIs(absl::StatusCode::kDataLoss, "magic"));
  EXPECT_THAT(Retriever::Deserialize(bytes + "x", m, o),
              StatusIs(absl::StatusCode::kDataLoss, "trailing"));

  // A well-formed envelope (documented in retriever.h) around a payload FAISS
  // cannot parse: FAISS throws, the adapter reports DATA_LOSS.
  const std::string payload = "IxHF" + std::string(40, '\x7f');
  std::string crafted("FGRIDX01", 8);
  const int64_t n = 500, d = 8;
  const uint32_t len = 6;
  const uint64_t payload_len = payload.size();
  crafted.append(reinterpret_cast<const char*>(&n), 8);
  crafted.append(reinterpret_cast<const char*>(&d), 8);
  crafted.append(reinterpret_cast<const char*>(&len), 4);
  crafted += "HNSW32";
  crafted += Sha256Hex(payload);
  crafted.append(reinterpret_cast<const char*>(&payload_len), 8);
  crafted += payload;
  EXPECT_THAT(Retriever::Deserialize(crafted, m, o),
              StatusIs(absl::StatusCode::kDataLoss, "reading FAISS index"));
}

TEST(RetrieverSerialize, MismatchedEmbeddingsAreFailedPrecondition) {
  const RowMatrixXf m = MakeClusteredEmbeddings(400, 16, 5, 63);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, HnswOptions()));
  ASSERT_OK_AND_ASSIGN(std::string bytes, retriever->Serialize());
  const RowMatrixXf other_dim = MakeClusteredEmbeddings(400, 32, 5, 63);
  EXPECT_THAT(Retriever::Deserialize(bytes, other_dim, HnswOptions()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "built for 400 x 16 embeddings, but the catalog has 400 x 32"));
  const RowMatrixXf other_n = MakeClusteredEmbeddings(401, 16, 5, 63);
  EXPECT_THAT(Retriever::Deserialize(bytes, other_n, HnswOptions()),
              StatusIs(absl::StatusCode::kFailedPrecondition, "401 x 16"));
  const RowMatrixXf other_values = MakeClusteredEmbeddings(400, 16, 5, 64);
  EXPECT_THAT(Retriever::Deserialize(bytes, other_values, HnswOptions()),
              StatusIs(absl::StatusCode::kFailedPrecondition, "differ"));
}

// ------------------------------------------------------------ added rows

TEST(RetrieverWithAddedRows, FlatGrowthEqualsFreshBuild) {
  const RowMatrixXf all = MakeClusteredEmbeddings(1200, 16, 10, 70);
  const RowMatrixXf first = all.topRows(1000);
  ASSERT_OK_AND_ASSIGN(auto small, Retriever::Build(first, FlatOptions()));
  ASSERT_OK_AND_ASSIGN(auto grown, small->WithAddedRows(all));
  EXPECT_EQ(grown->size(), 1200);
  EXPECT_EQ(small->size(), 1000);  // The original is untouched.
  for (int r : {0, 1100, 1199}) {
    ASSERT_OK_AND_ASSIGN(auto hits, grown->Search(RowSpan(all, r), 15, nullptr));
    ASSERT_OK_AND_ASSIGN(auto truth, BruteForceSearch(all, RowSpan(all, r), 15, nullptr));
    ExpectSameHits(hits, truth, "row " + std::to_string(r));
  }
}

TEST(RetrieverWithAddedRows, HnswFindsNewRowsAndCrossingThresholdSwitchesFactory) {
  const RowMatrixXf all = MakeClusteredEmbeddings(2400, 16, 20, 71);
  RetrieverOptions o;
  o.hnsw_min_items = 2200;
  ASSERT_OK_AND_ASSIGN(auto flat, Retriever::Build(all.topRows(2000), o));
  EXPECT_EQ(flat->factory(), "Flat");
  ASSERT_OK_AND_ASSIGN(auto hnsw, flat->WithAddedRows(all.topRows(2300)));
  EXPECT_EQ(hnsw->factory(), "HNSW32");
  ASSERT_OK_AND_ASSIGN(auto grown, hnsw->WithAddedRows(all));
  EXPECT_EQ(grown->factory(), "HNSW32");
  for (int r : {5, 2100, 2350, 2399}) {
    ASSERT_OK_AND_ASSIGN(auto hits, grown->Search(RowSpan(all, r), 5, nullptr));
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].row, r) << "a row is its own nearest neighbour";
  }
}

TEST(RetrieverWithAddedRows, ChangedOrRemovedRowsAreFailedPrecondition) {
  const RowMatrixXf m = MakeClusteredEmbeddings(300, 8, 5, 72);
  ASSERT_OK_AND_ASSIGN(auto retriever, Retriever::Build(m, FlatOptions()));
  EXPECT_THAT(retriever->WithAddedRows(m.topRows(299)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "want >= 300 rows"));
  RowMatrixXf changed = m;
  changed.row(10) = m.row(11);
  EXPECT_THAT(retriever->WithAddedRows(changed),
              StatusIs(absl::StatusCode::kFailedPrecondition, "existing rows changed"));
}

}  // namespace
}  // namespace feedgov
