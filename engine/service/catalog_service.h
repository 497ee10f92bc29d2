// File: engine/service/catalog_service.h
//
// feedgov.v1.CatalogService (docs/api.md): UpsertItems, DeleteItems and
// SetLabels, for the moderator and admin roles. Each call converts its
// proto batch (bounded: kMaxUpsertBatch items, kMaxIdBatch ids,
// kMaxLabelsPerItem labels) and hands it to the engine's catalog writer
// (engine/catalog/catalog_writer.h), which validates it and applies it all
// or nothing, durably (the state directory's journal) before the reply.
// Writes are serialized by the gate's write mutex.
#ifndef FEEDGOV_ENGINE_SERVICE_CATALOG_SERVICE_H_
#define FEEDGOV_ENGINE_SERVICE_CATALOG_SERVICE_H_

#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/service/request_gate.h"
#include "engine/common/types.h"
#include "feedgov/v1/catalog_service.grpc.pb.h"
#include "google/protobuf/repeated_field.h"

namespace feedgov::service {

// The labels of `item` in an API request: at most kMaxLabelsPerItem, names
// of at most kMaxNameBytes, each converted by LabelFromProto (convert.h).
// INVALID_ARGUMENT "item N: ...". Public for fuzz/request_fuzzer.cc.
absl::StatusOr<std::vector<Label>> LabelsFromProto(
    ItemId item, const google::protobuf::RepeatedPtrField<v1::ItemLabel>& in);

// OK unless `label`'s origin is of a kind that belongs to another source
// (types.h): "labeler:..." is a MODEL label's, "moderator:..." a REVIEWER
// label's, "label_map:..." a MAPPING label's. Otherwise a caller could
// store, say, a REVIEWER label (which overrides the labelers and is never
// undone) that "Why" shows as a labeler's output. INVALID_ARGUMENT naming
// the label, its origin and source. LabelsFromProto applies it.
absl::Status CheckOriginMatchesSource(const Label& label);

// Provenance of labels an API caller sent without an origin (types.h): a
// REVIEWER label gets "moderator:<token_name>", any other
// "api:<token_name>", `token_name` being the caller's token name
// (Principal::name, auth.h). Labels with an origin keep it. UpsertItems and
// SetLabels apply it to every label before the catalog writer sees them.
void FillLabelOrigins(absl::string_view token_name, std::vector<Label>& labels);

std::unique_ptr<v1::CatalogService::Service> MakeCatalogService(
    RequestGate& gate);

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_CATALOG_SERVICE_H_
