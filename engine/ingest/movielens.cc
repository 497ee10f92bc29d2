#include "engine/ingest/movielens.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/common/status_macros.h"
#include "engine/common/tags.h"
#include "engine/common/utf8.h"
#include "engine/catalog/item_limits.h"
#include "engine/ingest/csv_reader.h"

namespace feedgov {
namespace {

constexpr UnixSeconds kMaxTimestamp = 4102444800;  // 2100-01-01T00:00:00Z.
constexpr double kMinRating = 0.5;
constexpr double kMaxRating = 5.0;
constexpr double kSecondsPerDay = 86400.0;
constexpr absl::string_view kNoGenres = "(no genres listed)";

// Per-item accumulators while reading ratings and tags.
struct ItemStats {
  double rating_sum = 0.0;
  int32_t num_ratings = 0;
  UnixSeconds first = std::numeric_limits<UnixSeconds>::max();
  UnixSeconds last = std::numeric_limits<UnixSeconds>::min();
  std::vector<std::string> tags;
  void See(UnixSeconds t) {
    first = std::min(first, t);
    last = std::max(last, t);
  }
};

// A CSV file open for reading, with the helpers that build error messages.
class CsvFile {
 public:
  static absl::StatusOr<std::unique_ptr<CsvFile>> Open(const std::string& dir,
                                                       const std::string& name) {
    std::string path = absl::StrCat(dir, "/", name);
    auto file = std::unique_ptr<CsvFile>(new CsvFile(path, name));
    if (!file->in_.is_open()) {
      return absl::NotFoundError(absl::StrCat("cannot open ", path));
    }
    return file;
  }

  // Reads the header and checks it equals `expected`.
  absl::Status ReadHeader(const std::vector<std::string>& expected) {
    std::vector<std::string> fields;
    FEEDGOV_ASSIGN_OR_RETURN(bool got, reader_.Next(&fields));
    if (!got || fields != expected || reader_.line() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          name_, ":1: header: expected '", absl::StrJoin(expected, ","),
          "', got '", got ? absl::StrJoin(fields, ",") : "<empty file>", "'"));
    }
    header_ = expected;
    return absl::OkStatus();
  }

  // Next data record; false at end of file. A line with a CSV syntax error
  // of its own (a stray quote) is set aside in `q` ("csv_syntax") and
  // skipped; without `q`, or for an unterminated quoted field (the rest of
  // the file is one field: nothing after it can be trusted), the error.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields, Quarantine* q) {
    while (true) {
      absl::StatusOr<bool> got = reader_.Next(fields);
      if (got.ok() || q == nullptr) return got;
      const int64_t line = reader_.line();
      if (!reader_.SkipBadLine()) return got;
      FEEDGOV_RETURN_IF_ERROR(q->Add(name_, line, "csv_syntax", got.status()));
    }
  }

  // The record has the header's field count (reason "field_count").
  absl::Status CheckFieldCount(const std::vector<std::string>& fields,
                               std::string* reason) const {
    if (fields.size() == header_.size()) return absl::OkStatus();
    *reason = "field_count";
    return absl::InvalidArgumentError(
        absl::StrCat(name_, ":", reader_.line(), ": expected ", header_.size(),
                     " fields (", absl::StrJoin(header_, ","), "), got ",
                     fields.size()));
  }

  // Sets a bad record aside in `q`, or returns its error when `q` is null
  // (strict) or refuses it.
  absl::Status SetAside(Quarantine* q, const std::string& reason,
                        const absl::Status& error) const {
    if (q == nullptr) return error;
    return q->Add(name_, reader_.line(), reason, error);
  }

  const std::string& name() const { return name_; }

  // Also names the field as the quarantine reason in `last_reason`.
  absl::Status FieldError(int field, absl::string_view what) const {
    last_reason_ = header_[field];
    return absl::InvalidArgumentError(absl::StrCat(
        name_, ":", reader_.line(), ": field '", header_[field], "': ", what));
  }
  // The reason code of the last FieldError.
  const std::string& last_reason() const { return last_reason_; }

  // Integer id >= 0 in field `field` of `fields`.
  absl::StatusOr<int64_t> Id(const std::vector<std::string>& fields, int field) const {
    int64_t id = 0;
    if (!absl::SimpleAtoi(fields[field], &id) || id < 0) {
      return FieldError(field, absl::StrCat("'", fields[field],
                                            "' is not an integer id >= 0"));
    }
    return id;
  }

  absl::StatusOr<UnixSeconds> Timestamp(const std::vector<std::string>& fields,
                                        int field) const {
    int64_t t = 0;
    if (!absl::SimpleAtoi(fields[field], &t) || t < 0 || t > kMaxTimestamp) {
      return FieldError(field, absl::StrCat("'", fields[field],
                                            "' is not Unix seconds in [0, ",
                                            kMaxTimestamp, "]"));
    }
    return t;
  }

  absl::StatusOr<float> Rating(const std::vector<std::string>& fields, int field) const {
    double r = 0.0;
    if (!absl::SimpleAtod(fields[field], &r) || !std::isfinite(r)) {
      return FieldError(field, absl::StrCat("'", fields[field], "' is not a number"));
    }
    if (r < kMinRating || r > kMaxRating) {
      return FieldError(field, absl::StrCat("'", fields[field], "' outside [0.5, 5.0]"));
    }
    return static_cast<float>(r);
  }

 private:
  CsvFile(const std::string& path, std::string name)
      : in_(path, std::ios::binary), name_(std::move(name)), reader_(&in_, name_) {}

  std::ifstream in_;
  std::string name_;
  CsvReader reader_;
  std::vector<std::string> header_;
  mutable std::string last_reason_;
};

using RowOf = absl::flat_hash_map<ItemId, size_t>;

absl::StatusOr<Item> ParseMovie(const CsvFile& file, std::vector<std::string>& f,
                                const RowOf& row_of, std::string* reason) {
  FEEDGOV_RETURN_IF_ERROR(file.CheckFieldCount(f, reason));
  Item item;
  absl::StatusOr<int64_t> id = file.Id(f, 0);
  if (!id.ok()) {
    *reason = file.last_reason();
    return id.status();
  }
  item.id = *id;
  if (row_of.contains(item.id)) {
    *reason = "duplicate_movieId";
    return file.FieldError(0, absl::StrCat("duplicate movie id ", item.id));
  }
  for (int field : {1, 2}) {
    if (!IsValidUtf8(f[field])) {
      absl::Status s = file.FieldError(field, "not valid UTF-8");
      *reason = "invalid_utf8";
      return s;
    }
  }
  item.title = std::move(f[1]);
  if (f[2] != kNoGenres) {
    item.genres = absl::StrSplit(f[2], '|', absl::SkipEmpty());
  }
  if (absl::Status s = ValidateItem(item); !s.ok()) {
    *reason = "item_limits";
    return file.FieldError(1, s.message());
  }
  return item;
}

absl::Status ReadMovies(const std::string& dir, std::vector<Item>* items,
                        RowOf* row_of, Quarantine* q) {
  FEEDGOV_ASSIGN_OR_RETURN(auto file, CsvFile::Open(dir, "movies.csv"));
  FEEDGOV_RETURN_IF_ERROR(file->ReadHeader({"movieId", "title", "genres"}));
  std::vector<std::string> f;
  while (true) {
    FEEDGOV_ASSIGN_OR_RETURN(bool got, file->Next(&f, q));
    if (!got) return absl::OkStatus();
    std::string reason;
    absl::StatusOr<Item> item = ParseMovie(*file, f, *row_of, &reason);
    if (!item.ok()) {
      FEEDGOV_RETURN_IF_ERROR(file->SetAside(q, reason, item.status()));
      continue;
    }
    row_of->emplace(item->id, items->size());
    items->push_back(*std::move(item));
  }
}

// Parses field 1 (movieId) into `*id`; returns the movie's index in items.
absl::StatusOr<size_t> KnownMovie(const CsvFile& file, const RowOf& row_of,
                                  const std::vector<std::string>& f, ItemId* id,
                                  std::string* reason) {
  absl::StatusOr<int64_t> parsed = file.Id(f, 1);
  if (!parsed.ok()) {
    *reason = file.last_reason();
    return parsed.status();
  }
  *id = *parsed;
  auto it = row_of.find(*id);
  if (it == row_of.end()) {
    *reason = "unknown_movie";
    return file.FieldError(1, absl::StrCat("movie ", *id,
                                           " is not in movies.csv (or was set aside)"));
  }
  return it->second;
}

// Sets *reason to the failing field's name when `v` is an error.
template <typename T>
absl::StatusOr<T> Named(const CsvFile& file, absl::StatusOr<T> v,
                        std::string* reason) {
  if (!v.ok()) *reason = file.last_reason();
  return v;
}

struct ParsedRating {
  Interaction rating;
  size_t row = 0;
};

absl::StatusOr<ParsedRating> ParseRating(const CsvFile& file,
                                         const std::vector<std::string>& f,
                                         const RowOf& row_of,
                                         std::string* reason) {
  FEEDGOV_RETURN_IF_ERROR(file.CheckFieldCount(f, reason));
  ParsedRating p;
  FEEDGOV_ASSIGN_OR_RETURN(p.rating.user, Named(file, file.Id(f, 0), reason));
  FEEDGOV_ASSIGN_OR_RETURN(p.row,
                           KnownMovie(file, row_of, f, &p.rating.item, reason));
  FEEDGOV_ASSIGN_OR_RETURN(p.rating.rating,
                           Named(file, file.Rating(f, 2), reason));
  FEEDGOV_ASSIGN_OR_RETURN(p.rating.time,
                           Named(file, file.Timestamp(f, 3), reason));
  return p;
}

struct ParsedTag {
  TagApplication tag;
  std::string normalized;
  size_t row = 0;
};

absl::StatusOr<ParsedTag> ParseTag(const CsvFile& file,
                                   std::vector<std::string>& f,
                                   const RowOf& row_of, std::string* reason) {
  FEEDGOV_RETURN_IF_ERROR(file.CheckFieldCount(f, reason));
  ParsedTag p;
  FEEDGOV_ASSIGN_OR_RETURN(p.tag.user, Named(file, file.Id(f, 0), reason));
  FEEDGOV_ASSIGN_OR_RETURN(p.row,
                           KnownMovie(file, row_of, f, &p.tag.item, reason));
  if (!IsValidUtf8(f[2])) {
    absl::Status s = file.FieldError(2, "not valid UTF-8");
    *reason = "invalid_utf8";
    return s;
  }
  p.normalized = CanonicalTag(f[2]);
  if (p.normalized.empty() || p.normalized.size() > kMaxTagBytes) {
    absl::Status s = file.FieldError(
        2, p.normalized.empty() ? "empty tag"
                                : absl::StrCat("over ", kMaxTagBytes, " bytes"));
    *reason = "tag";
    return s;
  }
  p.tag.tag = std::move(f[2]);
  FEEDGOV_ASSIGN_OR_RETURN(p.tag.time, Named(file, file.Timestamp(f, 3), reason));
  return p;
}

absl::Status ReadRatings(const std::string& dir, const RowOf& row_of,
                         std::vector<Interaction>* ratings,
                         std::vector<ItemStats>* stats, Quarantine* q) {
  FEEDGOV_ASSIGN_OR_RETURN(auto file, CsvFile::Open(dir, "ratings.csv"));
  FEEDGOV_RETURN_IF_ERROR(
      file->ReadHeader({"userId", "movieId", "rating", "timestamp"}));
  std::vector<std::string> f;
  while (true) {
    FEEDGOV_ASSIGN_OR_RETURN(bool got, file->Next(&f, q));
    if (!got) return absl::OkStatus();
    std::string reason;
    absl::StatusOr<ParsedRating> parsed = ParseRating(*file, f, row_of, &reason);
    if (!parsed.ok()) {
      FEEDGOV_RETURN_IF_ERROR(file->SetAside(q, reason, parsed.status()));
      continue;
    }
    const Interaction& r = parsed->rating;
    ItemStats& s = (*stats)[parsed->row];
    s.rating_sum += r.rating;
    ++s.num_ratings;
    s.See(r.time);
    ratings->push_back(r);
  }
}

absl::Status ReadTags(const std::string& dir, const RowOf& row_of,
                      std::vector<TagApplication>* tags,
                      std::vector<ItemStats>* stats, Quarantine* q) {
  FEEDGOV_ASSIGN_OR_RETURN(auto file, CsvFile::Open(dir, "tags.csv"));
  FEEDGOV_RETURN_IF_ERROR(file->ReadHeader({"userId", "movieId", "tag", "timestamp"}));
  std::vector<std::string> f;
  while (true) {
    FEEDGOV_ASSIGN_OR_RETURN(bool got, file->Next(&f, q));
    if (!got) return absl::OkStatus();
    std::string reason;
    absl::StatusOr<ParsedTag> parsed = ParseTag(*file, f, row_of, &reason);
    if (!parsed.ok()) {
      FEEDGOV_RETURN_IF_ERROR(file->SetAside(q, reason, parsed.status()));
      continue;
    }
    ItemStats& s = (*stats)[parsed->row];
    s.tags.push_back(std::move(parsed->normalized));
    s.See(parsed->tag.time);
    tags->push_back(std::move(parsed->tag));
  }
}

// Fills the statistics fields of `data->items` from `stats` (same order).
void FinishItems(const MovieLensOptions& options, const RowOf& row_of,
                 std::vector<ItemStats> stats, MovieLensData* data) {
  UnixSeconds earliest = std::numeric_limits<UnixSeconds>::max();
  UnixSeconds latest = 0;
  for (const ItemStats& s : stats) {
    if (s.first <= s.last) {
      earliest = std::min(earliest, s.first);
      latest = std::max(latest, s.last);
    }
  }
  if (earliest == std::numeric_limits<UnixSeconds>::max()) earliest = 0;
  data->reference_time = latest;
  std::vector<double> popularity(data->items.size(), 0.0);
  for (const Interaction& r : data->ratings) {
    double age_days = static_cast<double>(latest - r.time) / kSecondsPerDay;
    popularity[row_of.at(r.item)] +=
        std::exp2(-age_days / options.popularity_half_life_days);
  }
  for (size_t i = 0; i < data->items.size(); ++i) {
    Item& item = data->items[i];
    ItemStats& s = stats[i];
    bool seen = s.first <= s.last;
    item.first_seen = seen ? s.first : earliest;
    item.last_interaction = seen ? s.last : 0;
    item.num_ratings = s.num_ratings;
    item.mean_rating =
        s.num_ratings > 0 ? static_cast<float>(s.rating_sum / s.num_ratings) : 0.0f;
    item.decayed_popularity = static_cast<float>(popularity[i]);
    std::sort(s.tags.begin(), s.tags.end());
    s.tags.erase(std::unique(s.tags.begin(), s.tags.end()), s.tags.end());
    item.tags = std::move(s.tags);
  }
}

}  // namespace

absl::Status Validate(const MovieLensOptions& options) {
  if (!std::isfinite(options.popularity_half_life_days) ||
      options.popularity_half_life_days <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("MovieLensOptions.popularity_half_life_days: ",
                     options.popularity_half_life_days, " is not finite and > 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<MovieLensData> ReadMovieLens(const std::string& dir,
                                            const MovieLensOptions& options,
                                            Quarantine* quarantine) {
  FEEDGOV_RETURN_IF_ERROR(Validate(options));
  MovieLensData data;
  RowOf row_of;
  FEEDGOV_RETURN_IF_ERROR(ReadMovies(dir, &data.items, &row_of, quarantine));
  std::vector<ItemStats> stats(data.items.size());
  FEEDGOV_RETURN_IF_ERROR(
      ReadRatings(dir, row_of, &data.ratings, &stats, quarantine));
  FEEDGOV_RETURN_IF_ERROR(
      ReadTags(dir, row_of, &data.tag_applications, &stats, quarantine));
  FinishItems(options, row_of, std::move(stats), &data);
  return data;
}

}  // namespace feedgov
