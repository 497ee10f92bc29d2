#include "engine/labeler/fixture.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/text_format.h"

namespace feedgov {
namespace {

using Words = std::vector<std::string>;

std::string Pick(const Words& w, std::mt19937_64& rng) {
  return w[std::uniform_int_distribution<size_t>(0, w.size() - 1)(rng)];
}

// A sentence: one template with {slots} filled from `vocab`.
std::string Fill(const Words& templates, const std::vector<std::pair<std::string, Words>>& vocab,
                 std::mt19937_64& rng) {
  std::string s = Pick(templates, rng);
  for (const auto& [slot, words] : vocab) {
    const std::string key = "{" + slot + "}";
    size_t at;
    while ((at = s.find(key)) != std::string::npos) s.replace(at, key.size(), Pick(words, rng));
  }
  return s;
}

const std::vector<std::pair<std::string, Words>> kEnVocab = {
    {"n", {"7", "11", "15", "21", "23", "29"}},
    {"thing", {"cats", "celebrities", "recipes", "photos", "moments", "tweets", "dogs", "hacks"}},
    {"who", {"minister", "court", "council", "senate", "central bank", "union", "mayor"}},
    {"act", {"approves", "rejects", "delays", "reviews", "announces", "debates"}},
    {"what", {"budget", "tax plan", "trade deal", "rail project", "election law", "water policy"}},
    {"where", {"Delhi", "Ohio", "Kenya", "Brazil", "Wales", "Quebec", "Manila"}},
    {"group", {"immigrants", "women", "muslims", "foreigners", "gays"}},
    {"insult", {"idiot", "loser", "trash", "clown", "moron"}},
    {"topic", {"game", "weather", "music", "weekend", "coffee", "traffic"}},
};

const std::vector<std::pair<std::string, Words>> kZhVocab = {
    {"place", {"北京", "上海", "广州", "成都", "武汉", "西安", "南京"}},
    {"group", {"河南人", "东北人", "黑人", "女人", "外地人"}},
    {"bad", {"都是骗子", "就是垃圾", "素质太低", "滚出去", "没一个好东西"}},
    {"good", {"很热情", "值得尊重", "都很努力", "是我的好朋友", "帮了我很多"}},
    {"event", {"地震", "爆炸", "食品中毒", "拐卖儿童", "疫苗出事"}},
    {"news", {"举行运动会", "开通地铁新线", "发布天气预报", "举办读书节", "修缮公园"}},
};

struct Format {
  Words classes;                  // Data class values, in order.
  std::vector<Words> templates;   // Per class.
  bool zh = false;
};

Format FormatOf(feedgov::v1::LabelerDataFormat f) {
  switch (f) {
    case feedgov::v1::LABELER_DATA_FORMAT_CLICKBAIT_TXT:
      return {{"clickbait", "not_clickbait"},
              {{"{n} {thing} You Won't Believe Exist", "This Is What Happens When {thing} Meet",
                "{n} {thing} That Will Make You Cry", "You Need To See These {n} {thing}",
                "Which Of These {thing} Are You"},
               {"{who} {act} {what} in {where}", "{where} {who} {act} new {what}",
                "{who} of {where} {act} {what} after talks", "{what} {act} by {who} in {where}"}}};
    case feedgov::v1::LABELER_DATA_FORMAT_DAVIDSON_CSV:
      return {{"0", "1", "2"},
              {{"all {group} should go back where they came from", "i hate {group} so much",
                "{group} are ruining this country"},
               {"shut up you {insult}", "what a {insult} lol", "this {insult} again smh"},
               {"nice {topic} today", "loving this {topic}", "anyone up for {topic} later"}}};
    case feedgov::v1::LABELER_DATA_FORMAT_COLD_CSV:
      return {{"1", "0"},
              {{"{group}{bad}", "我觉得{group}{bad}", "说实话{place}的{group}{bad}"},
               {"{place}的{group}{good}", "我认识的{group}{good}", "{place}今天{news}"}},
              true};
    case feedgov::v1::LABELER_DATA_FORMAT_WEIBO_TSV:
      return {{"rumor", "non-rumor"},
              {{"紧急扩散！{place}发生{event}，请转告家人", "求转发：{place}{event}，官方还没公布",
                "【网友爆料】{place}{event}，死亡多人"},
               {"{place}今天{news}，欢迎参加", "{place}{news}，市民反映良好", "听说{place}要{news}了"}},
              true};
    default:
      return {};
  }
}

std::string CsvQuote(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

}  // namespace

absl::Status WriteLabelerFixture(feedgov::v1::LabelerDataFormat format, const std::string& dir,
                                 const FixtureOptions& o) {
  const Format f = FormatOf(format);
  if (f.classes.empty()) return absl::InvalidArgumentError("unknown labeler data format");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", dir, ": ", ec.message()));
  std::mt19937_64 rng(o.seed ^ static_cast<uint64_t>(format) * 0x9E3779B97F4A7C15ULL);
  std::bernoulli_distribution flip(o.label_noise);
  // rows[i] = {class index, text}
  std::vector<std::pair<int, std::string>> rows;
  const int nc = static_cast<int>(f.classes.size());
  for (int c = 0; c < nc; ++c) {
    for (int i = 0; i < o.rows_per_class; ++i) {
      std::string text = Fill(f.templates[c], f.zh ? kZhVocab : kEnVocab, rng);
      // A row number makes most texts distinct without changing the class.
      absl::StrAppend(&text, f.zh ? " #" : " #", i % 97);
      int label = c;
      if (flip(rng)) label = (c + 1 + static_cast<int>(rng() % (nc - 1))) % nc;
      rows.push_back({label, text});
    }
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  auto path = [&](const std::string& name) { return (std::filesystem::path(dir) / name).string(); };
  switch (format) {
    case feedgov::v1::LABELER_DATA_FORMAT_CLICKBAIT_TXT: {
      std::ofstream cb(path("clickbait_data.txt")), nc_out(path("non_clickbait_data.txt"));
      for (const auto& [c, t] : rows) (c == 0 ? cb : nc_out) << t << "\n";
      if (!cb || !nc_out) return absl::InternalError(absl::StrCat("write ", dir));
      break;
    }
    case feedgov::v1::LABELER_DATA_FORMAT_DAVIDSON_CSV: {
      std::ofstream out(path("labeled_data.csv"));
      out << ",count,hate_speech,offensive_language,neither,class,tweet\n";
      int id = 0;
      for (const auto& [c, t] : rows) {
        out << id++ << ",3," << (c == 0 ? 3 : 0) << "," << (c == 1 ? 3 : 0) << ","
            << (c == 2 ? 3 : 0) << "," << f.classes[c] << "," << CsvQuote(t) << "\n";
      }
      if (!out) return absl::InternalError(absl::StrCat("write ", dir));
      break;
    }
    case feedgov::v1::LABELER_DATA_FORMAT_COLD_CSV: {
      const char* names[] = {"train", "dev", "test"};
      for (int part = 0; part < 3; ++part) {
        std::ofstream out(path(absl::StrCat(names[part], ".csv")));
        out << "\xEF\xBB\xBF,split,topic,label,TEXT\n";
        // 60% / 20% / 20% of the rows.
        const size_t begin = rows.size() * (part == 0 ? 0 : part == 1 ? 60 : 80) / 100;
        const size_t end = rows.size() * (part == 0 ? 60 : part == 1 ? 80 : 100) / 100;
        for (size_t i = begin; i < end; ++i) {
          out << i << "," << names[part] << ",region," << f.classes[rows[i].first] << ","
              << CsvQuote(rows[i].second) << "\n";
        }
        if (!out) return absl::InternalError(absl::StrCat("write ", dir));
      }
      break;
    }
    case feedgov::v1::LABELER_DATA_FORMAT_WEIBO_TSV: {
      std::ofstream out(path("weibo_ced_microblogs.tsv"));
      out << "idx\tmid\tuid\tlabel\ttime\treposts\tcomments\tlikes\tpics\thas_url\tuser_verified"
             "\tuser_followers\ttext\n";
      int id = 0;
      for (const auto& [c, t] : rows) {
        out << id << "\tm" << id << "\t" << 1000 + id << "\t" << f.classes[c]
            << "\tTue Sep 11 19:23:20 +0800 2012\t1\t1\t1\t0\t0\t\t\t" << t << "\n";
        ++id;
      }
      if (!out) return absl::InternalError(absl::StrCat("write ", dir));
      break;
    }
    default:
      break;
  }
  return absl::OkStatus();
}

std::string FixtureLabelerConfigs() {
  return R"pb(
labeler {
  name: "clickbait_en" language: "en" data_dir: "clickbait"
  format: LABELER_DATA_FORMAT_CLICKBAIT_TXT
  class { name: "clickbait" label: "bad.clickbait" } class { name: "not_clickbait" }
  fasttext { dim: 16 epoch: 10 lr: 0.5 word_ngrams: 2 bucket: 20000 } seed: 1
}
labeler {
  name: "hate_offensive_en" language: "en" data_dir: "davidson"
  format: LABELER_DATA_FORMAT_DAVIDSON_CSV
  class { name: "hate" label: "bad.group_discrimination" }
  class { name: "offensive" label: "bad.vulgar" } class { name: "neither" }
  fasttext { dim: 16 epoch: 10 lr: 0.5 word_ngrams: 2 bucket: 20000 } seed: 1
}
labeler {
  name: "offensive_zh" language: "zh" data_dir: "cold"
  format: LABELER_DATA_FORMAT_COLD_CSV
  class { name: "offensive" label: "bad.group_discrimination" } class { name: "safe" }
  fasttext { dim: 16 epoch: 10 lr: 0.5 word_ngrams: 2 bucket: 20000 } seed: 1
}
labeler {
  name: "rumor_zh" language: "zh" data_dir: "weibo"
  format: LABELER_DATA_FORMAT_WEIBO_TSV
  class { name: "rumor" label: "illegal.rumors" } class { name: "non_rumor" }
  fasttext { dim: 16 epoch: 10 lr: 0.5 word_ngrams: 2 bucket: 20000 } seed: 1
}
)pb";
}

absl::Status WriteLabelerFixtures(const std::string& root, const FixtureOptions& o) {
  const std::pair<const char*, feedgov::v1::LabelerDataFormat> all[] = {
      {"clickbait", feedgov::v1::LABELER_DATA_FORMAT_CLICKBAIT_TXT},
      {"davidson", feedgov::v1::LABELER_DATA_FORMAT_DAVIDSON_CSV},
      {"cold", feedgov::v1::LABELER_DATA_FORMAT_COLD_CSV},
      {"weibo", feedgov::v1::LABELER_DATA_FORMAT_WEIBO_TSV}};
  for (const auto& [name, format] : all) {
    absl::Status s = WriteLabelerFixture(format, (std::filesystem::path(root) / name).string(), o);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TrainResult>> TrainFixtureLabelers(
    const std::string& data_root, const std::string& models_dir,
    const std::vector<std::string>& names, const FixtureOptions& options) {
  absl::Status written = WriteLabelerFixtures(data_root, options);
  if (!written.ok()) return written;
  feedgov::v1::LabelerConfigs configs;
  if (!google::protobuf::TextFormat::ParseFromString(FixtureLabelerConfigs(), &configs)) {
    return absl::InternalError("FixtureLabelerConfigs does not parse");
  }
  TrainOptions o;
  o.data_root = data_root;
  o.models_dir = models_dir;
  std::vector<TrainResult> out;
  for (const auto& c : configs.labeler()) {
    if (!names.empty() && std::find(names.begin(), names.end(), c.name()) == names.end()) continue;
    absl::StatusOr<TrainResult> r = TrainLabeler(c, o);
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  if (out.size() < names.size()) {
    return absl::NotFoundError(absl::StrCat("no fixture labeler among ", absl::StrJoin(names, ", ")));
  }
  return out;
}

}  // namespace feedgov
