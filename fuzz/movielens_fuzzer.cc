// Fuzz target: the MovieLens directory reader (ReadMovieLens,
// engine/ingest/movielens.h). Input: movies.csv, ratings.csv and tags.csv
// separated by a NUL byte (a missing part is an empty file); they are
// written to a scratch directory and read back.
// Properties of data that reads: every documented field rule holds (ids,
// ratings in [0.5, 5], timestamps in [0, 2100], ratings and tags naming a
// movie of movies.csv, unique movie ids) and the derived statistics agree
// with the rows (counts, means, first/last interaction, reference time,
// decayed popularity in [0, num_ratings], tags canonical, sorted, unique).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "engine/common/tags.h"
#include "engine/ingest/movielens.h"
#include "fuzz/fuzz_util.h"

namespace feedgov::fuzz {
namespace {

void Write(const std::string& name, absl::string_view bytes) {
  std::ofstream out(ScratchDir() + "/" + name,
                    std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FEEDGOV_FUZZ_CHECK(out.good());
}

void CheckData(const MovieLensData& d) {
  absl::flat_hash_map<ItemId, size_t> row;
  for (size_t i = 0; i < d.items.size(); ++i) {
    FEEDGOV_FUZZ_CHECK(d.items[i].id >= 0);
    FEEDGOV_FUZZ_CHECK(row.emplace(d.items[i].id, i).second);
  }
  std::vector<int> count(d.items.size(), 0);
  UnixSeconds latest = 0;
  for (const Interaction& r : d.ratings) {
    FEEDGOV_FUZZ_CHECK(r.user >= 0 && row.contains(r.item));
    FEEDGOV_FUZZ_CHECK(r.rating >= 0.5f && r.rating <= 5.0f);
    FEEDGOV_FUZZ_CHECK(r.time >= 0 && r.time <= 4102444800);
    ++count[row[r.item]];
    latest = std::max(latest, r.time);
  }
  for (const TagApplication& t : d.tag_applications) {
    FEEDGOV_FUZZ_CHECK(t.user >= 0 && row.contains(t.item));
    FEEDGOV_FUZZ_CHECK(t.time >= 0 && t.time <= 4102444800);
    FEEDGOV_FUZZ_CHECK(!CanonicalTag(t.tag).empty());
    latest = std::max(latest, t.time);
  }
  FEEDGOV_FUZZ_CHECK(d.reference_time == latest);
  for (size_t i = 0; i < d.items.size(); ++i) {
    const Item& item = d.items[i];
    FEEDGOV_FUZZ_CHECK(item.num_ratings == count[i]);
    if (item.num_ratings > 0) {
      FEEDGOV_FUZZ_CHECK(item.mean_rating >= 0.5f && item.mean_rating <= 5.0f);
    } else {
      FEEDGOV_FUZZ_CHECK(item.mean_rating == 0.0f);
    }
    FEEDGOV_FUZZ_CHECK(std::isfinite(item.decayed_popularity) &&
                       item.decayed_popularity >= 0.0f &&
                       item.decayed_popularity <= item.num_ratings * 1.0001f);
    FEEDGOV_FUZZ_CHECK(item.last_interaction <= d.reference_time);
    if (item.last_interaction > 0) {
      FEEDGOV_FUZZ_CHECK(item.first_seen <= item.last_interaction);
    }
    for (size_t j = 0; j < item.tags.size(); ++j) {
      FEEDGOV_FUZZ_CHECK(CanonicalTag(item.tags[j]) == item.tags[j]);
      if (j > 0) FEEDGOV_FUZZ_CHECK(item.tags[j - 1] < item.tags[j]);
    }
    for (const std::string& g : item.genres) FEEDGOV_FUZZ_CHECK(!g.empty());
  }
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> parts =
      absl::StrSplit(input, absl::MaxSplits('\0', 2));
  parts.resize(3);
  fuzz::Write("movies.csv", parts[0]);
  fuzz::Write("ratings.csv", parts[1]);
  fuzz::Write("tags.csv", parts[2]);
  absl::StatusOr<MovieLensData> d = ReadMovieLens(fuzz::ScratchDir());
  if (!d.ok()) {
    FEEDGOV_FUZZ_CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    const absl::string_view m = d.status().message();
    FEEDGOV_FUZZ_CHECK(absl::StartsWith(m, "movies.csv:") ||
                       absl::StartsWith(m, "ratings.csv:") ||
                       absl::StartsWith(m, "tags.csv:"));
    return 0;
  }
  fuzz::CheckData(*d);
  return 0;
}
