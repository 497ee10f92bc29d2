// The path from text to a key-slot decision through the API: an item
// upserted with a headline and no labels is labelled by the built-in
// labelers (trained here on the seeded fixture), the label carries its
// provenance, and the pack keeps the item out of key slots: a pin into key
// slot 1 is refused. A caller who labels the family decides it instead.
// The background relabeling pass is idempotent.
#include "absl/strings/str_cat.h"
#include "engine/governance/verdict.h"
#include "engine/labeler/fixture.h"
#include "engine/labeler/trainer.h"
#include "engine/service/relabeler.h"
#include "engine/service/service_test_env.h"
#include "google/protobuf/text_format.h"

namespace feedgov::service {
namespace {

using testing::ServerEnv;

std::shared_ptr<const LabelerSet> FixtureLabelers() {
  const std::string data = ::feedgov::testing::MakeTempDir("e2e_labeler_data");
  const std::string models = ::feedgov::testing::MakeTempDir("e2e_labeler_models");
  absl::Status trained = TrainFixtureLabelers(data, models).status();
  EXPECT_TRUE(trained.ok()) << trained;
  // The English clickbait labeler only: the other fixture labelers would
  // judge a headline outside their training data.
  auto set = LabelerSet::Load(models, {"clickbait_en"});
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

const Label* Find(const std::vector<Label>& labels, const std::string& name) {
  for (const Label& l : labels) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

TEST(LabelerE2eTest, UpsertedHeadlineIsLabelledWithProvenanceAndKeptOutOfKeySlots) {
  std::shared_ptr<const LabelerSet> labelers = FixtureLabelers();
  ASSERT_NE(labelers, nullptr);
  ServerEnv env({}, "", labelers);
  ASSERT_TRUE(env.status().ok()) << env.status();
  v1::StatsResponse stats;
  ASSERT_TRUE(env.admin()->Stats(env.Ctx("admin").get(), v1::StatsRequest(), &stats).ok());
  v1::UpsertItemsRequest upsert;
  const std::string headline = "21 Celebrities You Won't Believe Exist";
  for (int64_t id : {99100001, 99100002}) {
    auto* item = upsert.add_items();
    item->set_item_id(id);
    item->set_title(headline);
    for (int j = 0; j < stats.embedding_dim(); ++j) item->add_embedding(j == 1 ? 1.f : 0.f);
  }
  // The second item's caller says it is not clickbait: a reviewed label of
  // the family, which the labeler then leaves alone.
  auto* reviewed = upsert.mutable_items(1)->add_labels();
  reviewed->set_name("bad.clickbait");
  reviewed->set_confidence(0.0f);
  reviewed->set_source(v1::LABEL_SOURCE_REVIEWER);
  v1::UpsertItemsResponse upserted;
  ASSERT_TRUE(env.catalog()->UpsertItems(env.Ctx("moderator").get(), upsert, &upserted).ok());

  const std::vector<Label>& machine = env.engine().labels()->LabelsFor(99100001);
  const Label* cb = Find(machine, "bad.clickbait");
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(cb->source, LabelSource::kModel);
  EXPECT_EQ(cb->origin, labelers->Find("clickbait_en")->origin());
  EXPECT_GT(cb->confidence, 0.8f);
  const std::vector<Label>& human = env.engine().labels()->LabelsFor(99100002);
  ASSERT_NE(Find(human, "bad.clickbait"), nullptr);
  EXPECT_EQ(Find(human, "bad.clickbait")->source, LabelSource::kReviewer);
  EXPECT_EQ(Find(human, "bad.clickbait")->confidence, 0.0f);

  // The pack's verdict on the home surface (first 6 positions are key slots).
  const PolicyPack& pack = *env.engine().policy();
  const Surface* home = pack.FindSurface("home");
  ASSERT_NE(home, nullptr);
  EXPECT_FALSE(EvaluateItem(pack, *home, Audience::kGeneral, machine).key_slot_allowed);
  EXPECT_TRUE(EvaluateItem(pack, *home, Audience::kGeneral, human).key_slot_allowed);

  // Through the editor API: a pin into key slot 1 is refused for the
  // machine-labelled item and accepted for the reviewed one.
  v1::Intervention pin;
  pin.set_kind(v1::INTERVENTION_KIND_PIN);
  pin.set_position(1);
  pin.set_surface("home");
  pin.set_reason("test");
  v1::CreateInterventionRequest create;
  v1::Intervention made;
  pin.set_item_id(99100001);
  *create.mutable_intervention() = pin;
  EXPECT_EQ(env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  pin.set_item_id(99100002);
  *create.mutable_intervention() = pin;
  grpc::Status ok = env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made);
  EXPECT_TRUE(ok.ok()) << ok.error_message();

  // Relabeling with the same labelers changes nothing the upsert wrote.
  // The snapshot's MovieLens items have no labeler labels yet: the pass
  // labels them (English titles), never touching the reviewed item.
  absl::StatusOr<RelabelResult> first = RelabelAll(env.gate(), *labelers, 1000, nullptr);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->items, stats.catalog_items() + 2);
  EXPECT_EQ(env.engine().labels()->LabelsFor(99100001), machine);
  EXPECT_EQ(Find(env.engine().labels()->LabelsFor(99100002), "bad.clickbait")->source,
            LabelSource::kReviewer);
  absl::StatusOr<RelabelResult> second = RelabelAll(env.gate(), *labelers, 1000, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->changed, 0);
}

}  // namespace
}  // namespace feedgov::service
