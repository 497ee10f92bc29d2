// File: engine/response/response_builder.h
//
// The last stage of a Rank: what the caller sees, and the state of the
// page-token chain. From the slate (governance/slate_builder.h) and what
// the earlier stages decided it builds the items (1-based absolute
// positions, final scores, reason codes, key-slot flags, labels, pin ids),
// the governance counters, the degradations, the settings that applied,
// and the next page token: the chain goes on while eligible items or later
// pins remain, up to kMaxItemsPerChain items (page_token.h).
//
// Degradations keep the order in which the stages reported them (the
// request's, the overlay's, the user stage's), then the slate's: a positive
// quota shortfall and key slots left empty.
//
// Thread-safety: a pure function of its inputs.
#ifndef FEEDGOV_ENGINE_RESPONSE_RESPONSE_BUILDER_H_
#define FEEDGOV_ENGINE_RESPONSE_RESPONSE_BUILDER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_table.h"
#include "engine/common/rank_types.h"
#include "engine/governance/policy.h"
#include "engine/governance/slate_builder.h"
#include "engine/governance/verdict.h"
#include "feedgov/v1/page_token.pb.h"

namespace feedgov {

// What the stages before the response decided for one page. Pointers are
// borrowed for the call.
struct PageOutcome {
  const Catalog* catalog = nullptr;
  const LabelTable* labels = nullptr;
  const PolicyPack* pack = nullptr;
  const Surface* surface = nullptr;
  const GovernanceView::Counters* view_counters = nullptr;  // Catalog-wide.
  bool personalized = false;
  AppliedSettings settings;
  int suppressed = 0;
  int pins_blocked = 0;
  const absl::flat_hash_map<ItemId, std::string>* pin_ids = nullptr;
  std::vector<std::string> degradations;  // In stage order.
  int eligible_count = 0;   // Rows that could be placed organically.
  bool later_pins = false;  // A pin remains beyond this page.
  int start = 0;            // Absolute 0-based position of the first slot.
  int page_size = 0;
};

// The response for `slate` with `slots` (the slate's, plus pins placed past
// the end of the feed), and `chain` advanced past this page and encoded
// with `token_key` when the chain goes on.
RankResponse BuildResponse(PageOutcome outcome, const SlateResult& slate,
                           const std::vector<SlateSlot>& slots,
                           v1::PageTokenState chain,
                           absl::string_view token_key);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RESPONSE_RESPONSE_BUILDER_H_
