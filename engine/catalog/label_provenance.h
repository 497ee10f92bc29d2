// File: engine/catalog/label_provenance.h
//
// Which label of an item wins when several origins speak about the same
// label name (the catalog holds each name once per item, item_limits.h), and
// how a labeler's fresh output is merged into an item's stored labels
// (docs/labelers.md "Provenance"; issue 14 item 5).
//
// Precedence between two labels of the same name:
//   * a REVIEWER label (a person's decision) outranks MODEL and MAPPING
//     labels, whatever the confidences (a moderator's bad.clickbait at
//     confidence 0 clears a labeler's 0.95);
//   * between MODEL and MAPPING labels (and between the MODEL labels of two
//     labelers) the higher confidence wins;
//   * on a tie the label already there stays.
// The governance verdict applies the first rule too (verdict.h): a
// non-reviewer label is ignored when the item has a reviewer label of the
// same name.
//
// Thread-safety: pure functions.
#ifndef FEEDGOV_ENGINE_CATALOG_LABEL_PROVENANCE_H_
#define FEEDGOV_ENGINE_CATALOG_LABEL_PROVENANCE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/common/types.h"

namespace feedgov {

// "labeler:<labeler_name>@": the origin prefix of every version of a
// labeler's labels (types.h).
std::string LabelerOriginPrefix(absl::string_view labeler_name);

// True when `label` is labeler `labeler_name`'s output, of any version:
// source kModel and origin "labeler:<labeler_name>@<version>". A labeler
// whose name merely starts with `labeler_name` does not match, nor does a
// label with no origin (stored before provenance existed).
bool IsFromLabeler(const Label& label, absl::string_view labeler_name);

// True when `challenger` takes the place of `incumbent`, a label of the same
// name already on the item (the precedence above): a reviewer label over any
// other; else, among labels of the same rank, a strictly higher confidence.
bool Outranks(const Label& challenger, const Label& incumbent);

// The labels an item holds after labeler `labeler_name` labelled it again
// and produced `fresh` (its labels of source kModel, origin
// "labeler:<labeler_name>@<version>"):
//  1. every stored label IsFromLabeler(labeler_name) is removed (any
//     version: a new version replaces the old one's output, and a name it no
//     longer emits is gone);
//  2. each fresh label, in order, is added unless a label of the same name
//     is already there that it does not outrank (Outranks): a stored
//     REVIEWER label always stays (a new labeler version never undoes a
//     moderator's label); a stored MAPPING label, another labeler's MODEL
//     label or one without origin stays when its confidence is >= the
//     fresh one's, and is replaced otherwise; of two fresh labels of one
//     name the first with the highest confidence is kept.
// Order: the stored labels that stay, in their order, then the fresh
// labels taken, in theirs. When `stored` holds each name once, so does the
// result. A label replaced in step 2 is not restored by a later merge of
// this labeler; its own origin restores it when it labels the item again.
std::vector<Label> MergeLabelerOutput(const std::vector<Label>& stored,
                                      absl::string_view labeler_name,
                                      std::vector<Label> fresh);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_LABEL_PROVENANCE_H_
