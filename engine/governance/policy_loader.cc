#include "engine/governance/policy_loader.h"

#include "engine/governance/lint.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/governance/text_proto.h"
#include "feedgov/v1/policy.pb.h"

namespace feedgov {
namespace {

using governance_internal::ErrorAt;
using governance_internal::FieldLine;
using governance_internal::NestedTree;
using governance_internal::ParseInfoTree;
namespace pb = ::feedgov::v1;

bool IdChars(absl::string_view id, bool allow_dash) {
  if (id.empty()) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              (allow_dash && c == '-');
    if (!ok) return false;
  }
  return true;
}

std::optional<SurfaceKind> KindFrom(pb::SurfaceKind k) {
  switch (k) {
    case pb::SURFACE_KIND_FEED: return SurfaceKind::kFeed;
    case pb::SURFACE_KIND_FIRST_SCREEN: return SurfaceKind::kFirstScreen;
    case pb::SURFACE_KIND_HOT_LIST: return SurfaceKind::kHotList;
    case pb::SURFACE_KIND_POPUP: return SurfaceKind::kPopup;
    case pb::SURFACE_KIND_HOT_SEARCH: return SurfaceKind::kHotSearch;
    case pb::SURFACE_KIND_FEATURED: return SurfaceKind::kFeatured;
    case pb::SURFACE_KIND_RECOMMENDATION_AREA:
      return SurfaceKind::kRecommendationArea;
    case pb::SURFACE_KIND_MINORS_ZONE: return SurfaceKind::kMinorsZone;
    case pb::SURFACE_KIND_DISCOVER: return SurfaceKind::kDiscover;
    case pb::SURFACE_KIND_DEFAULT_SEARCH: return SurfaceKind::kDefaultSearch;
    case pb::SURFACE_KIND_OTHER_PROMINENT: return SurfaceKind::kOtherProminent;
    default: return std::nullopt;
  }
}

std::optional<RuleAction> ActionFrom(pb::RuleAction a) {
  switch (a) {
    case pb::RULE_ACTION_DROP: return RuleAction::kDrop;
    case pb::RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS:
      return RuleAction::kKeepOutOfKeySlots;
    case pb::RULE_ACTION_DOWNRANK: return RuleAction::kDownrank;
    case pb::RULE_ACTION_BOOST: return RuleAction::kBoost;
    default: return std::nullopt;
  }
}

UnlabeledInKeySlot UnlabeledFrom(pb::UnlabeledInKeySlot u) {
  switch (u) {
    case pb::UNLABELED_IN_KEY_SLOT_REQUIRE_REVIEWED:
      return UnlabeledInKeySlot::kRequireReviewed;
    case pb::UNLABELED_IN_KEY_SLOT_DENY_UNLABELED:
      return UnlabeledInKeySlot::kDenyUnlabeled;
    default: return UnlabeledInKeySlot::kAllow;
  }
}

bool ScopesOverlap(const Rule& a, const Rule& b) {
  if (a.surfaces.empty() || b.surfaces.empty()) return true;
  for (const std::string& s : a.surfaces) {
    if (b.AppliesTo(s)) return true;
  }
  return false;
}

// Validates one pack proto. Each method returns the first error found.
class PackValidator {
 public:
  PackValidator(const std::string& path, const Taxonomy& taxonomy,
                const pb::PolicyPack& proto, const ParseInfoTree* tree)
      : path_(path), taxonomy_(taxonomy), proto_(proto), tree_(tree) {}

  absl::StatusOr<std::shared_ptr<const PolicyPack>> Run() {
    auto pack = std::make_shared<PolicyPack>();
    FEEDGOV_RETURN_IF_ERROR(Header(*pack));
    for (int i = 0; i < proto_.surface_size(); ++i) {
      FEEDGOV_ASSIGN_OR_RETURN(Surface s, MakeSurface(i));
      pack->surfaces.push_back(std::move(s));
    }
    for (int i = 0; i < proto_.rule_size(); ++i) {
      FEEDGOV_ASSIGN_OR_RETURN(
          Rule r, MakeRule(proto_.rule(i), FieldLine(tree_, proto_, "rule", i, 1),
                           NestedTree(tree_, proto_, "rule", i),
                           absl::StrCat("rule ", i + 1), *pack));
      pack->rules.push_back(std::move(r));
    }
    FEEDGOV_RETURN_IF_ERROR(CheckConflicts(pack->rules, ""));
    for (int i = 0; i < proto_.audience_size(); ++i) {
      FEEDGOV_RETURN_IF_ERROR(MakeAudience(i, *pack));
    }
    for (int i = 0; i < proto_.machine_label_size(); ++i) {
      FEEDGOV_ASSIGN_OR_RETURN(MachineLabelThresholds m,
                               MakeMachineLabel(i, *pack));
      pack->machine_labels.push_back(std::move(m));
    }
    pack->taxonomy = std::make_shared<const Taxonomy>(taxonomy_);
    return std::shared_ptr<const PolicyPack>(std::move(pack));
  }

 private:
  int Line(const google::protobuf::Message& msg, const ParseInfoTree* tree,
           absl::string_view field, int index, int fallback) const {
    return FieldLine(tree, msg, field, index, fallback);
  }

  absl::Status Header(PolicyPack& pack) {
    if (!IdChars(proto_.id(), /*allow_dash=*/true)) {
      return ErrorAt(path_, Line(proto_, tree_, "id", -1, 1),
                     absl::StrCat("pack id '", proto_.id(),
                                  "' must be non-empty [a-z0-9_-]"));
    }
    if (proto_.version() < 1) {
      return ErrorAt(path_, Line(proto_, tree_, "version", -1, 1),
                     absl::StrCat("version ", proto_.version(),
                                  " must be >= 1"));
    }
    if (proto_.has_positive_threshold()) {
      float t = proto_.positive_threshold();
      if (!(t >= 0.0f && t <= 1.0f)) {
        return ErrorAt(path_, Line(proto_, tree_, "positive_threshold", -1, 1),
                       absl::StrCat("positive_threshold ", t,
                                    " outside [0, 1]"));
      }
      pack.positive_threshold = t;
    }
    if (proto_.surface_size() == 0) {
      return ErrorAt(path_, 1, "pack declares no surface");
    }
    pack.id = proto_.id();
    pack.version = proto_.version();
    pack.description = proto_.description();
    pack.jurisdiction = proto_.jurisdiction();
    pack.requires_non_profiling_option =
        proto_.requires_non_profiling_option();
    pack.source_path = path_;
    return absl::OkStatus();
  }

  absl::StatusOr<Surface> MakeSurface(int i) {
    const pb::Surface& sp = proto_.surface(i);
    const ParseInfoTree* t = NestedTree(tree_, proto_, "surface", i);
    const int line = Line(proto_, tree_, "surface", i, 1);
    const std::string where = absl::StrCat("surface ", i + 1, " '", sp.id(), "'");
    auto err = [&](int l, absl::string_view what) {
      return ErrorAt(path_, l, absl::StrCat(where, ": ", what));
    };
    if (!IdChars(sp.id(), /*allow_dash=*/false)) {
      return err(line, "id must be non-empty [a-z0-9_]");
    }
    if (!surface_ids_.insert(sp.id()).second) {
      return err(line, "duplicate surface id");
    }
    std::optional<SurfaceKind> kind = KindFrom(sp.kind());
    if (!kind) return err(line, "kind missing");
    Surface s;
    s.id = sp.id();
    s.kind = *kind;
    s.description = sp.description();
    s.all_key_slots = sp.all_key_slots();
    s.unlabeled = UnlabeledFrom(sp.unlabeled_in_key_slot());
    if (sp.first_n_key_slots() < 0 || sp.first_n_key_slots() > kMaxPageSize) {
      return err(Line(sp, t, "first_n_key_slots", -1, line),
                 absl::StrCat("first_n_key_slots ", sp.first_n_key_slots(),
                              " outside [0, ", kMaxPageSize, "]"));
    }
    s.first_n_key_slots = sp.first_n_key_slots();
    std::set<int> seen;
    for (int k = 0; k < sp.key_slot_size(); ++k) {
      int p = sp.key_slot(k);
      int l = Line(sp, t, "key_slot", k, line);
      if (p < 0 || p >= kMaxPageSize) {
        return err(l, absl::StrCat("key_slot ", p, " outside [0, ",
                                   kMaxPageSize, ") (page-size limit)"));
      }
      if (!seen.insert(p).second || p < s.first_n_key_slots) {
        return err(l, absl::StrCat("key_slot ", p, " is duplicated"));
      }
    }
    s.listed_key_slots.assign(seen.begin(), seen.end());
    if (s.kind != SurfaceKind::kFeed && !s.has_key_slots()) {
      return err(line, absl::StrCat("kind ", SurfaceKindName(s.kind),
                                    " is a key link but declares no key slots"));
    }
    FEEDGOV_RETURN_IF_ERROR(Quota(sp, t, line, where, s));
    return s;
  }

  absl::Status Quota(const pb::Surface& sp, const ParseInfoTree* t, int line,
                     const std::string& where, Surface& s) {
    if (!sp.has_positive_quota()) return absl::OkStatus();
    const pb::PositiveQuota& q = sp.positive_quota();
    const ParseInfoTree* qt = NestedTree(t, sp, "positive_quota", -1);
    const int l = Line(sp, t, "positive_quota", -1, line);
    const int n = q.min_positive();
    const int k = q.within_first_key_slots();
    auto err = [&](absl::string_view what) {
      return ErrorAt(path_, Line(q, qt, "min_positive", -1, l),
                     absl::StrCat(where, ": positive_quota: ", what));
    };
    if (n < 0 || k < 0) return err("min_positive and within_first_key_slots must be >= 0");
    if (n > k) {
      return err(absl::StrCat("min_positive ", n,
                              " exceeds within_first_key_slots ", k));
    }
    const int slots = s.num_key_slots();
    if (k > kMaxPageSize || (slots >= 0 && k > slots)) {
      return err(absl::StrCat("within_first_key_slots ", k,
                              " exceeds the surface's ",
                              slots >= 0 ? slots : kMaxPageSize,
                              " key slots"));
    }
    s.quota = PositiveQuota{n, k};
    return absl::OkStatus();
  }

  // `line`: where the rule starts; `t`: its location tree (may be null).
  absl::StatusOr<Rule> MakeRule(const pb::Rule& rp, int line,
                                const ParseInfoTree* t, const std::string& where,
                                const PolicyPack& pack) {
    auto err = [&](int l, absl::string_view what) {
      return ErrorAt(path_, l, absl::StrCat(where, ": ", what));
    };
    Rule r;
    r.line = line;
    r.label = rp.label();
    r.note = rp.note();
    const int label_line = Line(rp, t, "label", -1, line);
    std::vector<int> matched = taxonomy_.Match(rp.label());
    if (rp.label().empty()) return err(line, "label missing");
    if (matched.empty()) {
      return err(label_line, absl::StrCat("label '", rp.label(),
                                          "' matches no taxonomy label"));
    }
    std::optional<RuleAction> action = ActionFrom(rp.action());
    if (!action) return err(line, "action missing");
    r.action = *action;
    if (!rp.has_threshold()) return err(line, "threshold missing");
    const float th = rp.threshold();
    if (!(th >= 0.0f && th <= 1.0f)) {
      return err(Line(rp, t, "threshold", -1, line),
                 absl::StrCat("threshold ", th, " outside [0, 1]"));
    }
    r.threshold = th;
    FEEDGOV_RETURN_IF_ERROR(Factor(rp, t, line, where, r));
    if (rp.drop_on_machine_label() && r.action != RuleAction::kDrop) {
      return err(Line(rp, t, "drop_on_machine_label", -1, line),
                 absl::StrCat("drop_on_machine_label is only for DROP rules, "
                              "not ", RuleActionName(r.action)));
    }
    r.drop_on_machine_label = rp.drop_on_machine_label();
    for (int k = 0; k < rp.surface_size(); ++k) {
      if (pack.FindSurface(rp.surface(k)) == nullptr) {
        return err(Line(rp, t, "surface", k, line),
                   absl::StrCat("unknown surface '", rp.surface(k), "'"));
      }
      r.surfaces.push_back(rp.surface(k));
    }
    // Contradiction by class: boosting restricted content, or restricting
    // positive content.
    for (int idx : matched) {
      const TaxonomyEntry& e = taxonomy_.entries()[idx];
      bool positive = e.label_class == LabelClass::kPositive;
      bool boost = r.action == RuleAction::kBoost;
      if (positive != boost) {
        return err(label_line,
                   absl::StrCat(RuleActionName(r.action), " on '", rp.label(),
                                "' contradicts the label class ",
                                LabelClassName(e.label_class), " of '", e.name,
                                "' (BOOST applies only to positive labels; "
                                "DROP, KEEP_OUT_OF_KEY_SLOTS and DOWNRANK only "
                                "to illegal and bad labels)"));
      }
    }
    return r;
  }

  absl::Status Factor(const pb::Rule& rp, const ParseInfoTree* t, int line,
                      const std::string& where, Rule& r) {
    const int l = Line(rp, t, "factor", -1, line);
    auto err = [&](absl::string_view what) {
      return ErrorAt(path_, l, absl::StrCat(where, ": ", what));
    };
    const bool scales =
        r.action == RuleAction::kDownrank || r.action == RuleAction::kBoost;
    if (!scales) {
      if (rp.has_factor()) {
        return err(absl::StrCat("factor is not allowed for ",
                                RuleActionName(r.action)));
      }
      r.factor = 1.0f;
      return absl::OkStatus();
    }
    if (!rp.has_factor()) {
      return err(absl::StrCat("factor missing for ", RuleActionName(r.action)));
    }
    const float f = rp.factor();
    if (!(f > 0.0f) || !std::isfinite(f)) {
      return err(absl::StrCat("factor ", f, " must be > 0"));
    }
    if (r.action == RuleAction::kDownrank && !(f < 1.0f)) {
      return err(absl::StrCat("DOWNRANK factor ", f, " must be < 1"));
    }
    if (r.action == RuleAction::kBoost && !(f > 1.0f)) {
      return err(absl::StrCat("BOOST factor ", f, " must be > 1"));
    }
    r.factor = f;
    return absl::OkStatus();
  }

  // Same action, overlapping labels and scopes within one rule list.
  absl::Status CheckConflicts(const std::vector<Rule>& rules,
                              absl::string_view prefix) {
    for (size_t b = 0; b < rules.size(); ++b) {
      for (size_t a = 0; a < b; ++a) {
        if (rules[a].action != rules[b].action) continue;
        if (!ScopesOverlap(rules[a], rules[b])) continue;
        if (!LabelsOverlap(rules[a].label, rules[b].label)) continue;
        return ErrorAt(
            path_, rules[b].line,
            absl::StrCat(prefix, "rule ", b + 1, ": ",
                         RuleActionName(rules[b].action), " on '",
                         rules[b].label, "' overlaps ", prefix, "rule ", a + 1,
                         " (", RuleActionName(rules[a].action), " on '",
                         rules[a].label,
                         "'); merge them or scope them to different surfaces"));
      }
    }
    return absl::OkStatus();
  }

  bool LabelsOverlap(absl::string_view p, absl::string_view q) const {
    std::vector<int> a = taxonomy_.Match(p);
    std::vector<int> b = taxonomy_.Match(q);
    for (int x : a) {
      if (std::find(b.begin(), b.end(), x) != b.end()) return true;
    }
    return false;
  }

  absl::Status MakeAudience(int i, PolicyPack& pack) {
    const pb::Audience& ap = proto_.audience(i);
    const ParseInfoTree* t = NestedTree(tree_, proto_, "audience", i);
    const int line = Line(proto_, tree_, "audience", i, 1);
    const std::string where = absl::StrCat("audience ", i + 1);
    if (ap.kind() != pb::AUDIENCE_KIND_MINORS) {
      return ErrorAt(path_, line, absl::StrCat(where, ": kind missing"));
    }
    if (pack.minors.has_value()) {
      return ErrorAt(path_, line,
                     absl::StrCat(where, ": AUDIENCE_KIND_MINORS repeated"));
    }
    AudienceRules aud;
    aud.audience = Audience::kMinors;
    aud.description = ap.description();
    for (int k = 0; k < ap.allowed_surface_size(); ++k) {
      if (pack.FindSurface(ap.allowed_surface(k)) == nullptr) {
        return ErrorAt(path_, Line(ap, t, "allowed_surface", k, line),
                       absl::StrCat(where, ": unknown allowed_surface '",
                                    ap.allowed_surface(k), "'"));
      }
      aud.allowed_surfaces.push_back(ap.allowed_surface(k));
    }
    for (int k = 0; k < ap.rule_size(); ++k) {
      FEEDGOV_ASSIGN_OR_RETURN(
          Rule r, MakeRule(ap.rule(k), Line(ap, t, "rule", k, line),
                           NestedTree(t, ap, "rule", k),
                           absl::StrCat(where, " rule ", k + 1), pack));
      aud.rules.push_back(std::move(r));
    }
    FEEDGOV_RETURN_IF_ERROR(
        CheckConflicts(aud.rules, absl::StrCat(where, " ")));
    pack.minors = std::move(aud);
    return absl::OkStatus();
  }

  // machine_label `i`: a known label pattern not wholly matched by earlier
  // entries (first match wins, so it would never apply), both thresholds
  // set, in [0, 1] and key_slot_threshold <= elsewhere_threshold.
  absl::StatusOr<MachineLabelThresholds> MakeMachineLabel(
      int i, const PolicyPack& pack) {
    const pb::MachineLabel& mp = proto_.machine_label(i);
    const ParseInfoTree* t = NestedTree(tree_, proto_, "machine_label", i);
    const int line = Line(proto_, tree_, "machine_label", i, 1);
    const std::string where = absl::StrCat("machine_label ", i + 1);
    auto err = [&](int l, absl::string_view what) {
      return ErrorAt(path_, l, absl::StrCat(where, ": ", what));
    };
    MachineLabelThresholds m;
    m.label = mp.label();
    m.note = mp.note();
    m.line = line;
    if (mp.label().empty()) return err(line, "label missing");
    const int label_line = Line(mp, t, "label", -1, line);
    const std::vector<int> matched = taxonomy_.Match(mp.label());
    if (matched.empty()) {
      return err(label_line, absl::StrCat("label '", mp.label(),
                                          "' matches no taxonomy label"));
    }
    const MachineLabelThresholds* earlier = nullptr;
    for (int idx : matched) {
      earlier = pack.MachineLabelFor(taxonomy_.entries()[idx].name);
      if (earlier == nullptr) break;
    }
    if (earlier != nullptr) {
      return err(label_line,
                 absl::StrCat("label '", mp.label(), "' is already decided by "
                              "the entry for '", earlier->label, "' on line ",
                              earlier->line,
                              " (the first matching entry applies): remove "
                              "it or move it before that entry"));
    }
    auto threshold = [&](bool has, float value, absl::string_view field,
                         float& out) -> absl::Status {
      if (!has) return err(line, absl::StrCat(field, " missing"));
      if (!(value >= 0.0f && value <= 1.0f)) {
        return err(Line(mp, t, field, -1, line),
                   absl::StrCat(field, " ", value, " outside [0, 1]"));
      }
      out = value;
      return absl::OkStatus();
    };
    FEEDGOV_RETURN_IF_ERROR(threshold(mp.has_key_slot_threshold(),
                                      mp.key_slot_threshold(),
                                      "key_slot_threshold",
                                      m.key_slot_threshold));
    FEEDGOV_RETURN_IF_ERROR(threshold(mp.has_elsewhere_threshold(),
                                      mp.elsewhere_threshold(),
                                      "elsewhere_threshold",
                                      m.elsewhere_threshold));
    if (m.key_slot_threshold > m.elsewhere_threshold) {
      return err(Line(mp, t, "key_slot_threshold", -1, line),
                 absl::StrCat("key_slot_threshold ", m.key_slot_threshold,
                              " exceeds elsewhere_threshold ",
                              m.elsewhere_threshold,
                              " (key slots take the high-recall, lower "
                              "threshold)"));
    }
    return m;
  }

  const std::string& path_;
  const Taxonomy& taxonomy_;
  const pb::PolicyPack& proto_;
  const ParseInfoTree* tree_;
  std::set<std::string> surface_ids_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const PolicyPack>> ParsePolicyPack(
    const std::string& path, const std::string& text,
    const Taxonomy& taxonomy) {
  pb::PolicyPack proto;
  ParseInfoTree tree;
  FEEDGOV_RETURN_IF_ERROR(
      governance_internal::ParseTextProto(path, text, &proto, &tree));
  return PackValidator(path, taxonomy, proto, &tree).Run();
}

absl::StatusOr<std::shared_ptr<const PolicyPack>> LoadPolicyPack(
    const std::string& path, const Taxonomy& taxonomy) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParsePolicyPack(path, text, taxonomy);
}

PolicyRegistry::PolicyRegistry(Taxonomy taxonomy)
    : taxonomy_(std::move(taxonomy)) {}

std::shared_ptr<const PolicyPack> PolicyRegistry::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status PolicyRegistry::Reload(const std::string& path) {
  FEEDGOV_ASSIGN_OR_RETURN(std::shared_ptr<const PolicyPack> pack,
                           LoadPolicyPack(path, taxonomy_));
  // A pack that fails lint (an illegal label not dropped somewhere, a CN key
  // link that lets bad content in) is refused like a malformed one.
  FEEDGOV_RETURN_IF_ERROR(CheckPolicyCoverage(*pack));
  Set(std::move(pack));
  return absl::OkStatus();
}

void PolicyRegistry::Set(std::shared_ptr<const PolicyPack> pack) {
  std::shared_ptr<const PolicyPack> old;
  {
    absl::MutexLock lock(&mu_);
    old = std::move(current_);
    current_ = std::move(pack);
  }
  // `old` is released outside the lock.
}

}  // namespace feedgov
