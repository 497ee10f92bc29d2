// Fuzz target: the conversion and validation of API requests into the
// engine's types (engine/service/convert.h, feed_service.h,
// catalog_service.h, user_control_service.h, request_gate.h). Input: byte 0
// picks the request message, byte 1 the calling principal (role, bound
// user), the rest is parsed as that message's wire bytes (an unparsable
// message is what gRPC rejects before our code runs).
// Properties: every accepted request has every field in its documented
// range (a sanitized RankRequest, a valid Intervention, labels that pass
// the catalog writer's ValidateLabel or are rejected by it, the acting
// user the principal may act for); conversions are faithful (the engine
// intervention converts back to the same API message); errors are
// INVALID_ARGUMENT or PERMISSION_DENIED, never a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "engine/catalog/label_table.h"
#include "engine/intervention/intervention.h"
#include "engine/response/page_token.h"
#include "engine/service/catalog_service.h"
#include "engine/service/convert.h"
#include "engine/service/feed_service.h"
#include "engine/service/request_gate.h"
#include "engine/service/user_control_service.h"
#include "feedgov/v1/catalog_service.pb.h"
#include "feedgov/v1/editor_service.pb.h"
#include "feedgov/v1/feed_service.pb.h"
#include "feedgov/v1/user_control_service.pb.h"
#include "fuzz/fuzz_util.h"

namespace feedgov::fuzz {
namespace {

using service::Principal;
using service::Role;

bool RejectCode(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kPermissionDenied;
}

Principal PrincipalOf(uint8_t b) {
  Principal who;
  who.role = static_cast<Role>(b % 5);
  who.name = "fuzz";
  if (who.role == Role::kUser) who.user = 1 + (b >> 3);  // 1..32
  return who;
}

void Rank(const Principal& who, absl::string_view bytes) {
  v1::RankRequest req;
  if (!req.ParseFromString(std::string(bytes))) return;
  absl::StatusOr<RankRequest> r = service::ToRankRequest(who, req);
  if (!r.ok()) {
    FEEDGOV_FUZZ_CHECK(RejectCode(r.status()));
    return;
  }
  FEEDGOV_FUZZ_CHECK(r->surface == req.surface());
  FEEDGOV_FUZZ_CHECK(r->surface.size() <= service::kMaxNameBytes);
  FEEDGOV_FUZZ_CHECK(r->page_token.size() <= service::kMaxPageTokenBytes);
  FEEDGOV_FUZZ_CHECK(r->page_size == req.page_size());
  if (req.has_user_id()) {
    FEEDGOV_FUZZ_CHECK(r->user && *r->user == req.user_id() && *r->user >= 1);
  }
  if (who.user) FEEDGOV_FUZZ_CHECK(r->user == who.user);
  if (!r->user) FEEDGOV_FUZZ_CHECK(!req.has_user_id() && !who.user);
  // The engine's own checks, as FeedEngine::Rank runs them.
  const bool size_ok = r->page_size >= 1 && r->page_size <= kMaxPageSize;
  FEEDGOV_FUZZ_CHECK(CheckPageSize(r->page_size).ok() == size_ok);
  if (!r->page_token.empty()) {
    absl::StatusOr<v1::PageTokenState> state =
        DecodePageToken(r->page_token, "fuzz-key");
    FEEDGOV_FUZZ_CHECK(state.ok() || state.status().code() ==
                                         absl::StatusCode::kInvalidArgument);
  }
}

void CheckValidIntervention(const Intervention& iv) {
  switch (iv.kind) {
    case InterventionKind::kPin:
      FEEDGOV_FUZZ_CHECK(iv.position >= 0 && iv.position < kMaxPinPosition);
      break;
    case InterventionKind::kSuppressAuthor:
      FEEDGOV_FUZZ_CHECK(!iv.author.empty());
      break;
    case InterventionKind::kSuppressNearDuplicates:
      FEEDGOV_FUZZ_CHECK(iv.cosine_threshold > 0 && iv.cosine_threshold <= 1);
      break;
    case InterventionKind::kBoost:
      FEEDGOV_FUZZ_CHECK(iv.factor > 1 && iv.factor <= kMaxBoostFactor);
      break;
    case InterventionKind::kBury:
      FEEDGOV_FUZZ_CHECK(iv.factor >= kMinBuryFactor && iv.factor < 1);
      break;
    case InterventionKind::kSuppressItem:
      break;
  }
  FEEDGOV_FUZZ_CHECK(!iv.editor.empty() &&
                     iv.editor.size() <= kMaxEditorLength);
  FEEDGOV_FUZZ_CHECK(!iv.reason.empty() &&
                     iv.reason.size() <= kMaxReasonLength);
  FEEDGOV_FUZZ_CHECK(iv.surface.size() <= kMaxShortFieldLength &&
                     iv.author.size() <= kMaxShortFieldLength &&
                     iv.article_ref.size() <= kMaxShortFieldLength);
  FEEDGOV_FUZZ_CHECK(iv.start < iv.end && iv.start != absl::InfinitePast() &&
                     iv.start != absl::InfiniteFuture());
}

// Equal, where a NaN factor or threshold equals NaN (the API carries
// doubles as given; ValidateIntervention rejects NaN).
bool SameIntervention(Intervention a, Intervention b) {
  for (auto [x, y] : {std::pair{&a.factor, &b.factor},
                      std::pair{&a.cosine_threshold, &b.cosine_threshold}}) {
    if (std::isnan(*x) && std::isnan(*y)) *x = *y = 0;
  }
  return a == b;
}

void CreateIntervention(const Principal& who, absl::string_view bytes) {
  v1::CreateInterventionRequest req;
  if (!req.ParseFromString(std::string(bytes))) return;
  const absl::Time now = absl::FromUnixSeconds(1767225600);  // 2026-01-01.
  absl::StatusOr<Intervention> iv =
      service::InterventionFromProto(req.intervention(), now);
  if (!iv.ok()) {
    FEEDGOV_FUZZ_CHECK(RejectCode(iv.status()));
    return;
  }
  // Faithful: back to the API message and again gives the same request.
  v1::Intervention back;
  service::InterventionToProto(*iv, &back);
  absl::StatusOr<Intervention> again =
      service::InterventionFromProto(back, now);
  FEEDGOV_FUZZ_CHECK(again.ok());
  FEEDGOV_FUZZ_CHECK(SameIntervention(*again, *iv));
  iv->editor = who.name;  // As EditorService does: the caller is the actor.
  absl::Status valid = ValidateIntervention(*iv);
  if (!valid.ok()) {
    FEEDGOV_FUZZ_CHECK(valid.code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  CheckValidIntervention(*iv);
}

void UpsertLabels(absl::string_view bytes) {
  v1::UpsertItemsRequest req;
  if (!req.ParseFromString(std::string(bytes))) return;
  if (!service::CheckCount("items", req.items_size(), service::kMaxUpsertBatch)
           .ok()) {
    FEEDGOV_FUZZ_CHECK(req.items_size() < 1 ||
                       req.items_size() > service::kMaxUpsertBatch);
    return;
  }
  for (const v1::CatalogItem& item : req.items()) {
    auto labels = service::LabelsFromProto(item.item_id(), item.labels());
    if (!labels.ok()) {
      FEEDGOV_FUZZ_CHECK(RejectCode(labels.status()));
      continue;
    }
    FEEDGOV_FUZZ_CHECK(static_cast<int>(labels->size()) == item.labels_size());
    FEEDGOV_FUZZ_CHECK(item.labels_size() <= service::kMaxLabelsPerItem);
    for (int i = 0; i < item.labels_size(); ++i) {
      const Label& l = (*labels)[i];
      const v1::ItemLabel& p = item.labels(i);
      FEEDGOV_FUZZ_CHECK(l.name == p.name() && l.time == p.time_unix_s());
      FEEDGOV_FUZZ_CHECK(l.name.size() <= service::kMaxNameBytes);
      FEEDGOV_FUZZ_CHECK(
          l.confidence == p.confidence() ||
          (std::isnan(l.confidence) && std::isnan(p.confidence())));
      // The catalog writer's check: a label it accepts is in range.
      if (ValidateLabel(l).ok()) {
        FEEDGOV_FUZZ_CHECK(!l.name.empty() && std::isfinite(l.confidence) &&
                           l.confidence >= 0 && l.confidence <= 1);
      }
      v1::ItemLabel round;
      service::LabelToProto(l, &round);
      auto back = service::LabelFromProto(round);
      FEEDGOV_FUZZ_CHECK(back.ok() && back->name == l.name &&
                         back->source == l.source && back->time == l.time);
    }
  }
}

void UserTag(const Principal& who, absl::string_view bytes) {
  v1::AddTagRequest req;
  if (!req.ParseFromString(std::string(bytes))) return;
  absl::StatusOr<UserId> user = service::ActingUser(who, req.user_id());
  if (!user.ok()) {
    FEEDGOV_FUZZ_CHECK(RejectCode(user.status()));
    FEEDGOV_FUZZ_CHECK(req.user_id() < 0 || (req.user_id() == 0 && !who.user) ||
                       (who.user && *who.user != req.user_id()));
  } else {
    FEEDGOV_FUZZ_CHECK(*user >= 1);
    if (req.user_id() != 0) FEEDGOV_FUZZ_CHECK(*user == req.user_id());
    if (who.user) FEEDGOV_FUZZ_CHECK(*user == *who.user);
  }
  absl::Status tag = service::CheckTag(req.tag());
  const bool blank = absl::StripAsciiWhitespace(req.tag()).empty();
  FEEDGOV_FUZZ_CHECK(
      tag.ok() == (!blank && req.tag().size() <= UserSettings::kMaxTextLength));
}

void ListTags(const Principal& who, absl::string_view bytes) {
  v1::ListTagsRequest req;
  if (!req.ParseFromString(std::string(bytes))) return;
  (void)service::ActingUser(who, req.user_id());
  FEEDGOV_FUZZ_CHECK(service::CheckTagTop("top_n", req.top_n()).ok() ==
                     (req.top_n() >= 0 && req.top_n() <= service::kMaxTagTop));
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov::fuzz;
  if (size < 2) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 2,
                                size - 2);
  const feedgov::service::Principal who = PrincipalOf(data[1]);
  switch (data[0] % 5) {
    case 0:
      Rank(who, bytes);
      break;
    case 1:
      CreateIntervention(who, bytes);
      break;
    case 2:
      UpsertLabels(bytes);
      break;
    case 3:
      UserTag(who, bytes);
      break;
    case 4:
      ListTags(who, bytes);
      break;
  }
  return 0;
}
