// File: engine/testing/test_data.h
//
// Locating the shared public data and the source tree from tests. The data
// is never copied into the repository; tests read it in place.
#ifndef FEEDGOV_ENGINE_TESTING_TEST_DATA_H_
#define FEEDGOV_ENGINE_TESTING_TEST_DATA_H_

#include <string>

namespace feedgov::testing {

// Path of a shared data set, e.g. DataDir("movielens_latest_small"). Uses
// $FEEDGOV_DATA_DIR (set by ctest) or ../shared/data beside the checkout.
// If the directory is missing the calling test FAILS (never skips) with a
// message naming the expected location.
std::string DataDir(const std::string& name);

// Repository root ($FEEDGOV_SOURCE_DIR, set by ctest).
std::string SourceDir();

// A fresh, empty temporary directory unique to this test; removed at exit.
std::string MakeTempDir(const std::string& prefix);

}  // namespace feedgov::testing

#endif  // FEEDGOV_ENGINE_TESTING_TEST_DATA_H_
