#include "engine/user/interest_tags.h"
#include "absl/strings/str_split.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace feedgov {
namespace {

bool Contains(absl::Span<const std::string> v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::vector<std::string> ItemInterestTags(const Item& item) {
  std::vector<std::string> out;
  for (const std::string& g : item.genres) {
    if (g.empty() || g[0] == '(') continue;  // "(no genres listed)"
    out.push_back(absl::AsciiStrToLower(g));
  }
  for (const std::string& t : item.tags) {
    if (!t.empty()) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool ItemCarriesTag(const Item& item, absl::string_view tag) {
  for (const std::string& g : item.genres) {
    if (absl::EqualsIgnoreCase(g, tag)) return true;
  }
  for (const std::string& t : item.tags) {
    if (t == tag) return true;
  }
  return false;
}

ItemTagIndex::ItemTagIndex(const Catalog& catalog) {
  auto add = [](absl::flat_hash_map<std::string, std::vector<Row>>& m,
                std::string key, Row row) {
    std::vector<Row>& rows = m[std::move(key)];
    if (rows.empty() || rows.back() != row) rows.push_back(row);
  };
  for (Row row = 0; row < catalog.size(); ++row) {
    const Item& item = catalog.item(row);
    for (const std::string& g : item.genres) {
      add(by_genre_, absl::AsciiStrToLower(g), row);
    }
    for (const std::string& t : item.tags) add(by_tag_, t, row);
    if (!item.author.empty()) add(by_author_, item.author, row);
  }
}

void ItemTagIndex::AppendRowsThatMayCarry(absl::string_view tag,
                                          std::vector<Row>& out) const {
  auto append = [&](const absl::flat_hash_map<std::string, std::vector<Row>>& m,
                    absl::string_view key) {
    auto it = m.find(key);
    if (it != m.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  };
  append(by_genre_, absl::AsciiStrToLower(tag));
  append(by_tag_, tag);
}

void ItemTagIndex::AppendRowsByAuthor(absl::string_view author,
                                      std::vector<Row>& out) const {
  auto it = by_author_.find(author);
  if (it != by_author_.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
}

ForbiddenTags::ForbiddenTags(LabelMap map, const Taxonomy* taxonomy)
    : map_(std::move(map)), taxonomy_(taxonomy) {
  for (const auto* keys : {&map_.by_genre, &map_.by_tag}) {
    for (const auto& [key, labels] : *keys) {
      std::string label = ExactLabel(key);
      if (!label.empty()) forbidden_keys_.emplace_back(key, label);
    }
  }
  std::sort(forbidden_keys_.begin(), forbidden_keys_.end());
}

std::string ForbiddenTags::ForbiddingLabel(absl::string_view tag) const {
  std::string exact = ExactLabel(tag);
  if (!exact.empty()) return exact;
  std::vector<std::string> words = absl::StrSplit(
      tag, absl::ByAnyChar(" \t:;,./-_!?()[]'\"&+"), absl::SkipEmpty());
  for (const auto& [key, label] : forbidden_keys_) {
    if (key.find(' ') != std::string::npos) {
      if (absl::StrContains(tag, key)) return label;
      continue;
    }
    for (const std::string& w : words) {
      if (w == key || (key.size() >= 4 && absl::StartsWith(w, key))) {
        return label;
      }
    }
  }
  return "";
}

std::string ForbiddenTags::ExactLabel(absl::string_view tag) const {
  std::string t(tag);
  std::vector<Label> labels = MapLabels(map_, {t}, {t}, 0);
  for (const Label& l : labels) {
    const TaxonomyEntry* e = taxonomy_->Find(l.name);
    // A label outside the taxonomy cannot be evaluated: fail closed.
    if (e == nullptr || e->label_class != LabelClass::kPositive) return l.name;
  }
  return "";
}

std::vector<InterestTag> DeriveInterestTags(
    absl::Span<const UserInteraction> history, const Catalog& catalog,
    absl::Span<const std::string> deleted, absl::Span<const std::string> added,
    const ForbiddenTags& forbidden, int top_n) {
  std::map<std::string, InterestTag> by_tag;
  double total = 0;
  for (const UserInteraction& r : history) {
    auto row = catalog.FindRow(r.item);
    if (!row) continue;
    total += r.rating;
    for (std::string& t : ItemInterestTags(catalog.item(*row))) {
      InterestTag& it = by_tag[t];
      it.weight += r.rating;
      ++it.items;
    }
  }
  std::vector<InterestTag> out;
  for (const std::string& t : added) {
    InterestTag it;
    if (auto f = by_tag.find(t); f != by_tag.end()) it = f->second;
    it.tag = t;
    it.added = true;
    if (total > 0) it.weight /= total;
    if (!Contains(deleted, t) && !forbidden.IsForbidden(t)) out.push_back(it);
  }
  const size_t num_added = out.size();
  for (auto& [t, it] : by_tag) {
    if (Contains(deleted, t) || Contains(added, t) || forbidden.IsForbidden(t)) {
      continue;
    }
    it.tag = t;
    it.weight /= total;
    out.push_back(it);
  }
  std::stable_sort(out.begin() + num_added, out.end(),
                   [](const InterestTag& a, const InterestTag& b) {
                     if (a.weight != b.weight) return a.weight > b.weight;
                     return a.tag < b.tag;
                   });
  if (top_n > 0 && static_cast<int>(out.size()) > top_n) out.resize(top_n);
  return out;
}

}  // namespace feedgov
