// File: engine/catalog/proto_convert.h
//
// The one place where catalog domain types (Item, Label) are converted to and
// from their protobuf forms (feedgov.v1.SnapshotItem, feedgov.v1.ItemLabel).
// Used by the snapshot files, the catalog journal and the gRPC boundary.
// Thread-safe (pure functions).
#ifndef FEEDGOV_ENGINE_CATALOG_PROTO_CONVERT_H_
#define FEEDGOV_ENGINE_CATALOG_PROTO_CONVERT_H_

#include "absl/status/statusor.h"
#include "engine/common/types.h"
#include "feedgov/v1/label.pb.h"
#include "feedgov/v1/snapshot.pb.h"

namespace feedgov {

v1::LabelSource LabelSourceToProto(LabelSource source);
// INVALID_ARGUMENT "label source 0 is unspecified or unknown".
absl::StatusOr<LabelSource> LabelSourceFromProto(v1::LabelSource source);

v1::ItemLabel LabelToProto(const Label& label);
// Fails only on an invalid source: INVALID_ARGUMENT "label 'x': label source
// 0 is unspecified or unknown; want MODEL, REVIEWER or MAPPING". Other fields are copied
// as they are (validation is LabelTable's job).
absl::StatusOr<Label> LabelFromProto(const v1::ItemLabel& proto);

void ItemToProto(const Item& item, v1::SnapshotItem* proto);
Item ItemFromProto(const v1::SnapshotItem& proto);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_PROTO_CONVERT_H_
