// The server under load: more concurrent calls than --threads are queued,
// not refused; the queue bound is the only refusal; and under a stream of
// label updates the engine derives each governance view incrementally and
// it stays equal to a fresh build (the oracle).
#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "engine/governance/verdict.h"
#include "engine/service/service_test_env.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov::service {
namespace {

using ::feedgov::service::testing::RankReq;
using ::feedgov::service::testing::ServerEnv;

std::vector<int64_t> Ids(const v1::RankResponse& r) {
  std::vector<int64_t> out;
  for (const auto& item : r.items()) out.push_back(item.item_id());
  return out;
}

template <typename Pred>
void WaitFor(Pred pred) {
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (!pred() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_TRUE(pred());
}

// 64 calls in flight against 2 threads: every one succeeds (none refused
// with RESOURCE_EXHAUSTED), with the same page a lone call gets, and never
// more than 2 run at once.
TEST(LoadTest, SixtyFourConcurrentRanksOnTwoThreadsAllSucceed) {
  ServerOptions options;
  options.threads = 2;
  ServerEnv env(options);
  ASSERT_OK(env.status());
  constexpr int kUsers = 16, kCalls = 64;
  std::vector<std::vector<int64_t>> alone(kUsers + 1);
  for (int u = 1; u <= kUsers; ++u) {
    v1::RankResponse resp;
    grpc::Status s = env.feed()->Rank(ServerEnv::Ctx("feed-service").get(),
                                      RankReq(u, 20), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    alone[u] = Ids(resp);
  }
  std::vector<grpc::Status> status(kCalls);
  std::vector<std::vector<int64_t>> got(kCalls);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      auto stub = env.feed();
      auto ctx = ServerEnv::Ctx("feed-service");
      v1::RankResponse resp;
      ++ready;
      while (ready.load() < kCalls) std::this_thread::yield();  // Start together.
      status[i] = stub->Rank(ctx.get(), RankReq(i % kUsers + 1, 20), &resp);
      got[i] = Ids(resp);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(status[i].ok()) << "call " << i << ": " << status[i].error_code()
                                << " " << status[i].error_message();
    EXPECT_EQ(got[i], alone[i % kUsers + 1]) << "call " << i;
  }
  const AdmissionQueue& q = env.server().services().gate().admission();
  EXPECT_LE(q.peak_running(), 2);
  EXPECT_EQ(q.running(), 0);
  EXPECT_EQ(q.waiting(), 0);
  EXPECT_THAT(env.log(), ::testing::Not(::testing::HasSubstr("RESOURCE_EXHAUSTED")));
}

// Queue bound 1: two label writes blocked on the writer lock hold both
// slots of the non-Rank lane, a third waits, a fourth is refused with
// "server busy"; a Rank meanwhile runs at once in its own lane. Once the
// writer lock is free all three writes complete.
TEST(LoadTest, RefusesOnlyBeyondTheQueueBoundAndRanksDoNotWaitForWrites) {
  ServerOptions options;
  options.threads = 1;
  options.max_queued_calls = 1;
  ServerEnv env(options);
  ASSERT_OK(env.status());
  RequestGate& gate = env.server().services().gate();
  AdmissionQueue& writes = gate.control_admission();
  ASSERT_EQ(writes.options().max_running, kControlLaneSlots);
  ASSERT_EQ(kControlLaneSlots, 2);

  v1::SetLabelsRequest labels;
  auto* il = labels.add_items();
  il->set_item_id(1);
  auto* l = il->add_labels();
  l->set_name("bad.clickbait");
  l->set_confidence(0.9f);
  l->set_source(v1::LABEL_SOURCE_REVIEWER);
  auto set_labels = [&] {
    v1::SetLabelsResponse resp;
    return env.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), labels,
                                    &resp);
  };

  std::vector<grpc::Status> held(3);
  std::vector<std::thread> writers;
  gate.write_mu().Lock();
  for (int i = 0; i < 3; ++i) {
    writers.emplace_back([&, i] { held[i] = set_labels(); });
    if (i < 2) {
      WaitFor([&] { return writes.running() == i + 1; });
    } else {
      WaitFor([&] { return writes.waiting() == 1; });
    }
  }
  grpc::Status refused = set_labels();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("server busy"));
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("--max-queued-calls 1"));
  EXPECT_EQ(writes.waiting(), 1);

  v1::RankResponse page;
  grpc::Status rank = env.feed()->Rank(ServerEnv::Ctx("feed-service").get(),
                                       RankReq(1, 10), &page);
  EXPECT_TRUE(rank.ok()) << rank.error_message();
  EXPECT_EQ(page.items_size(), 10);

  gate.write_mu().Unlock();
  for (auto& t : writers) t.join();
  for (const grpc::Status& s : held) EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(writes.running(), 0);
  EXPECT_EQ(gate.admission().running(), 0);
}

std::vector<Label> RandomLabels(std::mt19937& rng) {
  static const char* const kNames[] = {
      "illegal.rumors", "bad.clickbait", "bad.vulgar", "bad.gore_horror",
      "positive.core_values", "positive.party_policy"};
  std::uniform_int_distribution<int> count(0, 2), name(0, 5), src(0, 2);
  std::uniform_real_distribution<float> conf(0.0f, 1.0f);
  std::vector<Label> out(count(rng));
  const int first = name(rng);  // Distinct names: a label is given once.
  for (size_t i = 0; i < out.size(); ++i) {
    Label& l = out[i];
    l.name = kNames[(first + i) % 6];
    l.confidence = conf(rng);
    l.source = src(rng) == 0 ? LabelSource::kReviewer : LabelSource::kModel;
  }
  return out;
}

void ExpectSameView(const GovernanceView& got, const GovernanceView& want) {
  ASSERT_EQ(got.num_rows(), want.num_rows());
  for (Row r = 0; r < want.num_rows(); ++r) {
    ASSERT_EQ(got.verdict(r), want.verdict(r)) << "row " << r;
  }
  EXPECT_TRUE(got.servable() == want.servable());
  EXPECT_TRUE(got.key_slot_allowed() == want.key_slot_allowed());
  EXPECT_TRUE(got.positive_key_slot_allowed() == want.positive_key_slot_allowed());
  EXPECT_TRUE(got.label_errors() == want.label_errors());
  EXPECT_TRUE(got.boosted() == want.boosted());
  EXPECT_EQ(got.max_boost_factor(), want.max_boost_factor());
  EXPECT_TRUE(got.counters() == want.counters());
}

// Label updates (engine calls and SetLabels RPCs) interleaved with view
// look-ups, sometimes several versions apart: every view equals a fresh
// GovernanceView::Build over the current labels, and none is rebuilt over
// the whole catalog.
TEST(LoadTest, ViewsUnderLabelUpdatesAreIncrementalAndExact) {
  ServerEnv env;
  ASSERT_OK(env.status());
  FeedEngine& engine = env.engine();
  const std::pair<const char*, Audience> cases[] = {
      {"home", Audience::kGeneral},
      {"hot_list", Audience::kGeneral},
      {"feed", Audience::kMinors}};
  for (const auto& [surface, audience] : cases) {
    ASSERT_OK(engine.ViewFor(surface, audience));  // Warm: one full build each.
  }
  const FeedEngine::ViewCacheStats before = engine.view_cache_stats();
  auto catalog = engine.catalog();
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> row(0, catalog->size() - 1), batch(1, 20);
  int lookups = 0;
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE(round);
    std::vector<ItemLabelsUpdate> updates;
    std::set<ItemId> seen;
    for (int i = batch(rng); i > 0; --i) {
      ItemId id = catalog->item(row(rng)).id;
      if (seen.insert(id).second) updates.push_back({id, RandomLabels(rng)});
    }
    if (round % 3 == 0) {  // Through the API.
      v1::SetLabelsRequest req;
      for (const ItemLabelsUpdate& u : updates) {
        auto* il = req.add_items();
        il->set_item_id(u.item);
        for (const Label& l : u.labels) {
          auto* pl = il->add_labels();
          pl->set_name(l.name);
          pl->set_confidence(l.confidence);
          pl->set_source(l.source == LabelSource::kReviewer
                             ? v1::LABEL_SOURCE_REVIEWER
                             : v1::LABEL_SOURCE_MODEL);
        }
      }
      v1::SetLabelsResponse resp;
      grpc::Status s =
          env.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
    } else {
      ASSERT_OK(engine.UpdateLabels(updates));
    }
    if (round % 4 == 1) continue;  // Skip a version: the next view spans two.
    auto labels = engine.labels();
    for (const auto& [surface_id, audience] : cases) {
      SCOPED_TRACE(surface_id);
      auto view = engine.ViewFor(surface_id, audience);
      ASSERT_OK(view);
      ++lookups;
      const Surface& surface = *engine.policy()->FindSurface(surface_id);
      auto fresh = GovernanceView::Build(
          *engine.policy(), surface, audience, catalog->size(), [&](Row r) {
            return absl::Span<const Label>(labels->LabelsFor(catalog->item(r).id));
          });
      ExpectSameView(**view, *fresh);
    }
  }
  const FeedEngine::ViewCacheStats after = engine.view_cache_stats();
  EXPECT_EQ(after.built - before.built, 0);
  EXPECT_EQ(after.derived - before.derived, lookups);
}

}  // namespace
}  // namespace feedgov::service
