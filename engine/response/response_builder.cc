#include "engine/response/response_builder.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/reasons.h"
#include "engine/response/page_token.h"

namespace feedgov {
namespace {

RankedItem ItemAt(const SlateSlot& slot, const Catalog& catalog,
                  const LabelTable& labels) {
  const Item& item = catalog.item(slot.item.row);
  RankedItem r;
  r.position = slot.position + 1;
  r.item_id = item.id;
  r.title = item.title;
  r.score = slot.item.score;
  r.reasons = slot.item.reasons;
  r.key_slot = slot.key_slot;
  r.labels = labels.LabelsFor(item.id);
  return r;
}

// Why a page is empty.
std::string EmptyPageText(const PageOutcome& o, int remaining, bool stuck) {
  const std::string& surface = o.surface->id;
  if (o.eligible_count == 0 && o.start == 0) {
    return absl::StrCat(
        "nothing is eligible on surface `", surface,
        "` for this request (every item is dropped by the policy, "
        "suppressed, deleted or excluded by the user's controls): empty "
        "page, end of the feed");
  }
  if (remaining <= 0) {
    return "end of the feed: every eligible item was served on earlier pages";
  }
  if (stuck) {
    return absl::StrCat(
        "no eligible item may be placed on surface `", surface,
        "`: every position is a key slot and the policy keeps the ",
        remaining, " remaining eligible item(s) out of key slots; end of the "
        "feed");
  }
  return "this page holds only key slots and no eligible item may occupy "
         "them; the next page goes on";
}

}  // namespace

RankResponse BuildResponse(PageOutcome outcome, const SlateResult& slate,
                           const std::vector<SlateSlot>& slots,
                           v1::PageTokenState chain,
                           absl::string_view token_key) {
  const Catalog& catalog = *outcome.catalog;
  RankResponse out;
  out.surface = outcome.surface->id;
  out.surface_has_key_slots = outcome.surface->has_key_slots();
  out.personalized = outcome.personalized;
  out.policy_id = outcome.pack->id;
  out.policy_version = outcome.pack->version;
  out.settings = outcome.settings;

  int organic_used = 0;
  // The page's items are scattered over a catalog-sized array: start
  // loading them all before the loop reads them one by one.
  for (const SlateSlot& slot : slots)
    __builtin_prefetch(&catalog.item(slot.item.row));
  for (const SlateSlot& slot : slots) {
    RankedItem r = ItemAt(slot, catalog, *outcome.labels);
    if (r.reasons & kEditorPin) {
      auto it = outcome.pin_ids->find(r.item_id);
      if (it != outcome.pin_ids->end()) r.pin_id = it->second;
      ++out.counters.pins_applied;
    } else {
      ++organic_used;
    }
    chain.add_served_item_ids(r.item_id);
    out.items.push_back(std::move(r));
  }

  GovernanceCounters& c = out.counters;
  for (const auto& [label, n] : outcome.view_counters->dropped_by_label) {
    c.dropped_by_label[label] = n;
  }
  c.label_errors = outcome.view_counters->label_errors;
  c.suppressed = outcome.suppressed;
  c.pins_blocked = outcome.pins_blocked;
  c.kept_out_of_key_slots = slate.kept_out_of_key_slots;
  c.quota_required = slate.quota_required;
  c.quota_met = slate.quota_met;
  c.quota_shortfall = slate.quota_shortfall;
  c.unfilled_key_slots = slate.unfilled_key_slots;
  out.degradations = std::move(outcome.degradations);
  if (slate.quota_shortfall > 0) {
    // Say "filled" only for key slots that were filled with something else.
    int neutral_in_key_slots = 0;
    for (const SlateSlot& slot : slots)
      neutral_in_key_slots += slot.key_slot && !slot.item.positive;
    out.degradations.push_back(absl::StrCat(
        "positive quota short by ", slate.quota_shortfall,
        ": not enough eligible positive items in the catalog",
        neutral_in_key_slots > 0
            ? absl::StrCat("; ", neutral_in_key_slots,
                           " key slot(s) filled with eligible neutral items")
            : ""));
  }
  // An empty page on a surface whose every position is a key slot: what
  // is left is kept out of key slots and can never be placed.
  const int remaining = outcome.eligible_count - organic_used;
  const bool stuck = slots.empty() && outcome.surface->all_key_slots;
  if (slots.empty()) {
    out.degradations.push_back(EmptyPageText(outcome, remaining, stuck));
  }
  if (slate.unfilled_key_slots > 0) {
    out.degradations.push_back(absl::StrCat(
        slate.unfilled_key_slots,
        " key slot(s) left empty: no eligible item may occupy them"));
  }

  // The chain goes on while eligible items that can still be placed, or
  // later pins, remain, up to kMaxItemsPerChain positions.
  const int next = outcome.start + outcome.page_size;
  if (((remaining > 0 && !stuck) || outcome.later_pins) &&
      next < kMaxItemsPerChain &&
      chain.served_item_ids_size() < kMaxItemsPerChain) {
    chain.set_next_position(outcome.start + outcome.page_size);
    chain.set_positives_in_quota_window(slate.positives_in_window_after);
    out.next_page_token = EncodePageToken(chain, token_key);
  }
  return out;
}

}  // namespace feedgov
