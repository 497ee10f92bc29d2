#include "engine/intervention/intervention_snapshot.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/time_util.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

absl::Time T(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_OK(t);
  return t.ok() ? *t : absl::InfinitePast();
}

Intervention Make(const std::string& id, InterventionKind kind, ItemId item,
                  const std::string& surface) {
  Intervention iv;
  iv.id = id;
  iv.kind = kind;
  iv.item_id = item;
  iv.surface = surface;
  iv.editor = "alice";
  iv.reason = "r";
  iv.start = T("2026-01-01T00:00:00Z");
  iv.end = absl::InfiniteFuture();
  return iv;
}

TEST(InterventionSnapshotTest, PinWindowIsHalfOpenAcrossUtcOffsets) {
  Intervention pin = Make("iv-1", InterventionKind::kPin, 42, "home");
  pin.position = 3;
  // Same instants written with different offsets.
  pin.start = T("2026-11-30T18:00:00+08:00");  // 10:00Z
  pin.end = T("2026-11-30T07:00:00-05:00");    // 12:00Z
  InterventionSnapshot snap({pin});
  EXPECT_THAT(snap.Active(T("2026-11-30T09:59:59Z"), "home").pins, IsEmpty());
  EXPECT_THAT(snap.Active(T("2026-11-30T05:00:00-05:00"), "home").pins,
              ElementsAre(Pair(3, ActivePin{42, "iv-1"})));  // 10:00Z, start
  EXPECT_THAT(snap.Active(T("2026-11-30T19:59:59.999999+08:00"), "home").pins,
              ElementsAre(Pair(3, ActivePin{42, "iv-1"})));
  EXPECT_THAT(snap.Active(T("2026-11-30T20:00:00+08:00"), "home").pins,
              IsEmpty());  // 12:00Z == end, excluded.
}

TEST(InterventionSnapshotTest, AllSurfacesScopeAppliesEverywhereOthersOnlyHome) {
  Intervention all = Make("iv-1", InterventionKind::kSuppressItem, 7, "");
  Intervention home = Make("iv-2", InterventionKind::kSuppressItem, 8, "home");
  InterventionSnapshot snap({all, home});
  absl::Time now = T("2026-06-01T00:00:00Z");
  EXPECT_THAT(snap.Active(now, "home").suppressed_items,
              UnorderedElementsAre(7, 8));
  EXPECT_THAT(snap.Active(now, "discover").suppressed_items,
              UnorderedElementsAre(7));
  EXPECT_THAT(snap.Active(now, "").suppressed_items, UnorderedElementsAre(7));
}

TEST(InterventionSnapshotTest, CollectsEveryKindAndMultipliesFactors) {
  Intervention author = Make("iv-1", InterventionKind::kSuppressAuthor, 0, "");
  author.author = "Studio X";
  Intervention dup = Make("iv-2", InterventionKind::kSuppressNearDuplicates, 5, "");
  dup.cosine_threshold = 0.95;
  Intervention boost = Make("iv-3", InterventionKind::kBoost, 9, "");
  boost.factor = 2.0;
  Intervention bury = Make("iv-4", InterventionKind::kBury, 9, "home");
  bury.factor = 0.25;
  Intervention bury2 = Make("iv-5", InterventionKind::kBury, 10, "");
  bury2.factor = 0.5;
  Intervention revoked = Make("iv-6", InterventionKind::kBoost, 10, "");
  revoked.factor = 100;
  revoked.revoked = true;
  InterventionSnapshot snap({bury2, author, dup, boost, bury, revoked});
  EXPECT_EQ(snap.interventions().size(), 5u);
  ActiveSet set = snap.Active(T("2026-06-01T00:00:00Z"), "home");
  EXPECT_THAT(set.suppressed_authors, UnorderedElementsAre("Studio X"));
  EXPECT_THAT(set.near_duplicate_seeds,
              ElementsAre(NearDuplicateSeed{5, 0.95, "iv-2"}));
  EXPECT_THAT(set.score_factors,
              UnorderedElementsAre(Pair(9, 0.5), Pair(10, 0.5)));  // 2 * 0.25
  EXPECT_THAT(set.intervention_ids,
              ElementsAre("iv-1", "iv-2", "iv-3", "iv-4", "iv-5"));
  ActiveSet elsewhere = snap.Active(T("2026-06-01T00:00:00Z"), "discover");
  EXPECT_THAT(elsewhere.score_factors,
              UnorderedElementsAre(Pair(9, 2.0), Pair(10, 0.5)));
}

TEST(InterventionSnapshotTest, NothingIsActiveBeforeStart) {
  Intervention boost = Make("iv-1", InterventionKind::kBoost, 9, "");
  boost.factor = 3;
  InterventionSnapshot snap({boost});
  ActiveSet set = snap.Active(T("2025-12-31T23:59:59Z"), "home");
  EXPECT_THAT(set.score_factors, IsEmpty());
  EXPECT_THAT(set.intervention_ids, IsEmpty());
}

TEST(InterventionSnapshotTest, CollidingPinsPreferExactSurfaceThenSmallerId) {
  Intervention global = Make("iv-1", InterventionKind::kPin, 1, "");
  Intervention exact = Make("iv-2", InterventionKind::kPin, 2, "home");
  Intervention exact2 = Make("iv-3", InterventionKind::kPin, 3, "home");
  InterventionSnapshot snap({exact2, global, exact});
  absl::Time now = T("2026-06-01T00:00:00Z");
  EXPECT_THAT(snap.Active(now, "home").pins,
              ElementsAre(Pair(0, ActivePin{2, "iv-2"})));
  EXPECT_THAT(snap.Active(now, "discover").pins,
              ElementsAre(Pair(0, ActivePin{1, "iv-1"})));
}

TEST(InterventionSnapshotTest, StableWindowIsTheMaximalIntervalOfOneActiveSet) {
  // Oracle: Active() itself, probed at every second of a 40-second span.
  const absl::Time t0 = T("2026-06-01T00:00:00Z");
  std::vector<Intervention> ivs;
  uint32_t seed = 12345;
  auto next = [&seed] { return (seed = seed * 1103515245u + 12345u) >> 16; };
  for (int i = 0; i < 12; ++i) {
    Intervention iv = Make(absl::StrCat("iv-", i), InterventionKind::kSuppressItem,
                           100 + i, i % 3 == 0 ? "hot" : (i % 3 == 1 ? "" : "home"));
    iv.start = t0 + absl::Seconds(next() % 30);
    iv.end = i % 4 == 0 ? absl::InfiniteFuture()
                        : iv.start + absl::Seconds(1 + next() % 15);
    ivs.push_back(iv);
  }
  InterventionSnapshot snap(ivs);
  for (int s = -2; s < 40; ++s) {
    const absl::Time now = t0 + absl::Seconds(s);
    const auto w = snap.StableWindow(now, "home");
    ASSERT_LE(w.from, now);
    ASSERT_GT(w.until, now);
    const auto ids = snap.Active(now, "home").intervention_ids;
    for (int u = -2; u < 40; ++u) {
      const absl::Time t = t0 + absl::Seconds(u);
      const bool same = snap.Active(t, "home").intervention_ids == ids;
      if (t >= w.from && t < w.until) {
        EXPECT_TRUE(same) << "now +" << s << "s, t +" << u << "s";
      }
    }
    // Maximal: the set differs just outside the window.
    if (w.until != absl::InfiniteFuture()) {
      EXPECT_NE(snap.Active(w.until, "home").intervention_ids, ids);
    }
    if (w.from != absl::InfinitePast()) {
      EXPECT_NE(snap.Active(w.from - absl::Nanoseconds(1), "home").intervention_ids,
                ids);
    }
  }
  // Nothing in scope: one window for all time.
  const auto empty = InterventionSnapshot().StableWindow(t0, "home");
  EXPECT_EQ(empty.from, absl::InfinitePast());
  EXPECT_EQ(empty.until, absl::InfiniteFuture());
}

}  // namespace
}  // namespace feedgov
