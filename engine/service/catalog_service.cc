#include "engine/service/catalog_service.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/matrix.h"
#include "engine/common/status_macros.h"
#include "engine/common/utf8.h"
#include "engine/labeler/item_labels.h"
#include "engine/service/convert.h"

namespace feedgov::service {

absl::Status CheckOriginMatchesSource(const Label& label) {
  struct Kind {
    const char* prefix;
    LabelSource source;
    const char* source_name;
  };
  static constexpr Kind kKinds[] = {
      {"labeler:", LabelSource::kModel, "MODEL"},
      {"moderator:", LabelSource::kReviewer, "REVIEWER"},
      {"label_map:", LabelSource::kMapping, "MAPPING"}};
  for (const Kind& k : kKinds) {
    if (!absl::StartsWith(label.origin, k.prefix) || label.source == k.source) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        "label '", label.name, "': origin '", Echo(label.origin), "' is a ",
        absl::string_view(k.prefix).substr(0, std::strlen(k.prefix) - 1),
        "'s, but the source is not ", k.source_name,
        " (an origin names who the source says labelled the item)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Label>> LabelsFromProto(
    ItemId item, const google::protobuf::RepeatedPtrField<v1::ItemLabel>& in) {
  if (in.size() > kMaxLabelsPerItem) {
    return absl::InvalidArgumentError(
        absl::StrCat("item ", item, ": ", in.size(), " labels, at most ",
                     kMaxLabelsPerItem));
  }
  std::vector<Label> out;
  for (const v1::ItemLabel& l : in) {
    FEEDGOV_RETURN_IF_ERROR(Annotate(CheckNameLength("label name", l.name()),
                                     absl::StrCat("item ", item)));
    auto label = LabelFromProto(l);
    if (!label.ok())
      return Annotate(label.status(), absl::StrCat("item ", item));
    FEEDGOV_RETURN_IF_ERROR(Annotate(CheckOriginMatchesSource(*label),
                                     absl::StrCat("item ", item)));
    out.push_back(*std::move(label));
  }
  return out;
}

void FillLabelOrigins(absl::string_view token_name, std::vector<Label>& labels) {
  for (Label& l : labels) {
    if (!l.origin.empty()) continue;
    l.origin = absl::StrCat(
        l.source == LabelSource::kReviewer ? "moderator:" : "api:", token_name);
  }
}

namespace {

constexpr RoleSet kCatalogRoles = Allow(Role::kModerator) | Allow(Role::kAdmin);

class CatalogServiceImpl final : public v1::CatalogService::Service {
 public:
  explicit CatalogServiceImpl(RequestGate& gate) : gate_(gate) {}

  grpc::Status UpsertItems(grpc::ServerContext* ctx,
                           const v1::UpsertItemsRequest* req,
                           v1::UpsertItemsResponse* resp) override {
    return gate_.Run(ctx, "CatalogService.UpsertItems", kCatalogRoles,
                     [&](const Principal& caller) {
                       return DoUpsert(caller, *req, resp);
                     });
  }

  grpc::Status DeleteItems(grpc::ServerContext* ctx,
                           const v1::DeleteItemsRequest* req,
                           v1::DeleteItemsResponse* resp) override {
    return gate_.Run(
        ctx, "CatalogService.DeleteItems", kCatalogRoles,
        [&](const Principal&) -> absl::Status {
          FEEDGOV_RETURN_IF_ERROR(
              CheckCount("item_ids", req->item_ids_size(), kMaxIdBatch));
          std::vector<ItemId> ids(req->item_ids().begin(),
                                  req->item_ids().end());
          absl::MutexLock lock(&gate_.write_mu());
          FEEDGOV_RETURN_IF_ERROR(gate_.deps().engine->DeleteItems(ids));
          resp->set_deleted(static_cast<int32_t>(ids.size()));
          return absl::OkStatus();
        });
  }

  grpc::Status SetLabels(grpc::ServerContext* ctx,
                         const v1::SetLabelsRequest* req,
                         v1::SetLabelsResponse* resp) override {
    return gate_.Run(
        ctx, "CatalogService.SetLabels", kCatalogRoles,
        [&](const Principal& caller) -> absl::Status {
          FEEDGOV_RETURN_IF_ERROR(
              CheckCount("items", req->items_size(), kMaxIdBatch));
          std::vector<ItemLabelsUpdate> updates;
          for (const v1::ItemLabels& il : req->items()) {
            FEEDGOV_ASSIGN_OR_RETURN(
                std::vector<Label> labels,
                LabelsFromProto(il.item_id(), il.labels()));
            FillLabelOrigins(caller.name, labels);
            updates.push_back({il.item_id(), std::move(labels)});
          }
          absl::MutexLock lock(&gate_.write_mu());
          FEEDGOV_RETURN_IF_ERROR(
              gate_.deps().engine->UpdateLabels(std::move(updates)));
          resp->set_updated(req->items_size());
          return absl::OkStatus();
        });
  }

 private:
  absl::Status DoUpsert(const Principal& caller,
                        const v1::UpsertItemsRequest& req,
                        v1::UpsertItemsResponse* resp) {
    FEEDGOV_RETURN_IF_ERROR(
        CheckCount("items", req.items_size(), kMaxUpsertBatch));
    FeedEngine& engine = *gate_.deps().engine;
    const int n = req.items_size();
    const int dim = engine.catalog()->dim();
    const UnixSeconds now = absl::ToUnixSeconds(gate_.deps().clock->Now());
    std::vector<Item> items;
    std::vector<ItemLabelsUpdate> labels;
    RowMatrixXf embeddings(n, dim);
    for (int i = 0; i < n; ++i) {
      const v1::CatalogItem& in = req.items(i);
      // The proto's floats into the batch's matrix; the catalog writer
      // checks the values (finite, non-zero norm) and the ids.
      if (in.embedding_size() != dim) {
        return absl::InvalidArgumentError(
            absl::StrCat("item ", in.item_id(), ": embedding has ",
                         in.embedding_size(), " floats, want ", dim));
      }
      for (int j = 0; j < dim; ++j) embeddings(i, j) = in.embedding(j);
      FEEDGOV_ASSIGN_OR_RETURN(std::vector<Label> ls,
                               LabelsFromProto(in.item_id(), in.labels()));
      FillLabelOrigins(caller.name, ls);
      labels.push_back({in.item_id(), std::move(ls)});
      Item item;
      item.id = in.item_id();
      item.title = in.title();
      item.genres.assign(in.genres().begin(), in.genres().end());
      item.tags.assign(in.tags().begin(), in.tags().end());  // Normalized by the writer.
      item.author = in.author();
      absl::StatusOr<UnixSeconds> first_seen = FirstSeenFromProto(in);
      if (!first_seen.ok()) {
        return Annotate(first_seen.status(), absl::StrCat("item ", in.item_id()));
      }
      item.first_seen = *first_seen != 0 ? *first_seen : now;
      if (gate_.deps().labelers != nullptr) {  // Outside the write lock.
        labels.back().labels =
            LabelItem(*gate_.deps().labelers, item, std::move(labels.back().labels), now,
                      /*respect_caller_labels=*/true, nullptr);
      }
      items.push_back(std::move(item));
    }
    absl::MutexLock lock(&gate_.write_mu());
    int replaced = 0;
    for (const Item& item : items) {
      if (engine.catalog()->FindRow(item.id)) ++replaced;
    }
    FEEDGOV_RETURN_IF_ERROR(
        engine.UpsertItems(std::move(items), embeddings, std::move(labels)));
    resp->set_added(n - replaced);
    resp->set_replaced(replaced);
    resp->set_catalog_size(engine.catalog()->size());
    return absl::OkStatus();
  }

  RequestGate& gate_;
};

}  // namespace

std::unique_ptr<v1::CatalogService::Service> MakeCatalogService(
    RequestGate& gate) {
  return std::make_unique<CatalogServiceImpl>(gate);
}

}  // namespace feedgov::service
