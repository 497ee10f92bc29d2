// File: fuzz/fuzz_util.h
//
// Helpers shared by the libFuzzer targets in fuzz/ (docs/reliability.md):
// a property check that aborts (so libFuzzer records the input as a crash
// and the replay test fails), and the repository files a target needs.
#ifndef FEEDGOV_FUZZ_FUZZ_UTIL_H_
#define FEEDGOV_FUZZ_FUZZ_UTIL_H_

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/governance/taxonomy.h"
#include "google/protobuf/stubs/logging.h"

// Aborts with the failed property when `cond` is false. Every fuzz target
// checks the contracts of the code it drives with this, not only "does not
// crash".
#define FEEDGOV_FUZZ_CHECK(cond)                                               \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                     \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

namespace feedgov::fuzz {

// Protobuf logs every rejected message (e.g. invalid UTF-8 in a string
// field) on stderr; rejecting is the expected outcome here, so the logs
// are silenced in every target (set before the first input).
inline const bool kProtobufLogsSilenced =
    (google::protobuf::SetLogHandler(nullptr), true);

// A private scratch directory under $TMPDIR (or /tmp), made once per
// process, for targets that read files.
inline const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/feedgov_fuzz_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return new std::string(pattern);
  }();
  return *dir;
}

// The repository root (compile definition FEEDGOV_SOURCE_DIR).
inline std::string SourcePath(const std::string& relative) {
  return std::string(FEEDGOV_SOURCE_DIR) + "/" + relative;
}

// policies/labels.textproto, loaded once; aborts when it does not load
// (the repository is broken, not the input).
inline const Taxonomy& RepositoryTaxonomy() {
  static const Taxonomy* taxonomy = [] {
    absl::StatusOr<Taxonomy> t =
        Taxonomy::Load(SourcePath("policies/labels.textproto"));
    if (!t.ok()) {
      std::fprintf(stderr, "cannot load the taxonomy: %s\n",
                   std::string(t.status().message()).c_str());
      std::abort();
    }
    return new Taxonomy(*std::move(t));
  }();
  return *taxonomy;
}

}  // namespace feedgov::fuzz

#endif  // FEEDGOV_FUZZ_FUZZ_UTIL_H_
