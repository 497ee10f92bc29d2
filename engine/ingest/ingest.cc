#include "engine/ingest/ingest.h"

#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "engine/catalog/snapshot.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/governance/label_map.h"
#include "engine/labeler/item_labels.h"
#include "engine/governance/taxonomy.h"
#include "engine/ingest/items_jsonl.h"
#include "engine/ingest/movielens.h"
#include "engine/model/als.h"
#include "engine/model/model_config.h"
#include "engine/retrieval/retriever.h"
#include "google/protobuf/text_format.h"

namespace feedgov {
namespace {

void Say(std::ostream* out, const std::string& line) {
  if (out != nullptr) *out << line << std::endl;
}

// Catalog embeddings in item order: ALS factors for rated items, the mean
// item factor for cold-start items.
RowMatrixXf ItemEmbeddings(const std::vector<Item>& items,
                           const IndexedInteractions& indexed,
                           const RowMatrixXf& item_factors) {
  absl::flat_hash_map<ItemId, int32_t> index_of;
  for (size_t i = 0; i < indexed.item_ids.size(); ++i) {
    index_of[indexed.item_ids[i]] = static_cast<int32_t>(i);
  }
  Eigen::RowVectorXf mean = item_factors.colwise().mean();
  RowMatrixXf out(static_cast<Eigen::Index>(items.size()), item_factors.cols());
  for (size_t r = 0; r < items.size(); ++r) {
    auto it = index_of.find(items[r].id);
    out.row(r) = it == index_of.end() ? mean : item_factors.row(it->second);
  }
  return out;
}

std::string ReportPath(const IngestOptions& o) {
  return o.quarantine_report_path.empty()
             ? absl::StrCat(o.out_dir, ".quarantine.json")
             : o.quarantine_report_path;
}

// Writes the quarantine report when a row was set aside (and says so);
// else removes a report an earlier ingest left there, so the report beside
// a snapshot is always its own.
absl::Status ReportQuarantine(const IngestOptions& o, const Quarantine& q) {
  const std::string path = ReportPath(o);
  if (q.size() == 0) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return absl::OkStatus();
  }
  FEEDGOV_RETURN_IF_ERROR(Annotate(WriteFileAtomic(path, q.ReportJson()),
                                   "write quarantine report"));
  Say(o.progress, absl::StrCat(q.Summary(), "; report: ", path));
  return absl::OkStatus();
}

// A failed read's error; with the rows set aside so far in the report
// when the quarantine refused more (the snapshot is not written).
absl::Status FailedRead(const IngestOptions& o, const Quarantine& q,
                        absl::Status error) {
  if (q.size() == 0) return error;
  absl::Status reported = ReportQuarantine(o, q);
  return absl::Status(
      error.code(),
      absl::StrCat(error.message(), reported.ok()
                                        ? absl::StrCat("; report of the rows "
                                                       "set aside: ",
                                                       ReportPath(o))
                                        : ""));
}

SnapshotContents Contents(std::shared_ptr<const Catalog> catalog,
                          std::shared_ptr<const LabelTable> labels,
                          std::shared_ptr<const UserTable> users,
                          const Retriever& retriever, std::string index_bytes,
                          const v1::ModelConfig& config) {
  SnapshotContents contents;
  contents.catalog = std::move(catalog);
  contents.labels = std::move(labels);
  contents.users = std::move(users);
  contents.index_factory = retriever.factory();
  contents.index_bytes = std::move(index_bytes);
  google::protobuf::TextFormat::PrintToString(config,
                                              &contents.model_config_text);
  return contents;
}

// Writes the snapshot atomically, then the quarantine report, and says so.
absl::Status WriteAndReport(const IngestOptions& o, SnapshotContents contents,
                            const Quarantine& quarantine, absl::Time t0) {
  WriteSnapshotOptions wopts;
  wopts.clock = o.clock;
  FEEDGOV_RETURN_IF_ERROR(Annotate(WriteSnapshot(contents, o.out_dir, wopts),
                                   "write snapshot"));
  FEEDGOV_RETURN_IF_ERROR(ReportQuarantine(o, quarantine));
  Say(o.progress, absl::StrFormat("snapshot written to %s in %.1fs", o.out_dir,
                                  absl::ToDoubleSeconds(absl::Now() - t0)));
  return absl::OkStatus();
}

// The items_path branch of RunIngest: items and embeddings from the file.
absl::Status IngestItemsFile(const IngestOptions& o,
                             const v1::ModelConfig& config,
                             const Taxonomy& taxonomy, Quarantine& quarantine) {
  const absl::Time t0 = absl::Now();
  absl::StatusOr<ItemsFile> read =
      ReadItemsJsonl(o.items_path, taxonomy, &quarantine);
  if (!read.ok()) return FailedRead(o, quarantine, read.status());
  ItemsFile file = *std::move(read);
  Say(o.progress, absl::StrFormat("read %s: %d items of dimension %d",
                                  o.items_path, file.items.size(),
                                  file.embeddings.cols()));
  const int64_t dim = file.embeddings.cols();
  FEEDGOV_ASSIGN_OR_RETURN(
      auto catalog, Catalog::Create(std::move(file.items),
                                    std::move(file.embeddings),
                                    file.reference_time));
  FEEDGOV_ASSIGN_OR_RETURN(auto users,
                           UserTable::Create({}, RowMatrixXf(0, dim), {}));
  if (o.labelers != nullptr) {
    ItemLabelingStats stats;
    const UnixSeconds now = absl::ToUnixSeconds(o.clock->Now());
    for (const Item& item : catalog->items()) {
      auto it = file.labels.find(item.id);
      std::vector<Label> had = it == file.labels.end() ? std::vector<Label>{} : it->second;
      std::vector<Label> merged = LabelItem(*o.labelers, item, std::move(had), now,
                                            /*respect_caller_labels=*/true, &stats);
      if (!merged.empty()) file.labels[item.id] = std::move(merged);
    }
    Say(o.progress, StatsLine(stats));
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto labels,
                           LabelTable::Create(std::move(file.labels), 1));
  RetrieverOptions ropts = RetrieverOptions::FromConfig(config.retrieval());
  FEEDGOV_ASSIGN_OR_RETURN(auto retriever,
                           Retriever::Build(catalog->embeddings(), ropts));
  FEEDGOV_ASSIGN_OR_RETURN(std::string index_bytes, retriever->Serialize());
  return WriteAndReport(o, Contents(catalog, labels, users, *retriever,
                                    std::move(index_bytes), config),
                        quarantine, t0);
}

}  // namespace

absl::Status RunIngest(const IngestOptions& o) {
  if (o.data_dir.empty() == o.items_path.empty() || o.out_dir.empty()) {
    return absl::InvalidArgumentError(
        "ingest needs --out and exactly one of --data (MovieLens directory) "
        "and --items (JSON Lines items with embeddings)");
  }
  FEEDGOV_RETURN_IF_ERROR(o.quarantine.Validate());
  FEEDGOV_RETURN_IF_ERROR(CheckWritableOutputDir(o.out_dir, kSnapshotManifestName));
  Quarantine quarantine(o.quarantine);
  const absl::Time t0 = absl::Now();
  FEEDGOV_ASSIGN_OR_RETURN(
      v1::ModelConfig config,
      LoadModelConfig(
          PathOrDefault(o.model_config_path, "models/default.textproto")));
  FEEDGOV_ASSIGN_OR_RETURN(Taxonomy taxonomy,
                           Taxonomy::Load(PathOrDefault(
                               o.taxonomy_path, "policies/labels.textproto")));
  if (o.labelers != nullptr) {
    // Before any work: a labeler label the taxonomy does not know would be
    // on every item it labels, and the verdict drops such items.
    std::vector<std::string> names;
    for (const auto& e : taxonomy.entries()) names.push_back(e.name);
    FEEDGOV_RETURN_IF_ERROR(CheckLabelerLabels(*o.labelers, names));
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      LabelMap label_map,
      LoadLabelMap(PathOrDefault(o.label_map_path,
                                 "policies/labelmaps/movielens.textproto"),
                   taxonomy));

  if (!o.items_path.empty()) {
    return IngestItemsFile(o, config, taxonomy, quarantine);
  }
  MovieLensOptions ml;
  ml.popularity_half_life_days = config.scoring().popularity_half_life_days();
  absl::StatusOr<MovieLensData> read =
      ReadMovieLens(o.data_dir, ml, &quarantine);
  if (!read.ok()) return FailedRead(o, quarantine, read.status());
  MovieLensData data = *std::move(read);
  Say(o.progress,
      absl::StrFormat("read %s: %d items, %d ratings, %d tag applications",
                      o.data_dir, data.items.size(), data.ratings.size(),
                      data.tag_applications.size()));

  if (data.ratings.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        o.data_dir, "/ratings.csv: no ratings; embeddings need at least one"));
  }
  IndexedInteractions indexed = IndexInteractions(data.ratings);
  AlsOptions als = AlsOptions::FromConfig(config.als());
  FEEDGOV_ASSIGN_OR_RETURN(
      AlsModel model, TrainAls(indexed.input, als, [&](const AlsProgress& p) {
        Say(o.progress,
            absl::StrFormat("als iteration %2d/%d  loss %.4f  elapsed %.2fs",
                            p.iteration, als.iterations, p.loss,
                            p.elapsed_seconds));
      }));

  RowMatrixXf item_emb =
      ItemEmbeddings(data.items, indexed, model.item_factors);
  FEEDGOV_ASSIGN_OR_RETURN(
      auto catalog,
      Catalog::Create(data.items, std::move(item_emb), data.reference_time));
  FEEDGOV_ASSIGN_OR_RETURN(
      auto users,
      UserTable::Create(indexed.user_ids, model.user_factors, data.ratings));

  absl::flat_hash_map<ItemId, std::vector<Label>> label_rows;
  ItemLabelingStats labeler_stats;
  int labeled = 0;
  for (const Item& item : catalog->items()) {
    std::vector<Label> labels =
        MapLabels(label_map, item.genres, item.tags, data.reference_time);
    if (o.labelers != nullptr) {
      labels = LabelItem(*o.labelers, item, std::move(labels),
                         absl::ToUnixSeconds(o.clock->Now()),
                         /*respect_caller_labels=*/true, &labeler_stats);
    }
    if (labels.empty()) continue;
    ++labeled;
    label_rows.emplace(item.id, std::move(labels));
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto labels,
                           LabelTable::Create(std::move(label_rows), 1));
  Say(o.progress,
      absl::StrFormat("labels: %d of %d items labeled by the label map%s",
                      labeled, catalog->size(),
                      o.labelers != nullptr ? " and the labelers" : ""));
  if (o.labelers != nullptr) Say(o.progress, StatsLine(labeler_stats));

  RetrieverOptions ropts = RetrieverOptions::FromConfig(config.retrieval());
  FEEDGOV_ASSIGN_OR_RETURN(auto retriever,
                           Retriever::Build(catalog->embeddings(), ropts));
  FEEDGOV_ASSIGN_OR_RETURN(std::string index_bytes, retriever->Serialize());
  Say(o.progress,
      absl::StrFormat("index: %s over %d x %d", retriever->factory(),
                      catalog->size(), catalog->dim()));

  return WriteAndReport(o, Contents(catalog, labels, users, *retriever,
                                    std::move(index_bytes), config),
                        quarantine, t0);
}

}  // namespace feedgov
