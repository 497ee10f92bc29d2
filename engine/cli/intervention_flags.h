// File: engine/cli/intervention_flags.h
//
// The flags of an intervention write, shared by the offline commands
// (`feedgov pin|suppress|boost|bury --state-dir ...`) and the API client
// (`feedgov client pin|suppress|boost|bury --server ...`), so that both take
// the same flags with the same meaning and the same errors. Each path adds
// its own: offline --state-dir --snapshot --policy --editor; the client
// --server --token-file --tls-ca (the token's name is the editor).
//
// Window flags: --start and --end take RFC 3339 with an offset, or, with
// --zone NAME (IANA, e.g. Asia/Shanghai), a local time "2027-01-01T09:00"
// or a date "2027-01-01" (--start: the first instant of that day; --end: the
// window includes the whole day, ending at the next day's first instant).
// DST gaps and folds are refused (engine/common/time_util.h). The zone is
// stored with the intervention and windows are shown back in it.
#ifndef FEEDGOV_ENGINE_CLI_INTERVENTION_FLAGS_H_
#define FEEDGOV_ENGINE_CLI_INTERVENTION_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/cli/flags.h"
#include "engine/intervention/intervention.h"

namespace feedgov::cli {

enum class EditorVerb { kPin, kSuppress, kBoost, kBury };

// "pin", "suppress", "boost", "bury".
std::string EditorVerbName(EditorVerb verb);

// The verb's flags: its target (--item/--position, --item/--author/
// --near-duplicates-of/--threshold, --item/--factor), --surface, --reason,
// --article, --start, --end, --zone, --replace.
std::vector<FlagSpec> EditorVerbFlags(EditorVerb verb);

// Those flags for a usage line, e.g. "--item ID --position N [--surface
// home] --reason R [--article A] [--start T] [--end T] [--zone Z]
// [--replace ID]".
std::string EditorVerbUsage(EditorVerb verb);

struct EditorWrite {
  // Everything but the editor, id and created. start is `now` unless
  // start_given.
  Intervention intervention;
  bool start_given = false;
  std::string replaces;  // --replace: the id this one replaces; "" = none.
};

// Builds the write from parsed flags. INVALID_ARGUMENT naming the flag
// ("--position 0 outside [1, 500]", "give exactly one of --item, --author,
// --near-duplicates-of", the window errors of ParseWindowTime). Field
// checks beyond the flags are the engine's (ValidateIntervention).
absl::StatusOr<EditorWrite> EditorWriteFromFlags(EditorVerb verb,
                                                 const ParsedFlags& f,
                                                 absl::Time now);

// "pin item 318 at position 8 on surface home" (1-based, as entered).
std::string DescribeIntervention(const Intervention& iv);

// The window in the zone it was entered in:
// "2027-01-01T00:00:00+08:00 .. 2027-02-01T00:00:00+08:00 (Asia/Shanghai)",
// "2027-01-01T01:00:00Z .. (no end)".
std::string FormatWindow(const Intervention& iv);

}  // namespace feedgov::cli

#endif  // FEEDGOV_ENGINE_CLI_INTERVENTION_FLAGS_H_
