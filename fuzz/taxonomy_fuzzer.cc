// Fuzz target: the label taxonomy parser (Taxonomy::Parse,
// engine/governance/taxonomy.h). Input: the text of a taxonomy file.
// Properties of a taxonomy that parses: every documented invariant holds
// (unique names, class agrees with the name prefix and the article, item
// >= 1, a description), the lookups agree with entries(), and printing the
// parsed proto back to text and parsing it again gives the same entries.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "engine/governance/taxonomy.h"
#include "feedgov/v1/taxonomy.pb.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/text_format.h"

namespace feedgov::fuzz {
namespace {

void CheckInvariants(const Taxonomy& t) {
  FEEDGOV_FUZZ_CHECK(t.version() >= 1);
  for (int i = 0; i < static_cast<int>(t.entries().size()); ++i) {
    const TaxonomyEntry& e = t.entries()[i];
    FEEDGOV_FUZZ_CHECK(!e.name.empty());
    FEEDGOV_FUZZ_CHECK(t.IndexOf(e.name) == i);
    FEEDGOV_FUZZ_CHECK(t.Find(e.name) == &e);
    FEEDGOV_FUZZ_CHECK(e.item >= 1);
    FEEDGOV_FUZZ_CHECK(!e.description.empty());
    const std::string prefix = std::string(LabelClassName(e.label_class)) + ".";
    FEEDGOV_FUZZ_CHECK(absl::StartsWith(e.name, prefix));
    const int article = e.label_class == LabelClass::kPositive  ? 5
                        : e.label_class == LabelClass::kIllegal ? 6
                                                                : 7;
    FEEDGOV_FUZZ_CHECK(e.article == article);
    std::vector<int> exact = t.Match(e.name);
    FEEDGOV_FUZZ_CHECK(exact.size() == 1 && exact[0] == i);
    std::vector<int> by_class = t.Match(prefix + "*");
    FEEDGOV_FUZZ_CHECK(std::find(by_class.begin(), by_class.end(), i) !=
                       by_class.end());
    for (int j = 0; j < i; ++j) {
      const TaxonomyEntry& o = t.entries()[j];
      FEEDGOV_FUZZ_CHECK(o.name != e.name);
      FEEDGOV_FUZZ_CHECK(o.article != e.article || o.item != e.item);
    }
  }
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Taxonomy> t = Taxonomy::Parse("fuzz.textproto", text);
  if (!t.ok()) {
    FEEDGOV_FUZZ_CHECK(t.status().code() == absl::StatusCode::kInvalidArgument);
    FEEDGOV_FUZZ_CHECK(
        absl::StartsWith(t.status().message(), "fuzz.textproto:"));
    return 0;
  }
  fuzz::CheckInvariants(*t);
  // Round trip through the proto's canonical text form.
  v1::Taxonomy proto;
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::TextFormat::ParseFromString(text, &proto));
  std::string printed;
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::TextFormat::PrintToString(proto, &printed));
  absl::StatusOr<Taxonomy> again = Taxonomy::Parse("printed", printed);
  FEEDGOV_FUZZ_CHECK(again.ok());
  FEEDGOV_FUZZ_CHECK(again->version() == t->version());
  FEEDGOV_FUZZ_CHECK(again->entries().size() == t->entries().size());
  for (size_t i = 0; i < t->entries().size(); ++i) {
    const TaxonomyEntry& a = t->entries()[i];
    const TaxonomyEntry& b = again->entries()[i];
    FEEDGOV_FUZZ_CHECK(a.name == b.name && a.label_class == b.label_class &&
                       a.article == b.article && a.item == b.item &&
                       a.description == b.description);
  }
  return 0;
}
