// Labeler throughput (issue 14: >= 50,000 headlines per second per core for
// each labeler): one thread labels the texts of each labeler's own data
// folder, cycling, through TextLabeler::LabelsFor (tokenize, fastText
// predict, calibrate, build labels). Also the whole routed set
// (LabelerSet::LabelText: language detection + every labeler of the
// language) on the English and Chinese texts.
//
// Models: trained (or reused) under $FEEDGOV_BENCH_CACHE/labelers (default
// out/bench-cache/labelers) from $FEEDGOV_DATA_DIR (default ../shared/data)
// with models/labelers.textproto. With FEEDGOV_BENCH_LABELER_FIXTURE=1 the
// seeded fixture is used instead (the CI smoke run).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "engine/common/file_util.h"
#include "engine/labeler/dataset.h"
#include "engine/labeler/fixture.h"
#include "engine/labeler/labeler_set.h"
#include "engine/labeler/trainer.h"
#include "google/protobuf/text_format.h"

namespace feedgov {
namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

struct World {
  std::shared_ptr<const LabelerSet> set;
  std::map<std::string, std::vector<std::string>> texts;  // By labeler.
};

const World& GetWorld() {
  static const World* world = [] {
    auto* w = new World();
    const bool fixture = Env("FEEDGOV_BENCH_LABELER_FIXTURE", "") == "1";
    const std::string cache = Env("FEEDGOV_BENCH_CACHE", "out/bench-cache");
    TrainOptions o;
    o.models_dir = cache + (fixture ? "/labelers-fixture" : "/labelers");
    feedgov::v1::LabelerConfigs configs;
    if (fixture) {
      o.data_root = cache + "/labeler-fixture-data";
      if (!WriteLabelerFixtures(o.data_root, FixtureOptions{}).ok()) std::abort();
      google::protobuf::TextFormat::ParseFromString(FixtureLabelerConfigs(), &configs);
    } else {
      o.data_root = Env("FEEDGOV_DATA_DIR", DefaultPath("../shared/data"));
      auto c = LoadLabelerConfigs(DefaultPath("models/labelers.textproto"), {});
      if (!c.ok()) {
        std::cerr << c.status() << "\n";
        std::abort();
      }
      configs = *c;
    }
    o.progress = [](const std::string& s) { std::cerr << s << "\n"; };
    for (const auto& c : configs.labeler()) {
      auto r = TrainLabeler(c, o);
      if (!r.ok()) {
        std::cerr << r.status() << "\n";
        std::abort();
      }
      auto rows = ReadLabeledFolder(c, (std::filesystem::path(o.data_root) / c.data_dir()).string());
      if (!rows.ok()) std::abort();
      for (const auto& row : *rows) w->texts[c.name()].push_back(row.text);
    }
    // Headlines for every labeler of a language: English news and
    // clickbait headlines; Chinese Toutiao headlines (TNEWS test.json).
    w->texts["en_headlines"] = w->texts[fixture ? "clickbait_en" : "clickbait_en"];
    if (!fixture) {
      std::ifstream in(std::filesystem::path(o.data_root) / "tnews_toutiao_headlines" / "test.json");
      std::string line;
      while (std::getline(in, line)) {
        const size_t k = line.find("\"sentence\": \"");
        if (k == std::string::npos) continue;
        const size_t b = k + 13, e = line.find('"', b);
        if (e != std::string::npos) w->texts["zh_headlines"].push_back(line.substr(b, e - b));
      }
    }
    if (w->texts["zh_headlines"].empty()) w->texts["zh_headlines"] = w->texts["rumor_zh"];
    auto set = LabelerSet::Load(o.models_dir);
    if (!set.ok()) std::abort();
    w->set = *set;
    return w;
  }();
  return *world;
}

void BM_LabelerOn(benchmark::State& state, const std::string& name, const std::string& corpus) {
  const World& w = GetWorld();
  const TextLabeler* l = w.set->Find(name);
  const auto& texts = w.texts.at(corpus);
  size_t i = 0, labels = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& t = texts[i];
    std::vector<Label> out = l->LabelsFor(t, 1700000000);
    labels += out.size();
    bytes += t.size();
    benchmark::DoNotOptimize(out);
    if (++i == texts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["texts"] = static_cast<double>(texts.size());
}

void BM_RoutedSet(benchmark::State& state, const std::string& corpus_of) {
  const World& w = GetWorld();
  const auto& texts = w.texts.at(corpus_of);
  size_t i = 0;
  for (auto _ : state) {
    LabelingResult r = w.set->LabelText(texts[i], 1700000000);
    benchmark::DoNotOptimize(r);
    if (++i == texts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Labeler(benchmark::State& state, const std::string& name) {
  BM_LabelerOn(state, name, name);
}

// Each labeler on its own data (tweets, comments, Weibo posts)...
BENCHMARK_CAPTURE(BM_Labeler, clickbait_en, std::string("clickbait_en"));
BENCHMARK_CAPTURE(BM_Labeler, hate_offensive_en, std::string("hate_offensive_en"));
BENCHMARK_CAPTURE(BM_Labeler, offensive_zh, std::string("offensive_zh"));
BENCHMARK_CAPTURE(BM_Labeler, rumor_zh, std::string("rumor_zh"));
// ... and on headlines of its language (the unit).
BENCHMARK_CAPTURE(BM_LabelerOn, hate_offensive_en_on_headlines,
                  std::string("hate_offensive_en"), std::string("en_headlines"));
BENCHMARK_CAPTURE(BM_LabelerOn, offensive_zh_on_headlines, std::string("offensive_zh"),
                  std::string("zh_headlines"));
BENCHMARK_CAPTURE(BM_LabelerOn, rumor_zh_on_headlines, std::string("rumor_zh"),
                  std::string("zh_headlines"));
BENCHMARK_CAPTURE(BM_RoutedSet, en_headlines_all_labelers, std::string("clickbait_en"));
BENCHMARK_CAPTURE(BM_RoutedSet, zh_weibo_all_labelers, std::string("rumor_zh"));

}  // namespace
}  // namespace feedgov

BENCHMARK_MAIN();
