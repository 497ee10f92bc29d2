#include "engine/ingest/items_jsonl.h"

#include <cmath>
#include <fstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/item_limits.h"
#include "engine/catalog/api_convert.h"
#include "engine/common/status_macros.h"
#include "feedgov/v1/catalog_service.pb.h"
#include "google/protobuf/util/json_util.h"

namespace feedgov {
namespace {

struct ParsedItem {
  Item item;
  std::vector<float> embedding;
  std::vector<Label> labels;
};

// A row's error with its reason code.
struct Bad {
  std::string reason;
  absl::Status error;
};

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

absl::StatusOr<ParsedItem> ParseRow(absl::string_view line, const Taxonomy& taxonomy,
                             int64_t dim, Bad* bad) {
  v1::CatalogItem proto;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(
          std::string(line), &proto, options);
      !s.ok()) {
    bad->reason = "malformed_json";
    return Invalid(absl::StrCat("not a feedgov.v1.CatalogItem JSON object: ",
                                s.message().as_string()));
  }
  ParsedItem row;
  row.item.id = proto.item_id();
  row.item.title = proto.title();
  row.item.genres.assign(proto.genres().begin(), proto.genres().end());
  row.item.tags.assign(proto.tags().begin(), proto.tags().end());
  row.item.author = proto.author();
  absl::StatusOr<UnixSeconds> first_seen = ApiFirstSeen(proto);
  if (!first_seen.ok()) {
    bad->reason = "item_limits";
    return Annotate(first_seen.status(), absl::StrCat("item ", row.item.id));
  }
  row.item.first_seen = *first_seen;
  if (absl::Status s = ValidateItem(row.item); !s.ok()) {
    bad->reason = "item_limits";
    return s;
  }
  const int64_t n = proto.embedding_size();
  if (n < 1 || n > kMaxEmbeddingDim || (dim > 0 && n != dim)) {
    bad->reason = "embedding_dim";
    return Invalid(absl::StrCat("item ", row.item.id, ": embedding has ", n,
                                " floats, want ",
                                dim > 0 ? absl::StrCat(dim)
                                        : absl::StrCat("1 to ", kMaxEmbeddingDim)));
  }
  double norm = 0;
  for (int i = 0; i < n; ++i) {
    const float v = proto.embedding(i);
    if (!std::isfinite(v)) {
      bad->reason = "embedding_non_finite";
      return Invalid(absl::StrCat("item ", row.item.id, ": embedding[", i,
                                  "] is ", std::isnan(v) ? "NaN" : "Inf"));
    }
    norm += double{v} * v;
  }
  if (norm == 0) {
    bad->reason = "embedding_zero_norm";
    return Invalid(absl::StrCat("item ", row.item.id, ": embedding has zero norm"));
  }
  row.embedding.assign(proto.embedding().begin(), proto.embedding().end());
  bad->reason = "label";
  for (const v1::ItemLabel& l : proto.labels()) {
    absl::StatusOr<Label> parsed = ApiLabelFromProto(l);
    if (!parsed.ok())
      return Annotate(parsed.status(), absl::StrCat("item ", row.item.id));
    Label label = *std::move(parsed);
    if (taxonomy.Find(label.name) == nullptr) {
      return Invalid(absl::StrCat("item ", row.item.id, ": label '",
                                  label.name, "' is not in the taxonomy"));
    }
    row.labels.push_back(std::move(label));
  }
  FEEDGOV_RETURN_IF_ERROR(ValidateItemLabels(row.item.id, row.labels));
  return row;
}

// Reads the next line of `in` (without its '\n') into `line`, keeping at
// most kMaxJsonlLineBytes + 1 bytes of it (memory stays bounded whatever
// the file holds); `*length` is the line's full length. False at the end
// of the file.
bool NextLine(std::istream& in, std::string& line, size_t* length) {
  line.clear();
  *length = 0;
  std::streambuf* buf = in.rdbuf();
  int c = buf->sbumpc();
  if (c == std::char_traits<char>::eof()) return false;
  for (; c != std::char_traits<char>::eof() && c != '\n'; c = buf->sbumpc()) {
    if (line.size() <= kMaxJsonlLineBytes) line.push_back(static_cast<char>(c));
    ++*length;
  }
  return true;
}

}  // namespace

absl::StatusOr<ItemsFile> ReadItemsJsonl(const std::string& path,
                                         const Taxonomy& taxonomy,
                                         Quarantine* quarantine) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  const std::string name = path.substr(path.find_last_of('/') + 1);
  std::vector<ParsedItem> rows;
  absl::flat_hash_set<ItemId> ids;
  int64_t dim = 0;
  std::string line;
  size_t length = 0;
  for (int64_t number = 1; NextLine(in, line, &length); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Bad bad;
    absl::StatusOr<ParsedItem> row = Invalid("line_too_long");
    if (length > kMaxJsonlLineBytes) {
      bad.reason = "line_too_long";
      row = Invalid(absl::StrCat("line of ", length, " bytes, at most ",
                                 kMaxJsonlLineBytes));
    } else {
      row = ParseRow(line, taxonomy, dim, &bad);
    }
    if (row.ok() && !ids.insert(row->item.id).second) {
      bad.reason = "duplicate_id";
      row = Invalid(absl::StrCat("item ", row->item.id,
                                 " appears on an earlier line"));
    }
    if (!row.ok()) {
      absl::Status error = absl::Status(
          row.status().code(),
          absl::StrCat(name, ":", number, ": ", row.status().message()));
      if (quarantine == nullptr) return error;
      FEEDGOV_RETURN_IF_ERROR(quarantine->Add(name, number, bad.reason, error));
      continue;
    }
    dim = static_cast<int64_t>(row->embedding.size());
    rows.push_back(*std::move(row));
  }
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  }
  if (rows.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no good item row (", quarantine == nullptr
                                                      ? 0
                                                      : quarantine->size(),
                     " set aside)"));
  }
  ItemsFile out;
  out.embeddings.resize(static_cast<Eigen::Index>(rows.size()), dim);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int64_t c = 0; c < dim; ++c) out.embeddings(r, c) = rows[r].embedding[c];
    out.reference_time = std::max(out.reference_time, rows[r].item.first_seen);
    if (!rows[r].labels.empty())
      out.labels.emplace(rows[r].item.id, std::move(rows[r].labels));
    out.items.push_back(std::move(rows[r].item));
  }
  return out;
}

}  // namespace feedgov
