#include "engine/governance/taxonomy.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/governance/text_proto.h"
#include "feedgov/v1/taxonomy.pb.h"

namespace feedgov {
namespace {

using governance_internal::ErrorAt;
using governance_internal::FieldLine;
using governance_internal::NestedTree;
using governance_internal::ParseInfoTree;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

bool WellFormedName(absl::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return absl::StrContains(name, '.');
}

struct ClassInfo {
  LabelClass label_class;
  const char* prefix;
  int article;
  int max_item;
};

// Art. 5 has 7 items, Art. 6 has 11, Art. 7 has 9.
const ClassInfo* InfoFor(feedgov::v1::LabelClass c) {
  static const ClassInfo kPositive{LabelClass::kPositive, "positive.", 5, 7};
  static const ClassInfo kIllegal{LabelClass::kIllegal, "illegal.", 6, 11};
  static const ClassInfo kBad{LabelClass::kBad, "bad.", 7, 9};
  switch (c) {
    case feedgov::v1::LABEL_CLASS_POSITIVE: return &kPositive;
    case feedgov::v1::LABEL_CLASS_ILLEGAL: return &kIllegal;
    case feedgov::v1::LABEL_CLASS_BAD: return &kBad;
    default: return nullptr;
  }
}

absl::Status ValidateLabel(const std::string& path, int line,
                           const feedgov::v1::TaxonomyLabel& l) {
  if (!WellFormedName(l.name())) {
    return ErrorAt(path, line,
                   absl::StrCat("label name '", l.name(),
                                "' must be <class>.<snake_case> ([a-z0-9_.])"));
  }
  const ClassInfo* info = InfoFor(l.label_class());
  if (info == nullptr) {
    return ErrorAt(path, line,
                   absl::StrCat("label '", l.name(), "': label_class missing"));
  }
  if (!absl::StartsWith(l.name(), info->prefix)) {
    return ErrorAt(path, line,
                   absl::StrCat("label '", l.name(), "': class ",
                                LabelClassName(info->label_class),
                                " requires the name prefix '", info->prefix,
                                "'"));
  }
  if (l.article() != info->article) {
    return ErrorAt(path, line,
                   absl::StrCat("label '", l.name(), "': article ", l.article(),
                                " does not match class ",
                                LabelClassName(info->label_class),
                                " (expected ", info->article, ")"));
  }
  if (l.item() < 1 || l.item() > info->max_item) {
    return ErrorAt(path, line,
                   absl::StrCat("label '", l.name(), "': item ", l.item(),
                                " outside [1, ", info->max_item, "]"));
  }
  if (l.description().empty()) {
    return ErrorAt(path, line,
                   absl::StrCat("label '", l.name(), "': description missing"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view LabelClassName(LabelClass c) {
  switch (c) {
    case LabelClass::kPositive: return "positive";
    case LabelClass::kIllegal: return "illegal";
    case LabelClass::kBad: return "bad";
  }
  return "unknown";
}

absl::StatusOr<Taxonomy> Taxonomy::Load(const std::string& path) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(path, text);
}

absl::StatusOr<Taxonomy> Taxonomy::Parse(const std::string& path,
                                         const std::string& text) {
  feedgov::v1::Taxonomy proto;
  ParseInfoTree tree;
  FEEDGOV_RETURN_IF_ERROR(
      governance_internal::ParseTextProto(path, text, &proto, &tree));
  Taxonomy t;
  if (proto.version() < 1) {
    return ErrorAt(path, FieldLine(&tree, proto, "version", -1, 1),
                   absl::StrCat("version ", proto.version(), " must be >= 1"));
  }
  t.version_ = proto.version();
  std::set<std::pair<int, int>> items;
  for (int i = 0; i < proto.label_size(); ++i) {
    const feedgov::v1::TaxonomyLabel& l = proto.label(i);
    const int line = FieldLine(&tree, proto, "label", i, 1);
    FEEDGOV_RETURN_IF_ERROR(ValidateLabel(path, line, l));
    if (t.index_.contains(l.name())) {
      return ErrorAt(path, line,
                     absl::StrCat("duplicate label name '", l.name(), "'"));
    }
    if (!items.insert({l.article(), l.item()}).second) {
      return ErrorAt(path, line,
                     absl::StrCat("label '", l.name(), "': article ",
                                  l.article(), " item ", l.item(),
                                  " already has a label"));
    }
    t.index_[l.name()] = static_cast<int>(t.entries_.size());
    t.entries_.push_back(TaxonomyEntry{l.name(),
                                       InfoFor(l.label_class())->label_class,
                                       l.article(), l.item(), l.description()});
  }
  if (t.entries_.empty()) return ErrorAt(path, 1, "taxonomy has no labels");
  return t;
}

int Taxonomy::IndexOf(absl::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

const TaxonomyEntry* Taxonomy::Find(absl::string_view name) const {
  int i = IndexOf(name);
  return i < 0 ? nullptr : &entries_[i];
}

std::vector<int> Taxonomy::Match(absl::string_view pattern) const {
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(entries_.size()); ++i) {
    if (LabelPatternMatches(pattern, entries_[i].name)) out.push_back(i);
  }
  return out;
}

bool LabelPatternMatches(absl::string_view pattern, absl::string_view name) {
  if (absl::EndsWith(pattern, ".*")) {
    pattern.remove_suffix(1);  // keep the dot: "bad."
    return absl::StartsWith(name, pattern);
  }
  return pattern == name;
}

}  // namespace feedgov
