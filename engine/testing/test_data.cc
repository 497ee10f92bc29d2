#include "engine/testing/test_data.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace feedgov::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : fallback;
}

}  // namespace

#ifndef FEEDGOV_DEFAULT_SOURCE_DIR
#define FEEDGOV_DEFAULT_SOURCE_DIR "."
#endif
#ifndef FEEDGOV_DEFAULT_DATA_DIR
#define FEEDGOV_DEFAULT_DATA_DIR "../shared/data"
#endif

// The environment (set by ctest) wins; the build-time paths are the
// fallback when a test binary is run by hand.
std::string SourceDir() {
  return EnvOr("FEEDGOV_SOURCE_DIR", FEEDGOV_DEFAULT_SOURCE_DIR);
}

std::string DataDir(const std::string& name) {
  std::string base =
      EnvOr("FEEDGOV_DATA_DIR", FEEDGOV_DEFAULT_DATA_DIR);
  std::string dir = absl::StrCat(base, "/", name);
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "shared data set '" << name << "' not found at " << dir
                  << " (expected ../shared/data/" << name
                  << " beside the checkout, or set FEEDGOV_DATA_DIR)";
  }
  return dir;
}

namespace {

// Directories made by MakeTempDir, removed when the test binary exits.
std::vector<std::string>& TempDirs() {
  static auto* dirs = new std::vector<std::string>;
  return *dirs;
}

void RemoveTempDirs() {
  for (const std::string& d : TempDirs()) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = absl::StrCat(
      std::filesystem::temp_directory_path().string(), "/", prefix, "_XXXXXX");
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    return tmpl;
  }
  if (TempDirs().empty()) std::atexit(&RemoveTempDirs);
  TempDirs().push_back(made);
  return std::string(made);
}

}  // namespace feedgov::testing
