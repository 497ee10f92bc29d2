#include "engine/service/convert.h"

#include "engine/catalog/proto_convert.h"

#include "absl/strings/str_cat.h"
#include "engine/common/reasons.h"
#include "engine/common/status_macros.h"

namespace feedgov::service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  absl::string_view message = status.message();
  std::string out(Utf8Prefix(message, kMaxErrorMessageBytes));
  if (out.size() < message.size()) out += "\xe2\x80\xa6";
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), out);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

// The deprecated seconds fields are read and written here, at the API
// edge, on purpose (and in engine/catalog/proto_convert.cc for the files).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

void LabelToProto(const Label& label, v1::ItemLabel* out) {
  *out = ::feedgov::LabelToProto(label);  // Sets time_unix_s.
  out->set_time_unix_us(ApiMicros(label.time));
}

absl::StatusOr<Label> LabelFromProto(const v1::ItemLabel& label) {
  return ApiLabelFromProto(label);
}

absl::StatusOr<UnixSeconds> FirstSeenFromProto(const v1::CatalogItem& item) {
  return ApiFirstSeen(item);
}

#pragma GCC diagnostic pop

void RankResponseToProto(const RankResponse& in, v1::RankResponse* out) {
  for (const RankedItem& item : in.items) {
    v1::RankedItem* o = out->add_items();
    o->set_position(item.position);
    o->set_item_id(item.item_id);
    o->set_title(item.title);
    o->set_score(item.score);
    for (const std::string& r : ReasonNames(item.reasons)) o->add_reasons(r);
    o->set_key_slot(item.key_slot);
    for (const Label& l : item.labels) LabelToProto(l, o->add_labels());
    o->set_pin_id(item.pin_id);
  }
  out->set_next_page_token(in.next_page_token);
  out->set_personalized(in.personalized);
  out->set_surface(in.surface);
  out->set_surface_has_key_slots(in.surface_has_key_slots);
  out->set_policy_id(in.policy_id);
  out->set_policy_version(in.policy_version);
  const GovernanceCounters& c = in.counters;
  v1::GovernanceCounters* oc = out->mutable_counters();
  for (const auto& [label, n] : c.dropped_by_label) {
    (*oc->mutable_dropped_by_label())[label] = n;
  }
  oc->set_label_errors(c.label_errors);
  oc->set_kept_out_of_key_slots(c.kept_out_of_key_slots);
  oc->set_quota_required(c.quota_required);
  oc->set_quota_met(c.quota_met);
  oc->set_quota_shortfall(c.quota_shortfall);
  oc->set_unfilled_key_slots(c.unfilled_key_slots);
  oc->set_pins_applied(c.pins_applied);
  oc->set_pins_blocked(c.pins_blocked);
  oc->set_suppressed(c.suppressed);
  for (const std::string& d : in.degradations) out->add_degradations(d);
  const AppliedSettings& a = in.settings;
  v1::AppliedSettings* os = out->mutable_settings();
  os->set_source(std::string(SettingsSourceName(a.source)));
  os->set_user_personalization(a.user_personalization);
  os->set_user_minors(a.user_minors);
  os->set_personalization(a.personalization);
  os->set_minors(a.minors);
  os->set_deleted_tags(a.deleted_tags);
  os->set_added_tags(a.added_tags);
  os->set_muted_authors(a.muted_authors);
  os->set_not_interested(a.not_interested);
  os->set_see_less(a.see_less);
}

RankResponse RankResponseFromProto(const v1::RankResponse& in) {
  const std::vector<std::string> all = ReasonNames(~0u);
  RankResponse out;
  for (const v1::RankedItem& o : in.items()) {
    RankedItem item;
    item.position = o.position();
    item.item_id = o.item_id();
    item.title = o.title();
    item.score = o.score();
    for (const std::string& r : o.reasons()) {
      for (size_t bit = 0; bit < all.size(); ++bit) {
        if (all[bit] == r) item.reasons |= 1u << bit;
      }
    }
    item.key_slot = o.key_slot();
    for (const v1::ItemLabel& l : o.labels()) {
      auto label = LabelFromProto(l);
      if (label.ok()) item.labels.push_back(*label);
    }
    item.pin_id = o.pin_id();
    out.items.push_back(std::move(item));
  }
  out.next_page_token = in.next_page_token();
  out.personalized = in.personalized();
  out.surface = in.surface();
  out.surface_has_key_slots = in.surface_has_key_slots();
  out.policy_id = in.policy_id();
  out.policy_version = in.policy_version();
  const v1::GovernanceCounters& oc = in.counters();
  GovernanceCounters& c = out.counters;
  for (const auto& [label, n] : oc.dropped_by_label()) c.dropped_by_label[label] = n;
  c.label_errors = oc.label_errors();
  c.kept_out_of_key_slots = oc.kept_out_of_key_slots();
  c.quota_required = oc.quota_required();
  c.quota_met = oc.quota_met();
  c.quota_shortfall = oc.quota_shortfall();
  c.unfilled_key_slots = oc.unfilled_key_slots();
  c.pins_applied = oc.pins_applied();
  c.pins_blocked = oc.pins_blocked();
  c.suppressed = oc.suppressed();
  out.degradations.assign(in.degradations().begin(), in.degradations().end());
  const v1::AppliedSettings& os = in.settings();
  AppliedSettings& a = out.settings;
  for (SettingsSource source :
       {SettingsSource::kNone, SettingsSource::kStored, SettingsSource::kDefaults,
        SettingsSource::kOverride}) {
    if (os.source() == SettingsSourceName(source)) a.source = source;
  }
  a.user_personalization = os.user_personalization();
  a.user_minors = os.user_minors();
  a.personalization = os.personalization();
  a.minors = os.minors();
  a.deleted_tags = os.deleted_tags();
  a.added_tags = os.added_tags();
  a.muted_authors = os.muted_authors();
  a.not_interested = os.not_interested();
  a.see_less = os.see_less();
  return out;
}

int64_t ToUnixMicrosOrZero(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return 0;
  return absl::ToUnixMicros(t);
}

absl::StatusOr<Intervention> InterventionFromProto(const v1::Intervention& in,
                                                   absl::Time now) {
  Intervention out;
  switch (in.kind()) {
    case v1::INTERVENTION_KIND_PIN: out.kind = InterventionKind::kPin; break;
    case v1::INTERVENTION_KIND_SUPPRESS_ITEM:
      out.kind = InterventionKind::kSuppressItem; break;
    case v1::INTERVENTION_KIND_SUPPRESS_AUTHOR:
      out.kind = InterventionKind::kSuppressAuthor; break;
    case v1::INTERVENTION_KIND_SUPPRESS_NEAR_DUPLICATES:
      out.kind = InterventionKind::kSuppressNearDuplicates; break;
    case v1::INTERVENTION_KIND_BOOST: out.kind = InterventionKind::kBoost; break;
    case v1::INTERVENTION_KIND_BURY: out.kind = InterventionKind::kBury; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "intervention.kind ", in.kind(),
          " unspecified or unknown; want PIN, SUPPRESS_ITEM, SUPPRESS_AUTHOR, "
          "SUPPRESS_NEAR_DUPLICATES, BOOST or BURY"));
  }
  if (out.kind == InterventionKind::kPin &&
      (in.position() < 1 || in.position() > kMaxPinPosition)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "intervention.position ", in.position(), " outside [1, ",
        kMaxPinPosition, "] (positions are 1-based)"));
  }
  out.position = out.kind == InterventionKind::kPin ? in.position() - 1 : 0;
  out.item_id = in.item_id();
  out.author = in.author();
  out.surface = in.surface();
  out.factor = in.kind() == v1::INTERVENTION_KIND_BOOST ||
                       in.kind() == v1::INTERVENTION_KIND_BURY
                   ? in.factor()
                   : 1.0;
  out.cosine_threshold = in.cosine_threshold();
  out.editor = in.editor();
  out.reason = in.reason();
  out.article_ref = in.article_ref();
  if (in.start_unix_us() < 0 || in.end_unix_us() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "intervention window (start_unix_us ", in.start_unix_us(),
        ", end_unix_us ", in.end_unix_us(),
        ") must be >= 0 (Unix microseconds UTC; 0: now / no end)"));
  }
  out.time_zone = in.time_zone();
  out.start = in.start_unix_us() == 0 ? now : absl::FromUnixMicros(in.start_unix_us());
  out.end = in.end_unix_us() == 0 ? absl::InfiniteFuture()
                                  : absl::FromUnixMicros(in.end_unix_us());
  return out;
}

void InterventionToProto(const Intervention& in, v1::Intervention* out) {
  out->set_id(in.id);
  static constexpr v1::InterventionKind kKinds[] = {
      v1::INTERVENTION_KIND_PIN, v1::INTERVENTION_KIND_SUPPRESS_ITEM,
      v1::INTERVENTION_KIND_SUPPRESS_AUTHOR,
      v1::INTERVENTION_KIND_SUPPRESS_NEAR_DUPLICATES, v1::INTERVENTION_KIND_BOOST,
      v1::INTERVENTION_KIND_BURY};
  out->set_kind(kKinds[static_cast<int>(in.kind)]);
  out->set_item_id(in.item_id);
  out->set_author(in.author);
  out->set_surface(in.surface);
  out->set_position(in.kind == InterventionKind::kPin ? in.position + 1 : 0);
  out->set_factor(in.factor);
  out->set_cosine_threshold(in.cosine_threshold);
  out->set_editor(in.editor);
  out->set_reason(in.reason);
  out->set_article_ref(in.article_ref);
  out->set_created_unix_us(ToUnixMicrosOrZero(in.created));
  out->set_start_unix_us(ToUnixMicrosOrZero(in.start));
  out->set_end_unix_us(ToUnixMicrosOrZero(in.end));
  out->set_revoked(in.revoked);
  out->set_time_zone(in.time_zone);
}

void AuditEntryToProto(const AuditEntry& in, v1::AuditEntry* out) {
  out->set_seq(in.seq);
  out->set_time_unix_us(ToUnixMicrosOrZero(in.event.time));
  out->set_actor(in.event.actor);
  out->set_action(std::string(AuditActionName(in.event.action)));
  out->set_intervention_id(in.event.intervention_id);
  out->set_before(in.event.before);
  out->set_after(in.event.after);
  out->set_message(in.event.message);
  out->set_prev_hash(in.prev_hash);
  out->set_hash(in.hash);
}

void UserSettingsToProto(const UserSettings& in, v1::UserSettings* out) {
  out->set_user_id(in.user);
  out->set_personalization(in.personalization);
  out->set_minors(in.minors);
  for (const std::string& t : in.deleted_tags) out->add_deleted_tags(t);
  for (const std::string& t : in.added_tags) out->add_added_tags(t);
  for (const std::string& a : in.muted_authors) out->add_muted_authors(a);
  for (ItemId id : in.not_interested) out->add_not_interested_item_ids(id);
  for (ItemId id : in.see_less) out->add_see_less_item_ids(id);
}

void InterestTagToProto(const InterestTag& in, v1::InterestTag* out) {
  out->set_tag(in.tag);
  out->set_weight(in.weight);
  out->set_origin(in.added ? "added" : "history");
  out->set_rated_items(in.items);
}

void ExplanationToProto(const Explanation& in, v1::WhyResponse* out) {
  out->set_sentence(in.sentence);
  for (const std::string& r : in.reason_names) out->add_reasons(r);
  out->set_item_id(in.item);
  out->set_title(in.title);
  out->set_surface(in.surface);
  out->set_position(in.position);
  if (in.because_of) out->set_because_of_item_id(*in.because_of);
  for (const Label& l : in.labels) LabelToProto(l, out->add_labels());
  out->set_awaiting_review(in.awaiting_review);
}

}  // namespace feedgov::service
