// UserControls::Why and AboutThisFeed (see user_controls.h).
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/common/reasons.h"
#include "engine/common/status_macros.h"
#include "engine/governance/verdict.h"
#include "engine/user/user_controls.h"

namespace feedgov {
namespace {

double Dot(absl::Span<const float> a, absl::Span<const float> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double{a[i]} * b[i];
  return s;
}

std::string OnOff(bool on) { return on ? "on" : "off"; }

std::string RuleBrief(const Rule& r) {
  std::string what;
  switch (r.action) {
    case RuleAction::kDrop:
      what = r.drop_on_machine_label
                 ? "never shown"
                 : "never shown (an automated labeler's label alone: kept "
                   "for a person's review)";
      break;
    case RuleAction::kKeepOutOfKeySlots:
      what = "kept out of prominent (key) slots";
      break;
    case RuleAction::kDownrank:
      what = absl::StrFormat("score x %.2f", r.factor);
      break;
    case RuleAction::kBoost:
      what = absl::StrFormat("score x %.2f", r.factor);
      break;
  }
  return absl::StrFormat("  - %s (confidence >= %.2f): %s%s", r.label,
                         r.threshold, what,
                         r.surfaces.empty()
                             ? ""
                             : absl::StrCat(" on ", absl::StrJoin(r.surfaces, ", ")));
}

}  // namespace

std::string ReasonSentence(uint32_t reasons, bool personalization_off,
                           const std::string& because_title) {
  std::vector<std::string> parts;
  if (reasons & kEditorPin) parts.push_back("Pinned by editors");
  if ((reasons & kPersonalized) && !because_title.empty()) {
    parts.push_back(absl::StrCat("Because you rated ", because_title));
  } else if (reasons & kPersonalized) {
    parts.push_back("Matches the interests in your profile");
  }
  if (reasons & kNonPersonalized) {
    parts.push_back(personalization_off
                        ? "Shown because personalization is off: popular and "
                          "fresh items"
                        : "Popular now");
  }
  if (reasons & (kPositiveQuota | kPositiveBoost)) {
    parts.push_back("Positive content promoted on this page");
  }
  if (reasons & kKeySlotBackfill) {
    parts.push_back("Placed in a prominent slot that only suitable content "
                    "may occupy");
  }
  if (reasons & kEditorBoost) parts.push_back("Promoted by editors");
  if (reasons & kEditorBury) parts.push_back("Lowered by editors");
  if (reasons & kDownranked) parts.push_back("Lowered by the content policy");
  if (reasons & kSeeLess) {
    parts.push_back("Shown lower because you asked to see less like this or "
                    "removed an interest tag");
  }
  if (parts.empty()) parts.push_back("Ranked by the feed's default order");
  return absl::StrCat(absl::StrJoin(parts, "; "), ".");
}

std::string LabelSentence(const Label& label, bool kept_out, bool downranked) {
  std::string who = "An automated labeler";
  if (!label.origin.empty()) absl::StrAppend(&who, " (", label.origin, ")");
  std::string meanwhile;
  if (kept_out && downranked) {
    meanwhile = "keeps it out of prominent slots and shows it lower";
  } else if (kept_out) {
    meanwhile = "keeps it out of prominent slots";
  } else if (downranked) {
    meanwhile = "shows it lower";
  }
  return absl::StrFormat(
      "%s flagged it as %s with probability %.2f; %s.", who, label.name,
      label.confidence,
      meanwhile.empty()
          ? "a person has not reviewed it yet"
          : absl::StrCat("until a person reviews it, the content policy ",
                         meanwhile));
}

absl::StatusOr<Explanation> UserControls::Why(UserId user, ItemId item,
                                              const std::string& surface) const {
  FEEDGOV_RETURN_IF_ERROR(CheckItem(item));
  FEEDGOV_ASSIGN_OR_RETURN(UserSettings settings, store_->Get(user));
  std::string token;
  int seen = 0;
  std::optional<RankedItem> found;
  bool minors = false;  // The audience of the page the item was found on.
  while (seen < options_.why_max_items && !found) {
    int size = std::min(options_.why_page_size, options_.why_max_items - seen);
    // The settings read above, for every page of the re-run (one snapshot
    // of them, whatever the engine's own settings source is).
    RankRequest req;
    req.surface = surface;
    req.user = user;
    req.page_size = size;
    req.page_token = token;
    req.settings_override = settings;
    FEEDGOV_ASSIGN_OR_RETURN(RankResponse page, feed_->Rank(req));
    for (const RankedItem& r : page.items) {
      if (r.item_id == item) {
        found = r;
        minors = page.settings.minors;
      }
    }
    seen += static_cast<int>(page.items.size());
    token = page.next_page_token;
    if (token.empty() || page.items.empty()) break;
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat(
        "item ", item, " is not among the first ", seen, " items of user ",
        user, "'s `", surface, "` feed"));
  }
  const std::shared_ptr<const CatalogState> state = feed_->catalog_state();
  Explanation e;
  e.item = item;
  e.title = found->title;
  e.surface = surface;
  e.position = found->position;
  e.reasons = found->reasons;
  if (found->reasons & kPersonalized) {
    // The rated item (among those shaping the query) closest to the item.
    bool any_removed = false;
    auto target = state->catalog->FindRow(item);
    double best = -2;
    for (const UserInteraction& r :
         feed_->user_stage().QueryRatings(*state, settings, &any_removed)) {
      auto row = state->catalog->FindRow(r.item);
      if (!row || !target) continue;
      double c = Dot(state->catalog->embedding(*row),
                     state->catalog->embedding(*target));
      if (c > best) {
        best = c;
        e.because_of = r.item;
      }
    }
  }
  std::string because_title;
  if (e.because_of) {
    e.reasons |= kSimilarToHistory;
    auto row = state->catalog->FindRow(*e.because_of);
    if (row) because_title = state->catalog->item(*row).title;
  }
  e.reason_names = ReasonNames(e.reasons);
  e.sentence = ReasonSentence(e.reasons, !settings.personalization,
                              because_title);
  e.labels = found->labels;
  // What the pack in force does with the labels on this surface and
  // audience: a machine label it holds for review gets its own sentence.
  const std::shared_ptr<const PolicyPack> pack = feed_->policy();
  const Surface* s = pack != nullptr ? pack->FindSurface(surface) : nullptr;
  if (s != nullptr) {
    const ItemVerdict v = EvaluateItem(
        *pack, *s, minors ? Audience::kMinors : Audience::kGeneral, e.labels);
    e.awaiting_review = v.awaiting_review;
    for (const Label& l : e.labels) {
      if (l.name != v.awaiting_review || l.source != LabelSource::kModel) {
        continue;
      }
      absl::StrAppend(
          &e.sentence, " ",
          LabelSentence(l, !v.key_slot_allowed && s->has_key_slots(),
                        (v.reasons & kDownranked) != 0));
      break;
    }
  }
  return e;
}

absl::StatusOr<std::string> UserControls::AboutThisFeed(UserId user) const {
  FEEDGOV_ASSIGN_OR_RETURN(UserSettings settings, store_->Get(user));
  const ScoringOptions& w = feed_->scoring_options();
  auto pack = feed_->policy();
  const double total =
      w.similarity_weight + w.popularity_weight + w.freshness_weight;
  const double np_total = w.popularity_weight + w.freshness_weight;
  auto pct = [](double x, double t) { return t > 0 ? 100.0 * x / t : 0.0; };
  std::string out;
  absl::StrAppend(&out, "About this feed (user ", user, ")\n\n");
  absl::StrAppend(
      &out, "Personalized recommendation is ",
      OnOff(settings.personalization),
      settings.personalization
          ? ". You can switch it off: you then get the non-personalized "
            "feed, which does not use your profile.\n"
          : ". The non-profiling option is ON: your feed is ranked by "
            "popularity, freshness and the content policy only, the same for "
            "everyone; your history, interest tags and other settings are "
            "not used.\n");
  absl::StrAppend(&out, "\nMain ranking parameters (score = sum of weight x "
                        "feature, each feature in [0, 1]):\n");
  absl::StrAppend(
      &out,
      absl::StrFormat("  - similarity to your profile (ALS embeddings, cosine): "
                      "weight %.2f (%.0f%%)\n",
                      w.similarity_weight, pct(w.similarity_weight, total)),
      absl::StrFormat("  - popularity (ratings, half-life %.0f days): weight "
                      "%.2f (%.0f%%; %.0f%% when personalization is off)\n",
                      w.popularity_half_life_days, w.popularity_weight,
                      pct(w.popularity_weight, total),
                      pct(w.popularity_weight, np_total)),
      absl::StrFormat("  - freshness (half-life %.0f days): weight %.2f "
                      "(%.0f%%; %.0f%% when personalization is off)\n",
                      w.freshness_half_life_days, w.freshness_weight,
                      pct(w.freshness_weight, total),
                      pct(w.freshness_weight, np_total)));
  absl::StrAppend(&out, "  Then the content policy and editors may raise or "
                        "lower an item; your own controls lower items you "
                        "asked to see less of.\n");
  absl::StrAppend(&out, "\nContent policy: ", pack->id, " v", pack->version,
                  " (", pack->description, ")\n");
  for (const Rule& r : pack->rules) absl::StrAppend(&out, RuleBrief(r), "\n");
  if (!pack->machine_labels.empty()) {
    absl::StrAppend(&out, "  Labels from automated labelers (calibrated "
                          "probabilities) use their own thresholds:\n");
    for (const MachineLabelThresholds& m : pack->machine_labels) {
      absl::StrAppend(
          &out, absl::StrFormat("  - %s: kept out of prominent (key) slots "
                                "from %.2f, every other rule from %.2f\n",
                                m.label, m.key_slot_threshold,
                                m.elsewhere_threshold));
    }
  }
  if (pack->minors) {
    absl::StrAppend(&out, "  Minors mode adds ", pack->minors->rules.size(),
                    " stricter rule(s)",
                    pack->minors->allowed_surfaces.empty()
                        ? ""
                        : absl::StrCat(" and limits the feed to: ",
                                       absl::StrJoin(
                                           pack->minors->allowed_surfaces, ", ")),
                    ".\n");
  }
  absl::StrAppend(&out, "\nYour options (feedgov user ...):\n");
  absl::StrAppend(&out, "  - personalization on/off (now ",
                  OnOff(settings.personalization), ")\n");
  absl::StrAppend(&out, "  - minors mode on/off (now ", OnOff(settings.minors),
                  ")\n");
  absl::StrAppend(&out, "  - list, delete or add interest tags (deleted: ",
                  settings.deleted_tags.empty()
                      ? "none"
                      : absl::StrJoin(settings.deleted_tags, ", "),
                  "; added: ",
                  settings.added_tags.empty()
                      ? "none"
                      : absl::StrJoin(settings.added_tags, ", "),
                  ")\n");
  absl::StrAppend(&out, "  - \"not interested\" in an item (",
                  settings.not_interested.size(), " so far), \"see less like "
                  "this\" (", settings.see_less.size(), " so far), mute an "
                  "author (", settings.muted_authors.size(), " so far)\n");
  absl::StrAppend(&out, "  - ask why an item is shown (feedgov user why)\n");
  return out;
}

}  // namespace feedgov
