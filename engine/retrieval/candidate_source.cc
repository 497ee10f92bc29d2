#include "engine/retrieval/candidate_source.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "engine/common/status_macros.h"
#include "engine/retrieval/brute_force.h"

namespace feedgov {
namespace {

// A prefix of the prior order restricted to `allowed` (and `also`, if not
// null), grown on demand: after ExtendTo(k), rows() is exactly
// the first k rows of the walk plus any tied with the k-th on the prior,
// and a later ExtendTo(k' >= k) continues the same walk instead of starting
// over.
class PriorWalk {
 public:
  PriorWalk(const ItemPriors& priors, const RowSet& allowed, const RowSet* also)
      : priors_(priors), allowed_(allowed), also_(also) {}
  void ExtendTo(int k) {
    const std::vector<Row>& order = priors_.rows_by_prior();
    const std::vector<float>& score = priors_.prior_scores_by_rank();
    const int64_t want = k;
    while (cursor_ < order.size()) {
      if (static_cast<int64_t>(rows_.size()) >= want &&
          (rows_.empty() || score[cursor_] != last_)) {
        // Rows tied with the k-th on the (float) prior are all taken: the
        // final order uses the double blend, which may order tied rows
        // differently than id, and a tie split by the cut made pages of
        // different sizes disagree.
        break;
      }
      const Row r = order[cursor_];
      if (allowed_.contains(r) && (also_ == nullptr || also_->contains(r))) {
        rows_.push_back(r);
        ranks_.push_back(static_cast<int64_t>(cursor_));
        last_ = score[cursor_];
      }
      ++cursor_;
    }
  }
  const std::vector<Row>& rows() const { return rows_; }
  // ranks()[i]: position of rows()[i] in priors.rows_by_prior().
  const std::vector<int64_t>& ranks() const { return ranks_; }

 private:
  const ItemPriors& priors_;
  const RowSet& allowed_;
  const RowSet* also_;
  size_t cursor_ = 0;
  float last_ = 0;  // Prior of rows_.back().
  std::vector<Row> rows_;
  std::vector<int64_t> ranks_;
};

}  // namespace

std::vector<Row> TopByPrior(const ItemPriors& priors, const RowSet& eligible,
                            int k, const RowSet* also) {
  PriorWalk walk(priors, eligible, also);
  walk.ExtendTo(k);
  return walk.rows();
}

namespace {

// How many rows of `eligible` (and of `also`, if not null) have a prior
// score >= `floor`, counting at most `cap`.
int CountWithPriorAtLeast(const ItemPriors& priors, const RowSet& eligible,
                          const RowSet* also, double floor, int cap) {
  int count = 0;
  const std::vector<Row>& order = priors.rows_by_prior();
  const std::vector<float>& score = priors.prior_scores_by_rank();
  for (size_t i = 0; i < order.size(); ++i) {
    if (count >= cap || score[i] < floor) break;
    const Row r = order[i];
    count += eligible.contains(r) && (also == nullptr || also->contains(r));
  }
  return count;
}

// Hints the cache to load embedding row `r` (d floats) of `m`.
inline void PrefetchRow(const RowMatrixXf& m, Row r) {
  const char* p =
      reinterpret_cast<const char*>(m.data() + int64_t{r} * m.cols());
  for (int64_t off = 0; off < m.cols() * int64_t{sizeof(float)}; off += 64) {
    __builtin_prefetch(p + off);
  }
}

// Key-slot flags of the rows the threshold source scored so far, and the
// number of key-slot-allowed rows of `allowed` (-1: not counted yet).
struct HeadKinds {
  std::vector<bool> allowed;
  int64_t total_allowed = -1;
};

// The final score down to which ThresholdSource must be exact: the min of
// the target-th best final score and, when need.cuts(), the
// need.key_slot_allowed-th best among key-slot-allowed rows (-inf while too
// few are scored; ignored once all of them are). Positives are best effort
// below that (see below).
double HeadThreshold(const GovernanceView& view, const RowSet& allowed,
                     const std::vector<Row>& rows,
                     const std::vector<double>& finals, int target,
                     const SlateNeed& need, HeadKinds& kinds) {
  std::vector<std::pair<double, uint32_t>> order(finals.size());
  for (size_t i = 0; i < finals.size(); ++i) {
    order[i] = {SlateSortKey(finals[i]), static_cast<uint32_t>(i)};
  }
  const int t = std::min<int>(target, order.size());
  std::nth_element(order.begin(), order.begin() + (t - 1), order.end(),
                   std::greater<std::pair<double, uint32_t>>());
  const double threshold = order[t - 1].first;
  if (!need.cuts()) return threshold;
  // Usually the top t already hold enough key-slot-allowed rows: then the
  // need-th best allowed row is among them and the threshold stands.
  const RowSet& key_ok = view.key_slot_allowed();
  int64_t top_allowed = 0;
  for (int i = 0; i < t; ++i)
    top_allowed += key_ok.contains(rows[order[i].second]);
  if (top_allowed >= need.key_slot_allowed) return threshold;
  for (size_t i = kinds.allowed.size(); i < rows.size(); ++i) {
    kinds.allowed.push_back(key_ok.contains(rows[i]));
  }
  // The need-th best final among the scored allowed rows; -inf when fewer
  // are scored, unless every eligible allowed row is (nothing unseen can
  // matter then).
  std::vector<double> scores;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (kinds.allowed[i]) scores.push_back(SlateSortKey(finals[i]));
  }
  const int64_t have = static_cast<int64_t>(scores.size());
  const int64_t want = need.key_slot_allowed;
  if (have < want) {
    if (kinds.total_allowed < 0) {
      kinds.total_allowed = allowed.CountIntersection(key_ok);
    }
    return have >= kinds.total_allowed
               ? threshold
               : -std::numeric_limits<double>::infinity();
  }
  std::nth_element(scores.begin(), scores.begin() + (want - 1), scores.end(),
                   std::greater<double>());
  // Positives are not held to need.positives: with positives 10% of the
  // catalog and boosted, the exact 32nd-best positive needs a second
  // search in about half of the Ranks at 1M items (measured: Rank / raw
  // FAISS 1.2x -> 1.9x). Below the exact top, the quota takes the best
  // positives among the candidates (the positive pool when they lack
  // them); tests/pipeline/candidate_head_test.cc checks exactness where
  // no quota applies.
  return std::min(threshold, scores[want - 1]);
}

}  // namespace

// Exact top by final score, a threshold algorithm over three sorted lists:
// the cosine top-kc of `allowed` (one Retriever search), its prior top-kp,
// and the prior top-kb of its BOOSTed rows (B: policy factor > 1). Rows
// with an editor or user factor > 1 are few and always taken. Then a row in
// no list scores at most
//   not in B: w_sim * (1 + cos_kc) / 2 + prior_kp          (factor <= 1)
//   in B:     (w_sim * (1 + cos_kc) / 2 + min(prior_kp, prior_kb)) * max_B,
// and the lists grow until both bounds fall below the target-th best final
// score. The prior lists are cheap (a walk of the prior order, one dot
// product per row), so they grow first while the cosine term alone is below
// that score; the cosine list (a search) grows only when it must. Without
// this a popular item just below the cosine cut-off was missing from a big
// page but appeared on a later small page (pages of 10 != one page of 50).
//
// The prior lists start at one row: the first round's threshold (from the
// cosine list alone) already tells how deep they must reach, and the jump
// below goes there directly. Rows are added once and scored once; a round
// only scores its new rows.
absl::StatusOr<ScoredRows> ThresholdSource::Retrieve(
    const RowSet& allowed, int allowed_count, int k,
    const SlateNeed& need) const {
  ScoredRows out;
  std::vector<Row>& rows = out.rows;
  std::vector<float>& sims = out.sims;
  std::vector<double>& blended = out.blended;
  std::vector<double>& finals = out.finals;
  const CatalogState& st = *in_.state;
  const int n = allowed_count >= 0 ? allowed_count : allowed.count();
  if (n == 0) return out;
  const int target = std::min(k, 2 * in_.page_size);
  const Eigen::VectorXf q = NormalizeQuery(query_);
  const RowMatrixXf& embeddings = st.catalog->embeddings();
  // Rows a policy BOOST lifted, and the largest lift (1 when none).
  const RowSet& boosted_rows = in_.view->boosted();
  const double max_boost = in_.view->max_boost_factor();
  const bool use_b = max_boost > 1.0;
  const double w_sim = in_.blend->options().similarity_weight;
  const int cap = std::min(n, Retriever::kMaxK);
  int kc = std::min(k, cap), kp = 1, kb = 1;
  int searched = 0;
  std::vector<Hit> hits;
  PriorWalk by_prior(*st.priors, allowed, nullptr);
  PriorWalk by_prior_b(*st.priors, allowed, &boosted_rows);
  size_t p_added = 0, b_added = 0;
  RowSet seen(st.catalog->size());
  HeadKinds kinds;  // Key-slot flags of the scored rows (HeadThreshold).
  for (auto* v : {&blended, &finals}) v->reserve(2 * kc);
  rows.reserve(2 * kc);
  sims.reserve(2 * kc);
  auto add = [&](Row r, float sim) {
    if (seen.contains(r)) return;
    seen.insert(r);
    rows.push_back(r);
    sims.push_back(sim);
  };
  // New rows of a prior list, with their cosines (a cache-missing embedding
  // row each: prefetched a few rows ahead).
  // Rows among the most popular are read from the contiguous prior head.
  const RowMatrixXf* head = st.prior_head.get();
  const int64_t head_rows = head != nullptr ? head->rows() : 0;
  auto add_list = [&](const PriorWalk& walk, size_t& added) {
    const std::vector<Row>& list = walk.rows();
    const std::vector<int64_t>& ranks = walk.ranks();
    constexpr size_t kAhead = 8;
    auto prefetch = [&](size_t i) {
      if (ranks[i] >= head_rows) PrefetchRow(embeddings, list[i]);
    };
    for (size_t i = added; i < list.size() && i < added + kAhead; ++i) {
      prefetch(i);
    }
    for (size_t i = added; i < list.size(); ++i) {
      if (i + kAhead < list.size()) prefetch(i + kAhead);
      const Row r = list[i];
      if (seen.contains(r)) continue;
      add(r, ranks[i] < head_rows ? RowSimilarity(*head, ranks[i], q)
                                  : RowSimilarity(embeddings, r, q));
    }
    added = list.size();
  };
  // Blended and final scores of the rows not scored yet.
  auto score_new = [&]() -> absl::Status {
    const size_t scored = blended.size();
    if (scored == rows.size()) return absl::OkStatus();
    FEEDGOV_ASSIGN_OR_RETURN(
        std::vector<double> fresh,
        in_.blend->Score(absl::MakeConstSpan(rows).subspan(scored),
                         absl::MakeConstSpan(sims).subspan(scored),
                         *st.priors));
    in_.final->AppendFinals(absl::MakeConstSpan(rows).subspan(scored), fresh,
                            blended, finals);
    return absl::OkStatus();
  };
  for (const RowFactors* factors :
       {&in_.final->editor_factors(), &in_.final->user_factors()}) {
    for (const auto& [row, f] : *factors) {
      if (f > 1.0 && allowed.contains(row)) {
        add(row, RowSimilarity(embeddings, row, q));
      }
    }
  }
  for (;;) {
    if (searched != kc) {
      // The threshold bound below needs only that no unseen allowed row is
      // more similar than the last hit, not exactly kc hits: FAISS is asked
      // for kc results (not kc / p plus a margin) and an answer holding 95%
      // of kc eligible rows is accepted. Every allowed row is wanted when
      // kc covers them all (Search then ignores min_hits).
      SearchOptions search;
      search.eligible_count = n;
      search.min_hits = kc - kc / 20;
      FEEDGOV_ASSIGN_OR_RETURN(
          hits, st.retriever->Search(query_, kc, &allowed, nullptr, search));
      searched = kc;
      for (const Hit& h : hits) add(h.row, h.similarity);
    }
    by_prior.ExtendTo(kp);
    add_list(by_prior, p_added);
    if (kc >= cap || hits.empty() ||
        static_cast<int>(by_prior.rows().size()) >= n) {
      break;  // Every allowed row was seen (or kMaxK reached).
    }
    if (use_b) {
      by_prior_b.ExtendTo(kb);
      add_list(by_prior_b, b_added);
    }
    FEEDGOV_RETURN_IF_ERROR(score_new());  // The rows added this round.
    const double threshold =
        HeadThreshold(*in_.view, allowed, rows, finals, target, need, kinds);
    const bool finite = threshold > -std::numeric_limits<double>::infinity();
    const double cos_term = w_sim * (1.0 + hits.back().similarity) / 2;
    const double prior_kp = st.priors->prior_score(by_prior.rows().back());
    const bool n_open = cos_term + prior_kp >= threshold;
    // B exhausted (fewer than kb boosted rows allowed): every B row was seen.
    const std::vector<Row>& b_list = by_prior_b.rows();
    const bool b_done =
        !use_b || kb >= n || static_cast<int>(b_list.size()) < kb;
    const double prior_kb =
        b_list.empty()
            ? prior_kp
            : std::min<double>(prior_kp, st.priors->prior_score(b_list.back()));
    const bool b_open =
        !b_done && (cos_term + prior_kb) * max_boost >= threshold;
    if (!n_open && !b_open) break;
    // Grow a prior list while the cosine term alone leaves room under the
    // threshold and the list is at most 8x the cosine list; else the cosine
    // list.
    // The threshold only grows as rows are added, so a prior list reaching
    // below threshold - cos_term (threshold / max_B - cos_term for B) closes
    // its bound in the next round: jump there instead of doubling.
    const int list_cap = std::min(8 * kc, n);
    bool grow_cos = false;
    // Too few key-slot-allowed rows or positives seen yet (threshold -inf):
    // the lists double instead of jumping to their cap.
    if (n_open) {
      if (cos_term < threshold && kp < list_cap) {
        kp =
            std::max(std::min(2 * kp, list_cap),
                     1 + CountWithPriorAtLeast(*st.priors, allowed, nullptr,
                                               threshold - cos_term, list_cap));
        kp = std::min(kp, list_cap);
      } else if (!finite && kp < list_cap) {
        kp = std::min(2 * kp, list_cap);
      } else {
        grow_cos = true;
      }
    }
    if (b_open) {
      if (cos_term * max_boost < threshold && kb < list_cap) {
        kb = std::max(std::min(2 * kb, list_cap),
                      1 + CountWithPriorAtLeast(
                              *st.priors, allowed, &boosted_rows,
                              threshold / max_boost - cos_term, list_cap));
        kb = std::min(kb, list_cap);
      } else if (!finite && kb < list_cap) {
        kb = std::min(2 * kb, list_cap);
      } else {
        grow_cos = true;
      }
    }
    if (grow_cos) kc = std::min(2 * kc, cap);
  }
  FEEDGOV_RETURN_IF_ERROR(score_new());  // Rows added after the last scoring.
  return out;
}

// Final score = prior x factors (policy BOOST/DOWNRANK, editor), so a
// boosted row below the prior cut can still win: the cut grows until the
// target-th best final score beats prior_k x the largest factor.
absl::StatusOr<ScoredRows> PriorSource::Retrieve(const RowSet& allowed,
                                                 int allowed_count, int k,
                                                 const SlateNeed& need) const {
  const ItemPriors& priors = *in_.state->priors;
  ScoredRows out;
  const int n = allowed.count();
  const int target = std::min(k, 2 * in_.page_size);
  double max_factor = -1;  // Computed on first use.
  for (int kk = std::min(k, n);; kk = std::min(2 * kk, n)) {
    out.rows = TopByPrior(priors, allowed, kk);
    if (static_cast<int>(out.rows.size()) >= n || out.rows.empty()) break;
    FEEDGOV_ASSIGN_OR_RETURN(std::vector<double> blended,
                             in_.blend->Score(out.rows, out.sims, priors));
    std::vector<double> final_scores;
    for (size_t i = 0; i < out.rows.size(); ++i) {
      final_scores.push_back(
          SlateSortKey(in_.final->Score(out.rows[i], blended[i])));
    }
    const int t = std::min<int>(target, final_scores.size());
    std::nth_element(final_scores.begin(), final_scores.begin() + (t - 1),
                     final_scores.end(), std::greater<double>());
    if (max_factor < 0) max_factor = in_.final->FactorBound();
    if (priors.prior_score(out.rows.back()) * max_factor <
        final_scores[t - 1]) {
      break;
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<double> fresh,
                           in_.blend->Score(out.rows, out.sims, priors));
  in_.final->AppendFinals(out.rows, fresh, out.blended, out.finals);
  return out;
}

absl::StatusOr<ScoredRows> ExhaustiveSource::Retrieve(
    const RowSet& allowed, int allowed_count, int k,
    const SlateNeed& need) const {
  ScoredRows out;
  const RowMatrixXf& embeddings = in_.state->catalog->embeddings();
  const Eigen::VectorXf q = NormalizeQuery(query_);
  allowed.ForEach([&](Row r) {
    out.rows.push_back(r);
    out.sims.push_back(RowSimilarity(embeddings, r, q));
  });
  FEEDGOV_ASSIGN_OR_RETURN(
      std::vector<double> fresh,
      in_.blend->Score(out.rows, out.sims, *in_.state->priors));
  in_.final->AppendFinals(out.rows, fresh, out.blended, out.finals);
  return out;
}

std::vector<SlateCandidate> ScoredRows::Candidates(
    const FinalScorer& scorer, absl::Span<const size_t> indices) const {
  std::vector<SlateCandidate> out;
  out.reserve(indices.size());
  for (size_t i : indices) out.push_back(scorer.Candidate(rows[i], blended[i]));
  return out;
}

}  // namespace feedgov
