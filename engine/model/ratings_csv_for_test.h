// File: engine/model/ratings_csv_for_test.h
//
// Test-only: a tiny reader for MovieLens ratings.csv
// (userId,movieId,rating,timestamp with a header line). The real reader lives
// in engine/catalog; model tests do not depend on it.
#ifndef FEEDGOV_ENGINE_MODEL_RATINGS_CSV_FOR_TEST_H_
#define FEEDGOV_ENGINE_MODEL_RATINGS_CSV_FOR_TEST_H_

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "engine/common/types.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov::testing {

// All rows of DataDir("movielens_latest_small")/ratings.csv. Adds a test
// failure (never skips) if the file is missing or a line is malformed.
inline std::vector<Interaction> ReadMovieLensSmallRatings() {
  std::string path = DataDir("movielens_latest_small") + "/ratings.csv";
  std::ifstream in(path);
  std::vector<Interaction> out;
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return out;
  }
  std::string line;
  std::getline(in, line);  // Header.
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    long long user = 0, item = 0, time = 0;
    double rating = 0;
    if (std::sscanf(line.c_str(), "%lld,%lld,%lf,%lld", &user, &item, &rating,
                    &time) != 4) {
      ADD_FAILURE() << path << ":" << line_no << ": malformed line '" << line
                    << "'";
      return out;
    }
    out.push_back(Interaction{user, item, static_cast<float>(rating), time});
  }
  return out;
}

}  // namespace feedgov::testing

#endif  // FEEDGOV_ENGINE_MODEL_RATINGS_CSV_FOR_TEST_H_
