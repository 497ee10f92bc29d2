#include "engine/testing/seeded_world.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/governance/policy_loader.h"
#include "engine/retrieval/retriever.h"
#include "engine/retrieval/synthetic.h"
#include "engine/testing/test_data.h"

namespace feedgov::testing {
namespace {

constexpr UnixSeconds kReferenceTime = 1767225600;  // 2026-01-01.

std::vector<Label> LabelsOfRow(Row row) {
  auto label = [](const std::string& name, float c, LabelSource s) {
    return Label{name, c, s, kReferenceTime};
  };
  if (row % 20 == 0)
    return {label("illegal.rumors", 0.9f, LabelSource::kReviewer)};
  if (row % 10 == 5) return {label("bad.clickbait", 0.8f, LabelSource::kModel)};
  if (row % 7 == 3)
    return {label("positive.core_values", 0.9f, LabelSource::kReviewer)};
  if (row % 4 == 1)
    return {label("positive.core_values", 0.0f, LabelSource::kReviewer)};
  return {};
}

}  // namespace

absl::StatusOr<SeededWorld> SeededWorld::Make(const SeededWorldOptions& o) {
  RowMatrixXf embeddings =
      MakeClusteredEmbeddings(o.items, o.dim, o.clusters, o.seed);
  std::vector<Item> items(o.items);
  absl::flat_hash_map<ItemId, std::vector<Label>> label_rows;
  for (Row r = 0; r < o.items; ++r) {
    Item& item = items[r];
    item.id = IdOf(r);
    item.title = absl::StrCat("Item ", item.id);
    item.genres = {r % 3 == 0 ? "Drama" : "Comedy"};
    if (r % 5 == 0) item.author = absl::StrCat("author-", r % 3);
    item.first_seen = kReferenceTime - 86400 * (1 + (r * 37) % 900);
    item.decayed_popularity = static_cast<float>(o.items - r) / o.items * 100;
    item.num_ratings = 1 + (o.items - r) % 50;
    std::vector<Label> labels = LabelsOfRow(r);
    if (!labels.empty()) label_rows.emplace(item.id, std::move(labels));
  }
  RowMatrixXf user_vectors = MakeQueriesNear(embeddings, o.users, o.seed + 1);
  std::vector<UserId> user_ids;
  std::vector<Interaction> ratings;
  for (int u = 0; u < o.users; ++u) {
    user_ids.push_back(u + 1);
    for (int k = 0; k < 5; ++k) {
      const Row r = static_cast<Row>((u * 131 + k * 17) % o.items);
      ratings.push_back(
          {u + 1, IdOf(r), 4.0f, kReferenceTime - 3600 * (k + 1)});
    }
  }
  SeededWorld w;
  auto state = std::make_shared<CatalogState>();
  FEEDGOV_ASSIGN_OR_RETURN(
      state->catalog,
      Catalog::Create(std::move(items), embeddings, kReferenceTime));
  FEEDGOV_ASSIGN_OR_RETURN(state->users,
                           UserTable::Create(user_ids, user_vectors, ratings));
  RetrieverOptions ro;
  ro.small_factory = o.factory;
  FEEDGOV_ASSIGN_OR_RETURN(state->retriever,
                           Retriever::Build(state->catalog->embeddings(), ro));
  state->ComputePriors(ScoringOptions());
  w.state = std::move(state);
  FEEDGOV_ASSIGN_OR_RETURN(w.labels,
                           LabelTable::Create(std::move(label_rows), 1));
  const std::string dir = SourceDir() + "/policies/";
  FEEDGOV_ASSIGN_OR_RETURN(Taxonomy taxonomy,
                           Taxonomy::Load(dir + "labels.textproto"));
  w.taxonomy = std::make_shared<const Taxonomy>(std::move(taxonomy));
  FEEDGOV_ASSIGN_OR_RETURN(
      w.pack, LoadPolicyPack(dir + "cn-ecology.textproto", *w.taxonomy));
  return w;
}

std::shared_ptr<const GovernanceView> SeededWorld::View(
    const std::string& surface, Audience audience) const {
  const Surface* s = pack->FindSurface(surface);
  const Catalog& catalog = *state->catalog;
  return GovernanceView::Build(
      *pack, *s, audience, catalog.size(), [&](Row row) {
        return absl::Span<const Label>(labels->LabelsFor(catalog.item(row).id));
      });
}

}  // namespace feedgov::testing
