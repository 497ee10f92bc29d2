#include "engine/governance/verdict.h"

#include <cmath>

#include "absl/strings/str_cat.h"

#include "engine/common/reasons.h"

namespace feedgov {
namespace {

bool Evaluable(const Taxonomy* taxonomy, const Label& label) {
  if (!(label.confidence >= 0.0f && label.confidence <= 1.0f)) return false;
  return taxonomy != nullptr && taxonomy->IndexOf(label.name) >= 0;
}

// True when `l` is overridden: it is not a reviewer's label and the item
// has a reviewer's label of the same name. `any_reviewer`: whether `labels`
// holds a reviewer label at all (the common case of none is one test).
bool Overridden(absl::Span<const Label> labels, const Label& l,
                bool any_reviewer) {
  if (!any_reviewer || l.source == LabelSource::kReviewer) return false;
  for (const Label& o : labels) {
    if (o.source == LabelSource::kReviewer && o.name == l.name) return true;
  }
  return false;
}

// The threshold `l` is held to by a rule with `action` (verdict.h): the
// machine-label entry's for a kModel label that has one, else `threshold`
// (the rule's, or the pack's positive_threshold).
float ThresholdOf(const PolicyPack& pack, const Label& l, RuleAction action,
                  float threshold) {
  if (l.source != LabelSource::kModel) return threshold;
  const MachineLabelThresholds* m = pack.MachineLabelFor(l.name);
  return m != nullptr ? m->ThresholdFor(action) : threshold;
}

// First label (in item order) that fires `rule`, or null. A DROP rule
// without drop_on_machine_label skips machine labels; the first one it
// would have fired on is stored in `*held` (when `held` is not null).
const Label* Fires(const PolicyPack& pack, const Rule& rule,
                   absl::Span<const Label> labels, bool any_reviewer,
                   const Label** held) {
  const bool skips_machine =
      rule.action == RuleAction::kDrop && !rule.drop_on_machine_label;
  for (const Label& l : labels) {
    if (!rule.Matches(l.name) || Overridden(labels, l, any_reviewer)) continue;
    if (!(l.confidence >= ThresholdOf(pack, l, rule.action, rule.threshold))) {
      continue;
    }
    if (skips_machine && l.source == LabelSource::kModel) {
      if (held != nullptr && *held == nullptr) *held = &l;
      continue;
    }
    return &l;
  }
  return nullptr;
}

void ApplyRule(const Rule& rule, const Label& label, ItemVerdict& v) {
  switch (rule.action) {
    case RuleAction::kDrop:
      if (!v.dropped) v.dropped_by = label.name;
      v.dropped = true;
      break;
    case RuleAction::kKeepOutOfKeySlots:
      if (v.key_slot_allowed) v.kept_out_by = label.name;
      v.key_slot_allowed = false;
      break;
    case RuleAction::kDownrank:
      v.score_factor *= rule.factor;
      v.reasons |= kDownranked;
      break;
    case RuleAction::kBoost:
      v.score_factor *= rule.factor;
      v.reasons |= kPositiveBoost;
      break;
  }
}

void ApplyUnlabeledPolicy(const Surface& surface,
                          absl::Span<const Label> labels, ItemVerdict& v) {
  if (!v.key_slot_allowed) return;
  if (surface.unlabeled == UnlabeledInKeySlot::kRequireReviewed) {
    for (const Label& l : labels) {
      if (l.source == LabelSource::kReviewer) return;
    }
    v.key_slot_allowed = false;
    v.kept_out_by = kKeptOutUnreviewed;
  } else if (surface.unlabeled == UnlabeledInKeySlot::kDenyUnlabeled &&
             labels.empty()) {
    v.key_slot_allowed = false;
    v.kept_out_by = kKeptOutUnlabeled;
  }
}

bool IsPositive(const PolicyPack& pack, absl::Span<const Label> labels,
                bool any_reviewer) {
  for (const Label& l : labels) {
    const TaxonomyEntry* e = pack.taxonomy->Find(l.name);
    if (e == nullptr || e->label_class != LabelClass::kPositive) continue;
    if (Overridden(labels, l, any_reviewer)) continue;
    // The positive test is not a key-slot decision: a machine label is held
    // to its elsewhere threshold (any action but KEEP_OUT selects it).
    if (l.confidence >= ThresholdOf(pack, l, RuleAction::kBoost,
                                    pack.positive_threshold)) {
      return true;
    }
  }
  return false;
}

ItemVerdict Evaluate(const PolicyPack& pack, const Surface& surface,
                     absl::Span<const Rule* const> rules,
                     absl::Span<const Label> labels) {
  ItemVerdict v;
  for (const Label& l : labels) {
    if (!Evaluable(pack.taxonomy.get(), l)) {
      v.dropped = true;
      v.label_error = true;
      v.dropped_by = l.name;
      v.key_slot_allowed = false;
      return v;
    }
  }
  bool any_reviewer = false;
  for (const Label& l : labels) any_reviewer |= l.source == LabelSource::kReviewer;
  const Label* held = nullptr;
  for (const Rule* rule : rules) {
    if (const Label* l = Fires(pack, *rule, labels, any_reviewer, &held)) {
      ApplyRule(*rule, *l, v);
    }
  }
  ApplyUnlabeledPolicy(surface, labels, v);
  v.positive = IsPositive(pack, labels, any_reviewer);
  if (v.dropped) {
    v.key_slot_allowed = false;
    v.positive = false;
  } else if (held != nullptr) {
    v.awaiting_review = held->name;
  }
  return v;
}

}  // namespace

ItemVerdict EvaluateItem(const PolicyPack& pack, const Surface& surface,
                         Audience audience, absl::Span<const Label> labels) {
  std::vector<const Rule*> rules = pack.RulesFor(surface, audience);
  return Evaluate(pack, surface, rules, labels);
}

std::shared_ptr<const GovernanceView> GovernanceView::Build(
    const PolicyPack& pack, const Surface& surface, Audience audience,
    int32_t num_rows,
    absl::FunctionRef<absl::Span<const Label>(Row)> labels_of) {
  std::shared_ptr<GovernanceView> view(new GovernanceView());
  GovernanceView& g = *view;
  g.pack_id_ = pack.id;
  g.pack_version_ = pack.version;
  g.surface_id_ = surface.id;
  g.audience_ = audience;
  g.servable_ = RowSet(num_rows);
  g.key_allowed_ = RowSet(num_rows);
  g.positive_ = RowSet(num_rows);
  g.positive_key_ = RowSet(num_rows);
  g.label_error_ = RowSet(num_rows);
  g.boosted_ = RowSet(num_rows);
  g.factor_ = ChunkedArray<float>(num_rows, 1.0f);
  g.reasons_ = ChunkedArray<uint32_t>(num_rows, 0);
  g.dropped_by_ = ChunkedArray<int32_t>(num_rows, -1);
  g.kept_out_by_ = ChunkedArray<int32_t>(num_rows, -1);
  g.awaiting_review_ = ChunkedArray<int32_t>(num_rows, -1);
  g.counters_.rows = num_rows;
  const std::vector<const Rule*> rules = pack.RulesFor(surface, audience);
  for (Row row = 0; row < num_rows; ++row) {
    ItemVerdict v = Evaluate(pack, surface, rules, labels_of(row));
    g.Store(row, v);
    g.Account(v, +1);
  }
  return view;
}

absl::StatusOr<std::shared_ptr<const GovernanceView>>
GovernanceView::WithUpdatedRows(
    const GovernanceView& base, const PolicyPack& pack, const Surface& surface,
    Audience audience, absl::Span<const Row> changed,
    absl::FunctionRef<absl::Span<const Label>(Row)> labels_of) {
  if (base.pack_id_ != pack.id || base.pack_version_ != pack.version ||
      base.surface_id_ != surface.id || base.audience_ != audience) {
    return absl::FailedPreconditionError(absl::StrCat(
        "governance view of pack '", base.pack_id_, "' v", base.pack_version_,
        " surface '", base.surface_id_, "' audience ",
        static_cast<int>(base.audience_), " cannot be updated for pack '",
        pack.id, "' v", pack.version, " surface '", surface.id, "' audience ",
        static_cast<int>(audience)));
  }
  for (Row row : changed) {
    if (row < 0 || row >= base.num_rows()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "changed row ", row, " outside [0, ", base.num_rows(), ")"));
    }
  }
  std::shared_ptr<GovernanceView> view(new GovernanceView(base));
  const std::vector<const Rule*> rules = pack.RulesFor(surface, audience);
  for (Row row : changed) {
    view->Account(view->verdict(row), -1);
    ItemVerdict v = Evaluate(pack, surface, rules, labels_of(row));
    view->Store(row, v);
    view->Account(v, +1);
  }
  return std::shared_ptr<const GovernanceView>(std::move(view));
}

void GovernanceView::Store(Row row, const ItemVerdict& v) {
  SetFactor(row, v.score_factor);
  reasons_.Set(row, v.reasons);
  dropped_by_.Set(row, v.dropped_by.empty() ? -1 : Intern(v.dropped_by));
  kept_out_by_.Set(row, v.kept_out_by.empty() ? -1 : Intern(v.kept_out_by));
  awaiting_review_.Set(
      row, v.awaiting_review.empty() ? -1 : Intern(v.awaiting_review));
  auto set = [row](RowSet& s, bool on) {
    if (on) {
      s.insert(row);
    } else {
      s.erase(row);
    }
  };
  set(label_error_, v.label_error);
  set(servable_, !v.dropped);
  set(key_allowed_, !v.dropped && v.key_slot_allowed);
  set(positive_, !v.dropped && v.positive);
  set(positive_key_, !v.dropped && v.positive && v.key_slot_allowed);
}

void GovernanceView::SetFactor(Row row, float factor) {
  const float old = factor_[row];
  if (old > 1.0f) {
    auto it = boost_factors_.find(old);
    if (--it->second == 0) boost_factors_.erase(it);
    boosted_.erase(row);
  }
  if (factor > 1.0f) {
    ++boost_factors_[factor];
    boosted_.insert(row);
  }
  factor_.Set(row, factor);
}

void GovernanceView::Account(const ItemVerdict& v, int sign) {
  Counters& c = counters_;
  auto bump = [sign](std::map<std::string, int32_t>& m, const std::string& k) {
    auto it = m.try_emplace(k, 0).first;
    it->second += sign;
    if (it->second == 0) m.erase(it);
  };
  if (v.label_error) c.label_errors += sign;
  if (v.dropped) {
    c.dropped += sign;
    bump(c.dropped_by_label, v.dropped_by);
    return;
  }
  if (!v.key_slot_allowed) {
    c.kept_out_of_key_slots += sign;
    bump(c.kept_out_by_label, v.kept_out_by);
  }
  if (v.positive) {
    c.positive += sign;
    if (v.key_slot_allowed) c.positive_key_slot_allowed += sign;
  }
  if (v.reasons & kDownranked) c.downranked += sign;
  if (v.reasons & kPositiveBoost) c.boosted += sign;
  if (!v.awaiting_review.empty()) {
    c.awaiting_review += sign;
    bump(c.awaiting_review_by_label, v.awaiting_review);
  }
}

int32_t GovernanceView::Intern(const std::string& name) {
  auto [it, inserted] =
      name_index_.try_emplace(name, static_cast<int32_t>(names_.size()));
  if (inserted) names_.push_back(name);
  return it->second;
}

ItemVerdict GovernanceView::verdict(Row row) const {
  ItemVerdict v;
  v.dropped = !servable_.contains(row);
  v.key_slot_allowed = key_allowed_.contains(row);
  v.positive = positive_.contains(row);
  v.score_factor = factor_[row];
  v.reasons = reasons_[row];
  if (dropped_by_[row] >= 0) v.dropped_by = names_[dropped_by_[row]];
  if (kept_out_by_[row] >= 0) v.kept_out_by = names_[kept_out_by_[row]];
  if (awaiting_review_[row] >= 0) {
    v.awaiting_review = names_[awaiting_review_[row]];
  }
  v.label_error = label_error_.contains(row);
  return v;
}

}  // namespace feedgov
