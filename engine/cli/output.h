// File: engine/cli/output.h
//
// Rendering of CLI results: aligned tables for people, JSON for scripts.
#ifndef FEEDGOV_ENGINE_CLI_OUTPUT_H_
#define FEEDGOV_ENGINE_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/common/json.h"
#include "engine/rank/feed_engine.h"

namespace feedgov::cli {

// JSON string literal with RFC 8259 escaping (quotes included).
using ::feedgov::JsonString;  // engine/common/json.h

// A simple aligned text table; cells wider than `max_width` are cut with "…".
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        size_t max_width = 48);

// `feedgov rank` output. Table: header lines (policy, surface, path), then
// position, key-slot mark, item id, title, score, reasons, labels, then the
// governance counters and degradations. JSON: one object with `items`
// (position, item_id, title, score, reasons, key_slot, labels), and
// `next_page_token`, `personalized`, `policy`, `counters`, `degradations`.
// Each label in JSON is FormatLabelJson.
std::string FormatRankTable(const RankResponse& response);
std::string FormatRankJson(const RankResponse& response);

std::string FormatLabels(const std::vector<Label>& labels);

// "MODEL", "REVIEWER", "MAPPING" (the API's LabelSource names without the
// prefix).
absl::string_view LabelSourceName(LabelSource source);

// One label with its provenance, as JSON: {"name", "confidence" (for MODEL
// labels the calibrated probability), "source", "origin" (empty when
// unknown), and "raw_score" only when the label has one (MODEL labels)}.
std::string FormatLabelJson(const Label& label);

// The labels of one item for people ("why"): one line each, indented by
// `indent` spaces, columns label, confidence, source, origin, raw score
// ("-" when unknown); "(none)" when there are none.
std::string FormatLabelProvenance(const std::vector<Label>& labels,
                                  int indent);

}  // namespace feedgov::cli

#endif  // FEEDGOV_ENGINE_CLI_OUTPUT_H_
