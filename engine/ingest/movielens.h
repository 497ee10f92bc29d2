// File: engine/ingest/movielens.h
//
// Ingest of a MovieLens-format directory (ratings.csv, movies.csv, tags.csv;
// https://grouplens.org/datasets/movielens/, e.g. ml-latest-small) into
// catalog items with interaction statistics, the rating interactions and the
// raw tag applications. Files are RFC 4180 CSV with a header line.
//
// Thread-safety: ReadMovieLens is thread-safe (no shared state).
#ifndef FEEDGOV_ENGINE_INGEST_MOVIELENS_H_
#define FEEDGOV_ENGINE_INGEST_MOVIELENS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/common/types.h"
#include "engine/ingest/quarantine.h"

namespace feedgov {

struct MovieLensOptions {
  // Half-life of Item::decayed_popularity, in days: a rating this old counts
  // 0.5, twice as old 0.25. Range: finite, > 0. Default 365.
  double popularity_half_life_days = 365.0;
};
// INVALID_ARGUMENT naming the field when a value is out of range.
absl::Status Validate(const MovieLensOptions& options);

// One row of tags.csv: `user` applied `tag` to `item` at `time`.
struct TagApplication {
  UserId user = 0;
  ItemId item = 0;
  std::string tag;  // As written in the file (not normalized).
  UnixSeconds time = 0;

  friend bool operator==(const TagApplication&, const TagApplication&) = default;
};

struct MovieLensData {
  // One per movies.csv row, in file order. Fields:
  //   id, title, genres: from movies.csv; genres split on '|';
  //     "(no genres listed)" becomes an empty list. author is empty.
  //   tags: CanonicalTag() (common/tags.h) of every tag applied to the item;
  //   unique, sorted.
  //   first_seen: earliest rating or tag time of the item. An item nobody
  //     rated or tagged gets the earliest rating/tag time of the whole data
  //     set (0 if the data set has no ratings and no tags).
  //   last_interaction: latest rating or tag time of the item; 0 if none.
  //   num_ratings, mean_rating: over ratings.csv (mean 0 when no ratings).
  //   decayed_popularity: sum over the item's ratings of
  //     0.5^(age_days / popularity_half_life_days), age = reference_time -
  //     rating time (>= 0).
  std::vector<Item> items;
  // One per ratings.csv row, in file order.
  std::vector<Interaction> ratings;
  // One per tags.csv row, in file order.
  std::vector<TagApplication> tag_applications;
  // Latest rating or tag timestamp in the data; 0 if there is none.
  UnixSeconds reference_time = 0;
};

// Reads `dir`/movies.csv, `dir`/ratings.csv and `dir`/tags.csv (tags.csv is
// required; it may hold only its header). Expected headers, exactly:
//   movies.csv:  movieId,title,genres
//   ratings.csv: userId,movieId,rating,timestamp
//   tags.csv:    userId,movieId,tag,timestamp
// Validation: ids are integers >= 0; movie ids unique in movies.csv; ratings
// and tags refer to a movie of movies.csv; rating in [0.5, 5.0]; timestamps
// are integer Unix seconds in [0, 4102444800] (year 2100); a tag is not empty
// after normalization; every record has exactly the header's field count.
//
// Errors:
//   NOT_FOUND naming the path of a missing file.
//   INVALID_ARGUMENT "<file>:<line>: field '<name>': <what>" for the first
//     malformed record, e.g.
//     "ratings.csv:17: field 'rating': '7.5' outside [0.5, 5.0]"
//     (line 1 is the header), or "<file>:1: header: ..." for a missing or
//     wrong header, or for bad options.
//
// With a `quarantine` (quarantine.h), a malformed record (any error above
// but a missing file, a bad header or broken CSV quoting) is set aside and
// skipped instead, unless the quarantine refuses it (strict, or too many);
// ratings and tags of a movie set aside are set aside too
// ("unknown_movie"). Reasons: the field name ("movieId", "rating",
// "timestamp", ...), "field_count", "duplicate_movieId", "invalid_utf8",
// "item_limits" (catalog/item_limits.h), "unknown_movie", "tag",
// "csv_syntax" (a stray quote within one line; an unterminated quoted
// field stays fatal: the rest of the file became one field).
absl::StatusOr<MovieLensData> ReadMovieLens(const std::string& dir,
                                            const MovieLensOptions& options = {},
                                            Quarantine* quarantine = nullptr);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INGEST_MOVIELENS_H_
