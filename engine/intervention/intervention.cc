#include "engine/intervention/intervention.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/common/json.h"
#include "engine/common/time_util.h"
#include "engine/store/audit_log.h"

namespace feedgov {
namespace {

constexpr struct {
  InterventionKind kind;
  absl::string_view name;
} kKindNames[] = {
    {InterventionKind::kPin, "PIN"},
    {InterventionKind::kSuppressItem, "SUPPRESS_ITEM"},
    {InterventionKind::kSuppressAuthor, "SUPPRESS_AUTHOR"},
    {InterventionKind::kSuppressNearDuplicates, "SUPPRESS_NEAR_DUPLICATES"},
    {InterventionKind::kBoost, "BOOST"},
    {InterventionKind::kBury, "BURY"},
};

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("intervention.", field, ": ", what));
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_len, bool required) {
  if (required && value.empty()) return FieldError(field, "is required");
  if (value.size() > max_len) {
    return FieldError(field, absl::StrCat("is ", value.size(),
                                          " bytes; at most ", max_len));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
      return FieldError(field, "contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckKindFields(const Intervention& iv) {
  switch (iv.kind) {
    case InterventionKind::kPin:
      if (iv.position < 0 || iv.position >= kMaxPinPosition) {
        return FieldError("position",
                          absl::StrCat("pin position must be in [0, ",
                                       kMaxPinPosition, "), got ", iv.position));
      }
      return absl::OkStatus();
    case InterventionKind::kSuppressAuthor:
      return CheckText("author", iv.author, kMaxShortFieldLength, true);
    case InterventionKind::kSuppressNearDuplicates:
      if (!(iv.cosine_threshold > 0.0 && iv.cosine_threshold <= 1.0)) {
        return FieldError("cosine_threshold",
                          absl::StrCat("must be in (0, 1], got ",
                                       iv.cosine_threshold));
      }
      return absl::OkStatus();
    case InterventionKind::kBoost:
      if (!(std::isfinite(iv.factor) && iv.factor > 1.0 &&
            iv.factor <= kMaxBoostFactor)) {
        return FieldError("factor",
                          absl::StrCat("boost factor must be in (1, ",
                                       kMaxBoostFactor, "], got ", iv.factor));
      }
      return absl::OkStatus();
    case InterventionKind::kBury:
      if (!(iv.factor >= kMinBuryFactor && iv.factor < 1.0)) {
        return FieldError("factor", absl::StrCat("bury factor must be in [",
                                                 kMinBuryFactor, ", 1), got ",
                                                 iv.factor));
      }
      return absl::OkStatus();
    case InterventionKind::kSuppressItem:
      return absl::OkStatus();
  }
  return FieldError("kind", "unknown kind");
}

std::string JsonTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "null";
  if (t == absl::InfinitePast()) return "\"-infinity\"";
  return JsonString(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()));
}

absl::Time TruncateFinite(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return t;
  return TruncateToMicros(t);
}

}  // namespace

absl::string_view InterventionKindName(InterventionKind kind) {
  for (const auto& e : kKindNames) {
    if (e.kind == kind) return e.name;
  }
  return "UNKNOWN";
}

absl::StatusOr<InterventionKind> ParseInterventionKind(absl::string_view name) {
  for (const auto& e : kKindNames) {
    if (e.name == name) return e.kind;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "intervention.kind: '", name,
      "' is not one of PIN, SUPPRESS_ITEM, SUPPRESS_AUTHOR, "
      "SUPPRESS_NEAR_DUPLICATES, BOOST, BURY"));
}

absl::Status ValidateIntervention(const Intervention& iv) {
  if (InterventionKindName(iv.kind) == "UNKNOWN") {
    return FieldError("kind", absl::StrCat("unknown kind value ",
                                           static_cast<int>(iv.kind)));
  }
  if (absl::Status s = CheckText("editor", iv.editor, kMaxEditorLength, true);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("reason", iv.reason, kMaxReasonLength, true);
      !s.ok()) {
    return s;
  }
  for (auto [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"surface", iv.surface},
        {"article_ref", iv.article_ref}}) {
    if (absl::Status s = CheckText(field, value, kMaxShortFieldLength, false);
        !s.ok()) {
      return s;
    }
  }
  if (iv.start == absl::InfinitePast() || iv.start == absl::InfiniteFuture()) {
    return FieldError("start", "must be a finite time");
  }
  if (!iv.time_zone.empty()) {
    absl::StatusOr<absl::TimeZone> zone =
        LoadIanaZone("intervention.time_zone", iv.time_zone);
    if (!zone.ok()) return zone.status();
  }
  if (!(iv.start < iv.end)) {
    return FieldError("end", absl::StrCat("window must satisfy start < end; got "
                                          "start ", JsonTime(iv.start),
                                          ", end ", JsonTime(iv.end)));
  }
  return CheckKindFields(iv);
}

std::string SerializeIntervention(const Intervention& iv) {
  return absl::StrCat(
      "{\"id\":", JsonString(iv.id),
      ",\"kind\":", JsonString(InterventionKindName(iv.kind)),
      ",\"item_id\":", iv.item_id, ",\"author\":", JsonString(iv.author),
      ",\"surface\":", JsonString(iv.surface), ",\"position\":", iv.position,
      ",\"factor\":", absl::StrFormat("%.17g", iv.factor),
      ",\"cosine_threshold\":", absl::StrFormat("%.17g", iv.cosine_threshold),
      ",\"editor\":", JsonString(iv.editor),
      ",\"reason\":", JsonString(iv.reason),
      ",\"article_ref\":", JsonString(iv.article_ref),
      ",\"created\":", JsonTime(iv.created), ",\"start\":", JsonTime(iv.start),
      ",\"end\":", JsonTime(iv.end),
      iv.time_zone.empty()
          ? ""
          : absl::StrCat(",\"time_zone\":", JsonString(iv.time_zone)),
      ",\"revoked\":", iv.revoked ? "true" : "false", "}");
}

Intervention NormalizeTimes(Intervention iv) {
  iv.created = TruncateFinite(iv.created);
  iv.start = TruncateFinite(iv.start);
  iv.end = TruncateFinite(iv.end);
  return iv;
}

InterventionRecord ToRecord(const Intervention& iv) {
  InterventionRecord r;
  r.id = iv.id;
  r.kind = std::string(InterventionKindName(iv.kind));
  r.item_id = iv.item_id;
  r.author = iv.author;
  r.surface = iv.surface;
  r.position = iv.position;
  r.factor = iv.factor;
  r.cosine_threshold = iv.cosine_threshold;
  r.editor = iv.editor;
  r.reason = iv.reason;
  r.article_ref = iv.article_ref;
  r.created = iv.created;
  r.start = iv.start;
  r.end = iv.end;
  r.time_zone = iv.time_zone;
  r.revoked = iv.revoked;
  return r;
}

absl::StatusOr<Intervention> FromRecord(const InterventionRecord& r) {
  absl::StatusOr<InterventionKind> kind = ParseInterventionKind(r.kind);
  if (!kind.ok()) {
    return absl::DataLossError(absl::StrCat("stored intervention ", r.id, ": ",
                                            kind.status().message()));
  }
  Intervention iv;
  iv.id = r.id;
  iv.kind = *kind;
  iv.item_id = r.item_id;
  iv.author = r.author;
  iv.surface = r.surface;
  iv.position = r.position;
  iv.factor = r.factor;
  iv.cosine_threshold = r.cosine_threshold;
  iv.editor = r.editor;
  iv.reason = r.reason;
  iv.article_ref = r.article_ref;
  iv.created = r.created;
  iv.start = r.start;
  iv.end = r.end;
  iv.time_zone = r.time_zone;
  iv.revoked = r.revoked;
  return iv;
}

}  // namespace feedgov
