#include "engine/labeler/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/labeler/calibration.h"

namespace feedgov {
namespace {

struct Counts {
  double tp = 0, fp = 0, fn = 0;
  double Precision() const { return tp + fp > 0 ? tp / (tp + fp) : 0.0; }
  double Recall() const { return tp + fn > 0 ? tp / (tp + fn) : 0.0; }
  double F1() const {
    const double p = Precision(), r = Recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  }
};

Counts CountClass(const Predictions& p, int c, absl::Span<const int64_t> idx) {
  Counts k;
  for (int64_t i : idx) {
    const bool t = p.truth[i] == c, y = p.predicted[i] == c;
    if (t && y) k.tp += 1;
    if (!t && y) k.fp += 1;
    if (t && !y) k.fn += 1;
  }
  return k;
}

double Accuracy(const Predictions& p, absl::Span<const int64_t> idx) {
  if (idx.empty()) return 0;
  double ok = 0;
  for (int64_t i : idx) ok += p.truth[i] == p.predicted[i] ? 1 : 0;
  return ok / idx.size();
}

double TopLabelEce(const Predictions& p, absl::Span<const int64_t> idx) {
  std::vector<double> conf;
  std::vector<bool> hit;
  conf.reserve(idx.size());
  for (int64_t i : idx) {
    conf.push_back(p.prob[i][p.predicted[i]]);
    hit.push_back(p.truth[i] == p.predicted[i]);
  }
  std::unique_ptr<bool[]> h(new bool[hit.size()]);
  for (size_t i = 0; i < hit.size(); ++i) h[i] = hit[i];
  return ExpectedCalibrationError(conf, absl::MakeConstSpan(h.get(), hit.size()));
}

}  // namespace

double RocAuc(absl::Span<const double> score, absl::Span<const bool> positive) {
  const size_t n = score.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double rank_sum = 0, npos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && score[order[j]] == score[order[i]]) ++j;
    const double avg_rank = (i + 1 + j) / 2.0;  // Ranks i+1 .. j, averaged.
    for (size_t k = i; k < j; ++k) {
      if (positive[order[k]]) {
        rank_sum += avg_rank;
        npos += 1;
      }
    }
    i = j;
  }
  const double nneg = static_cast<double>(n) - npos;
  if (npos == 0 || nneg == 0) return 0.5;
  return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
}

double HighRecallThreshold(absl::Span<const double> score,
                           absl::Span<const bool> positive, double min_recall) {
  std::vector<double> pos;
  for (size_t i = 0; i < score.size(); ++i) {
    if (positive[i]) pos.push_back(score[i]);
  }
  if (pos.empty()) return 1.0;
  std::sort(pos.begin(), pos.end(), std::greater<double>());
  // Keep the top ceil(min_recall * |pos|) positives above the threshold.
  size_t need = static_cast<size_t>(std::ceil(min_recall * pos.size() - 1e-9));
  need = std::clamp<size_t>(need, 1, pos.size());
  return pos[need - 1];
}

double HighPrecisionThreshold(absl::Span<const double> score,
                              absl::Span<const bool> positive,
                              double min_precision) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  double tp = 0, seen = 0, best = std::numeric_limits<double>::quiet_NaN();
  for (size_t k = 0; k < order.size();) {
    size_t j = k;
    while (j < order.size() && score[order[j]] == score[order[k]]) {
      tp += positive[order[j]] ? 1 : 0;
      seen += 1;
      ++j;
    }
    if (tp / seen >= min_precision) best = score[order[k]];
    k = j;
  }
  return best;
}

feedgov::v1::EvalResult Evaluate(
    const std::string& part,
    const google::protobuf::RepeatedPtrField<feedgov::v1::LabelerClass>& classes,
    const Predictions& p, const feedgov::v1::EvalResult* thresholds_from) {
  feedgov::v1::EvalResult r;
  const int64_t n = static_cast<int64_t>(p.truth.size());
  const int nc = classes.size();
  r.set_part(part);
  r.set_n(n);
  std::vector<int64_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  r.set_accuracy(Accuracy(p, all));
  Interval acc = BootstrapInterval(n, [&](absl::Span<const int64_t> s) { return Accuracy(p, s); });
  r.set_accuracy_low(acc.low);
  r.set_accuracy_high(acc.high);
  r.set_ece(TopLabelEce(p, all));
  Interval ece = BootstrapInterval(n, [&](absl::Span<const int64_t> s) { return TopLabelEce(p, s); });
  r.set_ece_low(ece.low);
  r.set_ece_high(ece.high);
  double f1_sum = 0, auc_sum = 0;
  int first_labelled = -1;
  for (int c = 0; c < nc; ++c) {
    Counts k = CountClass(p, c, all);
    std::vector<double> score(n);
    std::unique_ptr<bool[]> pos(new bool[n]);
    for (int64_t i = 0; i < n; ++i) {
      score[i] = p.prob[i][c];
      pos[i] = p.truth[i] == c;
    }
    absl::Span<const bool> positive(pos.get(), n);
    feedgov::v1::ClassMetrics* m = r.add_class_();
    m->set_name(classes[c].name());
    m->set_label(classes[c].label());
    m->set_support(static_cast<int64_t>(k.tp + k.fn));
    m->set_precision(k.Precision());
    m->set_recall(k.Recall());
    m->set_f1(k.F1());
    Interval f1 = BootstrapInterval(
        n, [&](absl::Span<const int64_t> s) { return CountClass(p, c, s).F1(); }, 1000, 7 + c);
    m->set_f1_low(f1.low);
    m->set_f1_high(f1.high);
    m->set_roc_auc(RocAuc(score, positive));
    m->set_ece(ExpectedCalibrationError(score, positive));
    const double hr = thresholds_from != nullptr && c < thresholds_from->class__size()
                          ? thresholds_from->class_(c).high_recall_threshold()
                          : HighRecallThreshold(score, positive, 0.95);
    const double hp = thresholds_from != nullptr && c < thresholds_from->class__size()
                          ? thresholds_from->class_(c).high_precision_threshold()
                          : HighPrecisionThreshold(score, positive, 0.95);
    m->set_high_recall_threshold(hr);
    m->set_high_precision_threshold(hp);
    Counts at_hr, at_hp;
    for (int64_t i = 0; i < n; ++i) {
      const bool t = positive[i];
      if (score[i] >= hr) (t ? at_hr.tp : at_hr.fp) += 1; else if (t) at_hr.fn += 1;
      if (score[i] >= hp) (t ? at_hp.tp : at_hp.fp) += 1; else if (t) at_hp.fn += 1;
    }
    m->set_recall_at_high_recall(at_hr.Recall());
    m->set_precision_at_high_precision(std::isnan(hp) ? hp : at_hp.Precision());
    f1_sum += k.F1();
    auc_sum += m->roc_auc();
    if (first_labelled < 0 && !classes[c].label().empty()) first_labelled = c;
  }
  r.set_macro_f1(nc > 0 ? f1_sum / nc : 0);
  if (nc == 2 && first_labelled >= 0) {
    r.set_roc_auc(r.class_(first_labelled).roc_auc());
  } else {
    r.set_roc_auc(nc > 0 ? auc_sum / nc : 0.5);
  }
  return r;
}

}  // namespace feedgov
