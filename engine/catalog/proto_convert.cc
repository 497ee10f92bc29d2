#include "engine/catalog/proto_convert.h"

#include "absl/strings/str_cat.h"

namespace feedgov {

v1::LabelSource LabelSourceToProto(LabelSource source) {
  switch (source) {
    case LabelSource::kModel:
      return v1::LABEL_SOURCE_MODEL;
    case LabelSource::kReviewer:
      return v1::LABEL_SOURCE_REVIEWER;
    case LabelSource::kMapping:
      return v1::LABEL_SOURCE_MAPPING;
  }
  return v1::LABEL_SOURCE_UNSPECIFIED;
}

absl::StatusOr<LabelSource> LabelSourceFromProto(v1::LabelSource source) {
  switch (source) {
    case v1::LABEL_SOURCE_MODEL:
      return LabelSource::kModel;
    case v1::LABEL_SOURCE_REVIEWER:
      return LabelSource::kReviewer;
    case v1::LABEL_SOURCE_MAPPING:
      return LabelSource::kMapping;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("label source ", source, " is unspecified or unknown"));
  }
}

// ItemLabel.time_unix_s is deprecated in the API (time_unix_us replaces
// it, engine/service/convert.cc); snapshot and journal files keep it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

v1::ItemLabel LabelToProto(const Label& label) {
  v1::ItemLabel p;
  p.set_name(label.name);
  p.set_confidence(label.confidence);
  p.set_source(LabelSourceToProto(label.source));
  p.set_time_unix_s(label.time);
  if (!label.origin.empty()) p.set_origin(label.origin);
  if (label.score >= 0.0f) p.set_raw_score(label.score);
  return p;
}

absl::StatusOr<Label> LabelFromProto(const v1::ItemLabel& p) {
  absl::StatusOr<LabelSource> source = LabelSourceFromProto(p.source());
  if (!source.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("label '", p.name(), "': ", source.status().message(),
                     "; want MODEL, REVIEWER or MAPPING"));
  }
  Label label;
  label.name = p.name();
  label.confidence = p.confidence();
  label.source = *source;
  label.time = p.time_unix_s();
  label.origin = p.origin();
  if (*source == LabelSource::kModel && p.raw_score() != 0.0f) {
    label.score = p.raw_score();
  }
  return label;
}

#pragma GCC diagnostic pop

void ItemToProto(const Item& item, v1::SnapshotItem* p) {
  p->set_id(item.id);
  p->set_title(item.title);
  for (const auto& g : item.genres) p->add_genres(g);
  for (const auto& t : item.tags) p->add_tags(t);
  p->set_author(item.author);
  p->set_first_seen_unix_s(item.first_seen);
  p->set_last_interaction_unix_s(item.last_interaction);
  p->set_num_ratings(item.num_ratings);
  p->set_mean_rating(item.mean_rating);
  p->set_decayed_popularity(item.decayed_popularity);
}

Item ItemFromProto(const v1::SnapshotItem& p) {
  Item item;
  item.id = p.id();
  item.title = p.title();
  item.genres.assign(p.genres().begin(), p.genres().end());
  item.tags.assign(p.tags().begin(), p.tags().end());
  item.author = p.author();
  item.first_seen = p.first_seen_unix_s();
  item.last_interaction = p.last_interaction_unix_s();
  item.num_ratings = p.num_ratings();
  item.mean_rating = p.mean_rating();
  item.decayed_popularity = p.decayed_popularity();
  return item;
}

}  // namespace feedgov
