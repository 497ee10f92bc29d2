// Property test: BuildSlate against the reference builder and against each
// enforcement rule directly, over random catalogs, verdicts and requests.
// Runs kMinCases cases (RC_PARAMS may raise it or set the seed).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/common/reasons.h"
#include "engine/governance/slate_builder.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"

namespace feedgov {
namespace {

constexpr int kMinCases = 10000;

struct World {
  std::vector<SlateCandidate> catalog;  // Row = index.
  std::vector<bool> dropped;            // Per row: never servable.
  SlateInput input;
};

// A random catalog with verdicts and a random page request over it.
World GenWorld() {
  World w;
  const int n = *rc::gen::inRange(0, 45);
  std::set<ItemId> ids;
  for (int r = 0; r < n; ++r) {
    ItemId id;
    do {
      id = *rc::gen::inRange<ItemId>(1, 1000);
    } while (!ids.insert(id).second);
    SlateCandidate c;
    c.row = r;
    c.id = id;
    // Few distinct scores so ties (broken by id) are common; rare NaN,
    // +Inf and -Inf (invalid scores: last, never the best).
    const int s = *rc::gen::inRange(0, 60);
    c.score = s == 0   ? std::nan("")
              : s == 1 ? INFINITY
              : s == 2 ? -INFINITY
                       : (s % 12) * 0.25;
    c.key_slot_allowed = *rc::gen::inRange(0, 100) < 60;
    c.positive = *rc::gen::inRange(0, 100) < 30;
    c.reasons = *rc::gen::element(0u, uint32_t{kPersonalized},
                                  uint32_t{kPopular});
    w.catalog.push_back(c);
    w.dropped.push_back(*rc::gen::inRange(0, 100) < 15);
  }
  SlateInput& in = w.input;
  in.start_position = *rc::gen::element(0, 0, 5, 10, 20);
  in.page_size = *rc::gen::inRange(1, 25);
  const int horizon = in.start_position + in.page_size + 10;
  const int key_density = *rc::gen::inRange(0, 101);
  for (int p = 0; p < horizon; ++p) {
    if (*rc::gen::inRange(0, 100) < key_density) in.key_slots.push_back(p);
  }
  in.quota_min_positive = *rc::gen::inRange(0, 5);
  in.quota_window =
      std::min<int>(in.quota_min_positive + *rc::gen::inRange(0, 5),
                    std::max<int>(in.quota_min_positive, in.key_slots.size()));
  in.positives_in_window_so_far = *rc::gen::inRange(0, in.quota_min_positive + 1);
  for (int r = 0; r < n; ++r) {
    if (w.dropped[r]) continue;
    const SlateCandidate& c = w.catalog[r];
    const int copies = *rc::gen::element(0, 1, 1, 1, 2);
    for (int k = 0; k < copies; ++k) in.ranked.push_back(c);
    if (c.positive && c.key_slot_allowed && *rc::gen::inRange(0, 100) < 60) {
      in.positive_pool.push_back(c);
    }
    if (c.key_slot_allowed && *rc::gen::inRange(0, 100) < 50) {
      in.key_safe_pool.push_back(c);
    }
  }
  std::mt19937 rng(*rc::gen::arbitrary<uint32_t>());
  std::shuffle(in.ranked.begin(), in.ranked.end(), rng);
  const int num_pins = *rc::gen::element(0, 0, 0, 1, 2, 3);
  for (int k = 0; k < num_pins && n > 0; ++k) {
    const Row r = *rc::gen::inRange(0, n);
    if (w.dropped[r]) continue;  // Callers never pin dropped items.
    PinnedItem pin;
    pin.item = w.catalog[r];
    pin.position = *rc::gen::inRange(in.start_position - 2,
                                     in.start_position + in.page_size + 2);
    in.pins.push_back(pin);
  }
  return w;
}

std::string Describe(const SlateCandidate& c) {
  std::ostringstream os;
  os << "{row " << c.row << " id " << c.id << " s " << c.score
     << (c.key_slot_allowed ? " key" : " nokey") << (c.positive ? " pos" : "")
     << " r" << c.reasons << "}";
  return os.str();
}

std::string Describe(const SlateInput& in) {
  std::ostringstream os;
  os << "start " << in.start_position << " size " << in.page_size << " keys [";
  for (int k : in.key_slots) os << k << " ";
  os << "] quota " << in.quota_min_positive << "/" << in.quota_window
     << " so_far " << in.positives_in_window_so_far << "\nranked:";
  for (const auto& c : in.ranked) os << " " << Describe(c);
  os << "\npos_pool:";
  for (const auto& c : in.positive_pool) os << " " << Describe(c);
  os << "\nsafe_pool:";
  for (const auto& c : in.key_safe_pool) os << " " << Describe(c);
  os << "\npins:";
  for (const auto& p : in.pins) os << " @" << p.position << Describe(p.item);
  return os.str();
}

std::string Describe(const SlateResult& r) {
  std::ostringstream os;
  for (const auto& s : r.slots) {
    os << " @" << s.position << (s.key_slot ? "K" : "") << Describe(s.item);
  }
  os << " | req " << r.quota_required << " met " << r.quota_met << " short "
     << r.quota_shortfall << " kept " << r.kept_out_of_key_slots
     << " unfilled " << r.unfilled_key_slots;
  return os.str();
}

// operator== with NaN scores equal to each other (NaN != NaN otherwise).
bool Same(const SlateResult& a, const SlateResult& b) {
  SlateResult x = a, y = b;
  for (SlateResult* r : {&x, &y}) {
    for (SlateSlot& s : r->slots) {
      if (!std::isfinite(s.item.score)) s.item.score = -1e300;
    }
  }
  return x == y;
}

bool Outranks(const SlateCandidate& a, const SlateCandidate& b) {
  const double sa = std::isfinite(a.score) ? a.score : -INFINITY;
  const double sb = std::isfinite(b.score) ? b.score : -INFINITY;
  if (sa != sb) return sa > sb;
  if (a.id != b.id) return a.id < b.id;
  return a.row < b.row;
}

bool IsKey(const SlateInput& in, int p) {
  return std::binary_search(in.key_slots.begin(), in.key_slots.end(), p);
}

// Rows of every candidate the builder may use (ranked and pools).
std::map<Row, SlateCandidate> CandidateRows(const SlateInput& in) {
  std::map<Row, SlateCandidate> rows;
  for (const auto* list : {&in.ranked, &in.positive_pool, &in.key_safe_pool}) {
    for (const SlateCandidate& c : *list) rows.emplace(c.row, c);
  }
  return rows;
}

void CheckRulesDirectly(const World& w, const SlateResult& res) {
  const SlateInput& in = w.input;
  const int end = in.start_position + in.page_size;
  std::set<Row> used;
  std::set<int> positions;
  for (const SlateSlot& s : res.slots) {
    // Only servable items; every row at most once; positions in the page.
    RC_ASSERT(!w.dropped[s.item.row]);
    RC_ASSERT(used.insert(s.item.row).second);
    RC_ASSERT(positions.insert(s.position).second);
    RC_ASSERT(s.position >= in.start_position && s.position < end);
    RC_ASSERT(s.key_slot == IsKey(in, s.position));
    // Never a non-key-slot-allowed item in a key slot.
    if (s.key_slot) RC_ASSERT(s.item.key_slot_allowed);
  }
  // No key slot left empty while a key-slot-allowed candidate is unused.
  const std::map<Row, SlateCandidate> cands = CandidateRows(in);
  bool key_allowed_unused = false;
  int eligible_positives_unpinned = 0;
  for (const auto& [row, c] : cands) {
    if (!used.contains(row) && c.key_slot_allowed) key_allowed_unused = true;
  }
  for (int p = in.start_position; p < end; ++p) {
    if (IsKey(in, p) && !positions.contains(p)) RC_ASSERT(!key_allowed_unused);
  }
  // Non-key, non-pinned slots filled from ranked follow score order, except
  // for eligible positives held back for the quota.
  std::optional<SlateCandidate> prev;
  for (const SlateSlot& s : res.slots) {
    if (s.key_slot || (s.item.reasons & kEditorPin) ||
        (s.item.reasons & kKeySlotBackfill)) {
      continue;
    }
    if (prev.has_value() && Outranks(s.item, *prev)) {
      RC_ASSERT(s.item.positive && s.item.key_slot_allowed);
    }
    prev = s.item;
  }
  // Quota met whenever enough eligible positives and free window slots exist
  // (window fully on this page or earlier).
  if (in.quota_min_positive == 0) {
    RC_ASSERT(res.quota_required == 0 && res.quota_shortfall == 0);
    return;
  }
  const int k = std::min<int>(in.quota_window, in.key_slots.size());
  std::vector<int> window(in.key_slots.begin(), in.key_slots.begin() + k);
  if (!window.empty() && window.back() >= end) return;
  std::set<Row> pinned_rows;
  int pinned_positive_in_window = 0, free = 0;
  for (const SlateSlot& s : res.slots) {
    if (!(s.item.reasons & kEditorPin)) continue;
    pinned_rows.insert(s.item.row);
    if (std::count(window.begin(), window.end(), s.position) && s.item.positive)
      ++pinned_positive_in_window;
  }
  for (int q : window) {
    bool pinned = false;
    for (const SlateSlot& s : res.slots) {
      pinned = pinned || (s.position == q && (s.item.reasons & kEditorPin));
    }
    if (q >= in.start_position && !pinned) ++free;
  }
  for (const auto& [row, c] : cands) {
    if (!pinned_rows.contains(row) && c.positive && c.key_slot_allowed) {
      ++eligible_positives_unpinned;
    }
  }
  const int need = std::max(0, in.quota_min_positive -
                                   in.positives_in_window_so_far -
                                   pinned_positive_in_window);
  RC_ASSERT(res.quota_required == in.quota_min_positive);
  if (need <= eligible_positives_unpinned && need <= free) {
    RC_CLASSIFY(need > 0, "quota guarantee exercised");
    RC_ASSERT(res.quota_shortfall == 0);
    RC_ASSERT(res.quota_met >= in.quota_min_positive);
  }
}

void Property() {
  const World w = GenWorld();
  const SlateResult res = BuildSlate(w.input);
  // Matches the independent reference builder exactly.
  const SlateResult ref = BuildSlateReference(w.input);
  if (!Same(res, ref)) {
    RC_LOG() << Describe(w.input) << "\nbuilder:  " << Describe(res)
             << "\nreference:" << Describe(ref) << "\n";
  }
  RC_ASSERT(Same(res, ref));
  // Deterministic, and independent of the order of ranked and pools.
  RC_ASSERT(Same(res, BuildSlate(w.input)));
  SlateInput shuffled = w.input;
  std::reverse(shuffled.ranked.begin(), shuffled.ranked.end());
  std::reverse(shuffled.positive_pool.begin(), shuffled.positive_pool.end());
  std::reverse(shuffled.key_safe_pool.begin(), shuffled.key_safe_pool.end());
  RC_ASSERT(Same(res, BuildSlate(shuffled)));
  CheckRulesDirectly(w, res);
  RC_CLASSIFY(res.quota_shortfall > 0, "shortfall reported");
  RC_CLASSIFY(res.unfilled_key_slots > 0, "key slot left empty");
  RC_CLASSIFY(res.kept_out_of_key_slots > 0, "bad item kept out");
}

TEST(SlateBuilderProperty, EnforcesEveryRuleAndMatchesReference) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  if (std::getenv("RC_PARAMS") == nullptr) params.seed = 20240601;
  params.maxSuccess = std::max(params.maxSuccess, kMinCases);
  rc::detail::TestMetadata metadata;
  metadata.id = "SlateBuilderProperty/EnforcesEveryRuleAndMatchesReference";
  metadata.description = metadata.id;
  const rc::detail::TestResult result =
      rc::detail::checkTestable(&Property, metadata, params);
  std::ostringstream msg;
  rc::detail::printResultMessage(result, msg);
  ASSERT_TRUE(result.is<rc::detail::SuccessResult>()) << msg.str();
  EXPECT_GE(result.get<rc::detail::SuccessResult>().numSuccess, kMinCases);
  std::cout << msg.str() << std::endl;
}

}  // namespace
}  // namespace feedgov
