#include "engine/cli/intervention_flags.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/common/time_util.h"

namespace feedgov::cli {
namespace {

const FlagSpec kReason{"reason", "Why (shown to compliance staff)", "", true};
const FlagSpec kArticle{"article", "Legal basis, e.g. 'Gov. Art. 11'", ""};
const FlagSpec kStart{
    "start",
    "Window start: RFC 3339 with an offset, or with --zone a local time "
    "(2027-01-01T09:00) or a date (2027-01-01: its first instant) "
    "(default: now)",
    ""};
const FlagSpec kEnd{
    "end",
    "Window end, exclusive: RFC 3339 with an offset, or with --zone a local "
    "time, or a date (2027-01-31: the window includes all of that day) "
    "(default: none)",
    ""};
const FlagSpec kZone{
    "zone",
    "IANA time zone for --start/--end without an offset, e.g. Asia/Shanghai; "
    "stored, and the window is shown back in it. Local times inside a DST "
    "gap or fold are refused: give an offset",
    ""};
const FlagSpec kReplace{"replace", "Id of the intervention this one replaces",
                        ""};

absl::Status FillWindow(const ParsedFlags& f, absl::Time now, EditorWrite& w) {
  Intervention& iv = w.intervention;
  iv.time_zone = f.Get("zone");
  iv.start = now;
  if (f.Has("zone")) {
    absl::StatusOr<absl::TimeZone> zone = LoadIanaZone("--zone", iv.time_zone);
    if (!zone.ok()) return zone.status();
  }
  if (f.Has("start")) {
    absl::StatusOr<absl::Time> t = ParseWindowTime(
        "--start", f.Get("start"), iv.time_zone, WindowBound::kStart);
    if (!t.ok()) return t.status();
    iv.start = *t;
    w.start_given = true;
  }
  if (f.Has("end")) {
    absl::StatusOr<absl::Time> t =
        ParseWindowTime("--end", f.Get("end"), iv.time_zone, WindowBound::kEnd);
    if (!t.ok()) return t.status();
    iv.end = *t;
  }
  return absl::OkStatus();
}

}  // namespace

std::string EditorVerbName(EditorVerb verb) {
  switch (verb) {
    case EditorVerb::kPin:
      return "pin";
    case EditorVerb::kSuppress:
      return "suppress";
    case EditorVerb::kBoost:
      return "boost";
    case EditorVerb::kBury:
      return "bury";
  }
  return "unknown";
}

std::vector<FlagSpec> EditorVerbFlags(EditorVerb verb) {
  std::vector<FlagSpec> flags;
  switch (verb) {
    case EditorVerb::kPin:
      flags = {{"item", "Item id to pin", "", true},
               {"position", "1-based position on the surface", "", true},
               {"surface", "Surface id", "home"}};
      break;
    case EditorVerb::kSuppress:
      flags = {{"item", "Item id to suppress", ""},
               {"author", "Author whose items to suppress", ""},
               {"near-duplicates-of",
                "Seed item id for near-duplicate suppression", ""},
               {"threshold", "Cosine threshold in (0, 1] for near duplicates",
                "0.95"},
               {"surface", "Surface id (default: all surfaces)", ""}};
      break;
    case EditorVerb::kBoost:
    case EditorVerb::kBury:
      flags = {{"item", "Item id", "", true},
               {"factor",
                verb == EditorVerb::kBoost ? "Score factor > 1"
                                           : "Score factor in (0, 1)",
                "", true},
               {"surface", "Surface id (default: all surfaces)", ""}};
      break;
  }
  for (const FlagSpec& common :
       {kReason, kArticle, kStart, kEnd, kZone, kReplace}) {
    flags.push_back(common);
  }
  return flags;
}

std::string EditorVerbUsage(EditorVerb verb) {
  std::string target;
  switch (verb) {
    case EditorVerb::kPin:
      target = "--item ID --position N [--surface home]";
      break;
    case EditorVerb::kSuppress:
      target =
          "(--item ID | --author A | --near-duplicates-of ID "
          "[--threshold 0.95]) [--surface S]";
      break;
    case EditorVerb::kBoost:
    case EditorVerb::kBury:
      target = "--item ID --factor X [--surface S]";
      break;
  }
  return absl::StrCat(target,
                      " --reason R [--article A] [--start T] [--end T] "
                      "[--zone Z] [--replace ID]");
}

absl::StatusOr<EditorWrite> EditorWriteFromFlags(EditorVerb verb,
                                                 const ParsedFlags& f,
                                                 absl::Time now) {
  EditorWrite w;
  Intervention& iv = w.intervention;
  iv.surface = f.Get("surface");
  iv.reason = f.Get("reason");
  iv.article_ref = f.Get("article");
  w.replaces = f.Get("replace");
  switch (verb) {
    case EditorVerb::kPin: {
      absl::StatusOr<int64_t> item = f.Int("item");
      if (!item.ok()) return item.status();
      absl::StatusOr<int32_t> position = f.Int32("position");
      if (!position.ok()) return position.status();
      if (*position < 1 || *position > kMaxPinPosition) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--position ", *position, " outside [1, ", kMaxPinPosition, "]"));
      }
      iv.kind = InterventionKind::kPin;
      iv.item_id = *item;
      iv.position = static_cast<int>(*position - 1);
      break;
    }
    case EditorVerb::kSuppress: {
      int given = f.Has("item") + f.Has("author") + f.Has("near-duplicates-of");
      if (given != 1) {
        return absl::InvalidArgumentError(
            "give exactly one of --item, --author, --near-duplicates-of");
      }
      if (f.Has("author")) {
        iv.kind = InterventionKind::kSuppressAuthor;
        iv.author = f.Get("author");
        break;
      }
      const bool near = f.Has("near-duplicates-of");
      absl::StatusOr<int64_t> item =
          f.Int(near ? "near-duplicates-of" : "item");
      if (!item.ok()) return item.status();
      iv.item_id = *item;
      iv.kind = near ? InterventionKind::kSuppressNearDuplicates
                     : InterventionKind::kSuppressItem;
      if (near) {
        absl::StatusOr<double> t = f.Double("threshold");
        if (!t.ok()) return t.status();
        iv.cosine_threshold = *t;
      }
      break;
    }
    case EditorVerb::kBoost:
    case EditorVerb::kBury: {
      absl::StatusOr<int64_t> item = f.Int("item");
      if (!item.ok()) return item.status();
      absl::StatusOr<double> factor = f.Double("factor");
      if (!factor.ok()) return factor.status();
      iv.kind = verb == EditorVerb::kBoost ? InterventionKind::kBoost
                                           : InterventionKind::kBury;
      iv.item_id = *item;
      iv.factor = *factor;
      break;
    }
  }
  absl::Status window = FillWindow(f, now, w);
  if (!window.ok()) return window;
  return w;
}

std::string DescribeIntervention(const Intervention& iv) {
  std::string what;
  switch (iv.kind) {
    case InterventionKind::kPin:
      what = absl::StrFormat("pin item %d at position %d", iv.item_id,
                             iv.position + 1);
      break;
    case InterventionKind::kSuppressItem:
      what = absl::StrFormat("suppress item %d", iv.item_id);
      break;
    case InterventionKind::kSuppressAuthor:
      what = absl::StrFormat("suppress author '%s'", iv.author);
      break;
    case InterventionKind::kSuppressNearDuplicates:
      what = absl::StrFormat(
          "suppress near duplicates of item %d (cosine >= %.3f)", iv.item_id,
          iv.cosine_threshold);
      break;
    case InterventionKind::kBoost:
      what = absl::StrFormat("boost item %d x%.3f", iv.item_id, iv.factor);
      break;
    case InterventionKind::kBury:
      what = absl::StrFormat("bury item %d x%.3f", iv.item_id, iv.factor);
      break;
  }
  return absl::StrCat(
      what, " on ",
      iv.surface.empty() ? "all surfaces" : "surface " + iv.surface);
}

std::string FormatWindow(const Intervention& iv) {
  std::string out =
      absl::StrCat(FormatRfc3339InZone(iv.start, iv.time_zone), " .. ",
                   iv.end == absl::InfiniteFuture()
                       ? std::string("(no end)")
                       : FormatRfc3339InZone(iv.end, iv.time_zone));
  if (!iv.time_zone.empty()) absl::StrAppend(&out, " (", iv.time_zone, ")");
  return out;
}

}  // namespace feedgov::cli
