#include "engine/cli/output.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/common/reasons.h"

namespace feedgov::cli {
namespace {

// Display width of UTF-8 text: code points, not bytes (close enough for
// Latin titles; CJK counts one per character).
size_t Width(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Cut(const std::string& s, size_t max_width) {
  if (Width(s) <= max_width) return s;
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if ((c & 0xC0) != 0x80) {
      if (w + 1 >= max_width) break;
      ++w;
    }
    out.push_back(s[i]);
  }
  return out + "…";
}

const char* Bool(bool b) { return b ? "true" : "false"; }

std::string Pad(const std::string& s, size_t width) {
  size_t w = Width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

}  // namespace

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        size_t max_width) {
  std::vector<size_t> widths(header.size(), 0);
  auto cells = rows;
  for (auto& row : cells) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      row[i] = Cut(row[i], max_width);
    }
  }
  for (size_t i = 0; i < header.size(); ++i) widths[i] = Width(header[i]);
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      absl::StrAppend(&l, i ? "  " : "", Pad(cell, widths[i]));
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    absl::StrAppend(&out, l, "\n");
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : widths) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : cells) line(row);
  return out;
}

std::string FormatLabels(const std::vector<Label>& labels) {
  std::vector<std::string> parts;
  for (const Label& l : labels) {
    parts.push_back(absl::StrFormat("%s:%.2f", l.name, l.confidence));
  }
  return absl::StrJoin(parts, " ");
}

absl::string_view LabelSourceName(LabelSource source) {
  switch (source) {
    case LabelSource::kModel: return "MODEL";
    case LabelSource::kReviewer: return "REVIEWER";
    case LabelSource::kMapping: return "MAPPING";
  }
  return "UNKNOWN";
}

std::string FormatLabelJson(const Label& l) {
  return absl::StrFormat(
      "{\"name\":%s,\"confidence\":%.4g,\"source\":%s,\"origin\":%s%s}",
      JsonString(l.name), l.confidence, JsonString(LabelSourceName(l.source)),
      JsonString(l.origin),
      l.score >= 0.0f ? absl::StrFormat(",\"raw_score\":%.4g", l.score) : "");
}

std::string FormatLabelProvenance(const std::vector<Label>& labels,
                                  int indent) {
  const std::string pad(indent, ' ');
  if (labels.empty()) return absl::StrCat(pad, "(none)\n");
  std::vector<std::vector<std::string>> rows;
  for (const Label& l : labels) {
    rows.push_back({l.name, absl::StrFormat("%.2f", l.confidence),
                    std::string(LabelSourceName(l.source)),
                    l.origin.empty() ? "-" : l.origin,
                    l.score >= 0.0f ? absl::StrFormat("%.2f", l.score) : "-"});
  }
  const std::string table = FormatTable(
      {"label", "confidence", "source", "origin", "raw score"}, rows,
      /*max_width=*/80);
  std::string out;
  for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, pad, line, "\n");
  }
  return out;
}

std::string FormatRankTable(const RankResponse& r) {
  std::string out = absl::StrFormat(
      "surface %s · policy %s v%d · %s\n", r.surface, r.policy_id,
      r.policy_version, r.personalized ? "personalized" : "non-personalized");
  std::vector<std::vector<std::string>> rows;
  for (const RankedItem& item : r.items) {
    rows.push_back({absl::StrCat(item.position), item.key_slot ? "KEY" : "",
                    absl::StrCat(item.item_id), item.title,
                    (item.reasons & kEditorPin) ? std::string("pinned")
                                                : absl::StrFormat("%.4f", item.score),
                    absl::StrJoin(ReasonNames(item.reasons), ","),
                    FormatLabels(item.labels)});
  }
  absl::StrAppend(&out, FormatTable({"pos", "slot", "item", "title", "score",
                                     "reasons", "labels"},
                                    rows));
  const GovernanceCounters& c = r.counters;
  std::vector<std::string> dropped;
  for (const auto& [label, n] : c.dropped_by_label) {
    dropped.push_back(absl::StrCat(label, "=", n));
  }
  absl::StrAppend(
      &out,
      absl::StrFormat("governance: quota %d/%d (short %d), kept out of key "
                      "slots %d, unfilled key slots %d, pins %d applied / %d "
                      "blocked, suppressed %d, label errors %d\n",
                      c.quota_met, c.quota_required, c.quota_shortfall,
                      c.kept_out_of_key_slots, c.unfilled_key_slots,
                      c.pins_applied, c.pins_blocked, c.suppressed,
                      c.label_errors));
  if (!dropped.empty()) {
    absl::StrAppend(&out, "dropped catalog-wide: ", absl::StrJoin(dropped, " "),
                    "\n");
  }
  if (r.settings.source != SettingsSource::kNone) {
    const AppliedSettings& a = r.settings;
    auto on = [](bool b) { return b ? "on" : "off"; };
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "user settings (%s): the user's personalization %s, minors %s; "
            "this page: personalization %s, minors %s; tags deleted %d, "
            "added %d; muted authors %d; not interested %d; see less %d\n",
            a.source == SettingsSource::kDefaults
                ? "defaults: no --state-dir"
                : absl::AsciiStrToLower(SettingsSourceName(a.source)),
            on(a.user_personalization), on(a.user_minors),
            a.personalization ? "allowed" : "off", on(a.minors),
            a.deleted_tags, a.added_tags, a.muted_authors, a.not_interested,
            a.see_less));
  }
  for (const std::string& d : r.degradations) {
    absl::StrAppend(&out, "degraded: ", d, "\n");
  }
  absl::StrAppend(&out, "next_page_token: ",
                  r.next_page_token.empty() ? "(end of feed)" : r.next_page_token,
                  "\n");
  return out;
}

std::string FormatRankJson(const RankResponse& r) {
  std::vector<std::string> items;
  for (const RankedItem& item : r.items) {
    std::vector<std::string> reasons, labels;
    for (const std::string& n : ReasonNames(item.reasons)) {
      reasons.push_back(JsonString(n));
    }
    for (const Label& l : item.labels) labels.push_back(FormatLabelJson(l));
    items.push_back(absl::StrFormat(
        "{\"position\":%d,\"item_id\":%d,\"title\":%s,\"score\":%.17g,"
        "\"reasons\":[%s],\"key_slot\":%s,\"labels\":[%s]%s}",
        item.position, item.item_id, JsonString(item.title), item.score,
        absl::StrJoin(reasons, ","), item.key_slot ? "true" : "false",
        absl::StrJoin(labels, ","),
        item.pin_id.empty() ? ""
                            : absl::StrCat(",\"pin_id\":", JsonString(item.pin_id))));
  }
  const GovernanceCounters& c = r.counters;
  std::vector<std::string> dropped, degradations;
  for (const auto& [label, n] : c.dropped_by_label) {
    dropped.push_back(absl::StrCat(JsonString(label), ":", n));
  }
  for (const std::string& d : r.degradations) degradations.push_back(JsonString(d));
  const AppliedSettings& a = r.settings;
  const std::string settings = absl::StrFormat(
      "{\"source\":%s,\"user_personalization\":%s,\"user_minors\":%s,"
      "\"personalization\":%s,\"minors\":%s,\"deleted_tags\":%d,"
      "\"added_tags\":%d,\"muted_authors\":%d,\"not_interested\":%d,"
      "\"see_less\":%d}",
      JsonString(SettingsSourceName(a.source)), Bool(a.user_personalization),
      Bool(a.user_minors), Bool(a.personalization), Bool(a.minors),
      a.deleted_tags, a.added_tags, a.muted_authors, a.not_interested,
      a.see_less);
  return absl::StrFormat(
      "{\"surface\":%s,\"policy\":{\"id\":%s,\"version\":%d},"
      "\"personalized\":%s,\"items\":[%s],\"next_page_token\":%s,"
      "\"counters\":{\"quota_required\":%d,\"quota_met\":%d,"
      "\"quota_shortfall\":%d,\"kept_out_of_key_slots\":%d,"
      "\"unfilled_key_slots\":%d,\"pins_applied\":%d,\"pins_blocked\":%d,"
      "\"suppressed\":%d,\"label_errors\":%d,\"dropped_by_label\":{%s}},"
      "\"degradations\":[%s],\"settings\":%s}\n",
      JsonString(r.surface), JsonString(r.policy_id), r.policy_version,
      r.personalized ? "true" : "false", absl::StrJoin(items, ","),
      JsonString(r.next_page_token), c.quota_required, c.quota_met,
      c.quota_shortfall, c.kept_out_of_key_slots, c.unfilled_key_slots,
      c.pins_applied, c.pins_blocked, c.suppressed, c.label_errors,
      absl::StrJoin(dropped, ","), absl::StrJoin(degradations, ","), settings);
}

}  // namespace feedgov::cli
