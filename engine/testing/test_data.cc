#include "engine/testing/test_data.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace feedgov::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : fallback;
}

}  // namespace

std::string SourceDir() { return EnvOr("FEEDGOV_SOURCE_DIR", "."); }

std::string DataDir(const std::string& name) {
  std::string base =
      EnvOr("FEEDGOV_DATA_DIR", absl::StrCat(SourceDir(), "/../shared/data"));
  std::string dir = absl::StrCat(base, "/", name);
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "shared data set '" << name << "' not found at " << dir
                  << " (expected ../shared/data/" << name
                  << " beside the checkout, or set FEEDGOV_DATA_DIR)";
  }
  return dir;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = absl::StrCat(
      std::filesystem::temp_directory_path().string(), "/", prefix, "_XXXXXX");
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    return tmpl;
  }
  return std::string(made);
}

}  // namespace feedgov::testing
