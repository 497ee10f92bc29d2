#include "engine/labeler/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/common/status_macros.h"
#include "engine/ingest/csv_reader.h"

namespace feedgov {
namespace {

using feedgov::v1::LabelerConfig;
using feedgov::v1::LabelerDataFormat;

constexpr size_t kMaxLineBytes = 1 << 20;

std::string Base(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// Skips a UTF-8 byte order mark at the start of `in` (spreadsheet exports
// write one), so it is neither part of a header column nor of a text.
void SkipBom(std::istream& in) {
  char bom[3];
  if (in.peek() != 0xEF) return;
  in.read(bom, 3);
  if (in.gcount() == 3 && bom[0] == '\xEF' && bom[1] == '\xBB' && bom[2] == '\xBF') return;
  in.clear();
  in.seekg(0);
}

absl::StatusOr<int> ClassIndex(const LabelerConfig& config, const std::string& name,
                               const std::string& where) {
  for (int i = 0; i < config.class__size(); ++i) {
    if (config.class_(i).name() == name) return i;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": class '", name, "' is not one of labeler ", config.name(), "'s classes"));
}

absl::Status TooMany(const std::string& where) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": more than ", kMaxLabeledRows, " rows"));
}

// One headline per line; the class comes from the file name.
absl::Status ReadLines(const LabelerConfig& config, const std::string& path,
                       const std::string& class_name, std::vector<LabeledText>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  SkipBom(in);
  std::string line;
  int64_t n = 0;
  const std::string base = Base(path);
  while (std::getline(in, line)) {
    ++n;
    const std::string where = absl::StrCat(base, ":", n);
    if (line.size() > kMaxLineBytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": line over 1 MiB"));
    }
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (t.empty()) continue;
    FEEDGOV_ASSIGN_OR_RETURN(int label, ClassIndex(config, class_name, where));
    if (static_cast<int64_t>(out->size()) >= kMaxLabeledRows) return TooMany(where);
    out->push_back({std::string(t), label, where});
  }
  return absl::OkStatus();
}

// A CSV with a header; `label_col` values map through `values` to classes.
absl::Status ReadCsv(const LabelerConfig& config, const std::string& path,
                     const std::string& label_col, const std::string& text_col,
                     const std::map<std::string, std::string>& values,
                     std::vector<LabeledText>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  SkipBom(in);
  const std::string base = Base(path);
  CsvReader reader(&in, base);
  std::vector<std::string> fields;
  FEEDGOV_ASSIGN_OR_RETURN(bool has_header, reader.Next(&fields));
  if (!has_header) return absl::InvalidArgumentError(absl::StrCat(base, ": empty file"));
  int li = -1, ti = -1;
  for (int i = 0; i < static_cast<int>(fields.size()); ++i) {
    if (fields[i] == label_col) li = i;
    if (fields[i] == text_col) ti = i;
  }
  if (li < 0 || ti < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        base, ":1: header needs columns '", label_col, "' and '", text_col, "'; has ",
        absl::StrJoin(fields, ",")));
  }
  std::vector<std::string> allowed;
  for (const auto& [k, v] : values) allowed.push_back(k);
  while (true) {
    FEEDGOV_ASSIGN_OR_RETURN(bool more, reader.Next(&fields));
    if (!more) break;
    const std::string where = absl::StrCat(base, ":", reader.line());
    if (static_cast<int>(fields.size()) <= std::max(li, ti)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": ", fields.size(), " fields; the header has columns up to ",
          std::max(li, ti) + 1));
    }
    auto v = values.find(fields[li]);
    if (v == values.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": field '", label_col, "' is '", absl::CHexEscape(fields[li]),
          "'; expected one of ", absl::StrJoin(allowed, ", ")));
    }
    if (fields[ti].size() > kMaxLineBytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": field '", text_col, "' over 1 MiB"));
    }
    FEEDGOV_ASSIGN_OR_RETURN(int label, ClassIndex(config, v->second, where));
    if (static_cast<int64_t>(out->size()) >= kMaxLabeledRows) return TooMany(where);
    out->push_back({fields[ti], label, where});
  }
  return absl::OkStatus();
}

// Tab-separated, header, no quoting (weibo_ced_microblogs.tsv).
absl::Status ReadTsv(const LabelerConfig& config, const std::string& path,
                     std::vector<LabeledText>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  SkipBom(in);
  const std::string base = Base(path);
  std::string line;
  if (!std::getline(in, line)) return absl::InvalidArgumentError(absl::StrCat(base, ": empty file"));
  std::vector<std::string> header = absl::StrSplit(line, '\t');
  int li = -1, ti = -1;
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    std::string h(absl::StripAsciiWhitespace(header[i]));
    if (h == "label") li = i;
    if (h == "text") ti = i;
  }
  if (li < 0 || ti < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        base, ":1: header needs columns 'label' and 'text'; has ",
        absl::CHexEscape(absl::StrJoin(header, ","))));
  }
  int64_t n = 1;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = absl::StrCat(base, ":", n);
    if (line.size() > kMaxLineBytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": line over 1 MiB"));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (static_cast<int>(f.size()) <= std::max(li, ti)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": ", f.size(), " tab-separated fields; expected ", header.size()));
    }
    std::string cls;
    if (f[li] == "rumor") {
      cls = "rumor";
    } else if (f[li] == "non-rumor") {
      cls = "non_rumor";
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": field 'label' is '", absl::CHexEscape(f[li]),
          "'; expected rumor or non-rumor"));
    }
    FEEDGOV_ASSIGN_OR_RETURN(int label, ClassIndex(config, cls, where));
    if (static_cast<int64_t>(out->size()) >= kMaxLabeledRows) return TooMany(where);
    out->push_back({f[ti], label, where});
  }
  return absl::OkStatus();
}

}  // namespace

bool TakenForExtraTrain(const std::string& text, double take_fraction, uint64_t seed) {
  if (take_fraction >= 1.0) return true;
  // SplitMix64 of (FNV-1a of the trimmed text) ^ seed: stable across runs.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : absl::StripAsciiWhitespace(text)) {
    h = (h ^ c) * 1099511628211ULL;
  }
  uint64_t z = h ^ (seed * 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ULL << 53) < take_fraction;
}

absl::StatusOr<std::vector<LabeledText>> ReadExtraTrainRows(
    const LabelerConfig& config, const feedgov::v1::ExtraTrainRows& extra,
    const std::string& data_root) {
  const std::string& file = extra.file();
  const bool txt = absl::EndsWith(file, ".txt");
  const bool json = absl::EndsWith(file, ".json") || absl::EndsWith(file, ".jsonl");
  if ((!txt && !json) || file.find('/') != std::string::npos || extra.data_dir().empty() ||
      extra.data_dir().find("..") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labeler ", config.name(), ": extra_train file '", extra.data_dir(), "/", file,
        "': want a .txt, .json or .jsonl file name inside a data folder"));
  }
  FEEDGOV_ASSIGN_OR_RETURN(int label, ClassIndex(config, extra.as_class(),
                                                 absl::StrCat("labeler ", config.name(),
                                                              ": extra_train")));
  const double take = extra.take_fraction() > 0 ? extra.take_fraction() : 1.0;
  const std::string path = (std::filesystem::path(data_root) / extra.data_dir() / file).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<LabeledText> out;
  absl::flat_hash_set<std::string> seen;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = absl::StrCat(file, ":", n);
    if (line.size() > kMaxLineBytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": line over 1 MiB"));
    }
    std::string text;
    if (txt) {
      text = std::string(absl::StripAsciiWhitespace(line));
    } else {
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      google::protobuf::Struct obj;
      if (!google::protobuf::util::JsonStringToMessage(line, &obj).ok() ||
          !obj.fields().contains("sentence") ||
          obj.fields().at("sentence").kind_case() != google::protobuf::Value::kStringValue) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": want a JSON object with a string field 'sentence'"));
      }
      text = std::string(absl::StripAsciiWhitespace(obj.fields().at("sentence").string_value()));
    }
    if (text.empty() || !seen.insert(text).second) continue;
    if (!TakenForExtraTrain(text, take, config.seed())) continue;
    if (extra.max_rows() > 0 && static_cast<int64_t>(out.size()) >= extra.max_rows()) break;
    if (static_cast<int64_t>(out.size()) >= kMaxLabeledRows) return TooMany(where);
    out.push_back({std::move(text), label, where});
  }
  return out;
}

std::vector<std::string> FormatClasses(LabelerDataFormat format) {
  switch (format) {
    case feedgov::v1::LABELER_DATA_FORMAT_CLICKBAIT_TXT:
      return {"clickbait", "not_clickbait"};
    case feedgov::v1::LABELER_DATA_FORMAT_DAVIDSON_CSV:
      return {"hate", "offensive", "neither"};
    case feedgov::v1::LABELER_DATA_FORMAT_COLD_CSV:
      return {"offensive", "safe"};
    case feedgov::v1::LABELER_DATA_FORMAT_WEIBO_TSV:
      return {"rumor", "non_rumor"};
    default:
      return {};
  }
}

std::vector<std::string> FormatFiles(LabelerDataFormat format) {
  switch (format) {
    case feedgov::v1::LABELER_DATA_FORMAT_CLICKBAIT_TXT:
      return {"clickbait_data.txt", "non_clickbait_data.txt"};
    case feedgov::v1::LABELER_DATA_FORMAT_DAVIDSON_CSV:
      return {"labeled_data.csv"};
    case feedgov::v1::LABELER_DATA_FORMAT_COLD_CSV:
      return {"train.csv", "dev.csv", "test.csv"};
    case feedgov::v1::LABELER_DATA_FORMAT_WEIBO_TSV:
      return {"weibo_ced_microblogs.tsv"};
    default:
      return {};
  }
}

absl::StatusOr<std::vector<LabeledText>> ReadLabeledFile(const LabelerConfig& config,
                                                         const std::string& path) {
  std::vector<LabeledText> out;
  const std::string base = Base(path);
  switch (config.format()) {
    case feedgov::v1::LABELER_DATA_FORMAT_CLICKBAIT_TXT:
      FEEDGOV_RETURN_IF_ERROR(ReadLines(
          config, path, base == "clickbait_data.txt" ? "clickbait" : "not_clickbait", &out));
      break;
    case feedgov::v1::LABELER_DATA_FORMAT_DAVIDSON_CSV:
      FEEDGOV_RETURN_IF_ERROR(ReadCsv(config, path, "class", "tweet",
                                      {{"0", "hate"}, {"1", "offensive"}, {"2", "neither"}},
                                      &out));
      break;
    case feedgov::v1::LABELER_DATA_FORMAT_COLD_CSV:
      FEEDGOV_RETURN_IF_ERROR(
          ReadCsv(config, path, "label", "TEXT", {{"0", "safe"}, {"1", "offensive"}}, &out));
      break;
    case feedgov::v1::LABELER_DATA_FORMAT_WEIBO_TSV:
      FEEDGOV_RETURN_IF_ERROR(ReadTsv(config, path, &out));
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("labeler ", config.name(), ": unknown data format"));
  }
  return out;
}

absl::StatusOr<std::vector<LabeledText>> ReadLabeledFolder(const LabelerConfig& config,
                                                           const std::string& dir) {
  std::vector<LabeledText> all;
  int found = 0;
  for (const std::string& f : FormatFiles(config.format())) {
    const std::string path = (std::filesystem::path(dir) / f).string();
    if (!std::filesystem::exists(path)) continue;
    ++found;
    FEEDGOV_ASSIGN_OR_RETURN(std::vector<LabeledText> rows, ReadLabeledFile(config, path));
    if (static_cast<int64_t>(all.size() + rows.size()) > kMaxLabeledRows) {
      return TooMany(path);
    }
    for (auto& r : rows) all.push_back(std::move(r));
  }
  if (found == 0) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": none of ", absl::StrJoin(FormatFiles(config.format()), ", "),
        " (labeler ", config.name(), "'s data format)"));
  }
  if (all.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        dir, ": no labeled rows in ", absl::StrJoin(FormatFiles(config.format()), ", "),
        " (labeler ", config.name(), "'s data format; only headers or blank lines)"));
  }
  return all;
}

DataParts SplitRows(std::vector<LabeledText> rows, int num_classes, double train_fraction,
                    double calibrate_fraction, uint64_t seed) {
  // Units: distinct trimmed texts, in first-seen order.
  absl::flat_hash_map<std::string, int> unit_of;
  std::vector<std::vector<int>> unit_rows;
  std::vector<int> unit_class;
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    std::string key(absl::StripAsciiWhitespace(rows[i].text));
    auto [it, inserted] = unit_of.try_emplace(key, static_cast<int>(unit_rows.size()));
    if (inserted) {
      unit_rows.emplace_back();
      unit_class.push_back(rows[i].label);
    }
    unit_rows[it->second].push_back(i);
  }
  DataParts parts;
  std::mt19937_64 rng(seed);
  for (int c = 0; c < num_classes; ++c) {
    std::vector<int> units;
    for (int u = 0; u < static_cast<int>(unit_rows.size()); ++u) {
      if (unit_class[u] == c) units.push_back(u);
    }
    std::shuffle(units.begin(), units.end(), rng);
    const size_t a = static_cast<size_t>(units.size() * train_fraction);
    const size_t b = static_cast<size_t>(units.size() * (train_fraction + calibrate_fraction));
    for (size_t k = 0; k < units.size(); ++k) {
      std::vector<LabeledText>& part =
          k < a ? parts.train : (k < b ? parts.calibrate : parts.validate);
      for (int r : unit_rows[units[k]]) part.push_back(rows[r]);
    }
  }
  return parts;
}

absl::StatusOr<DataParts> LoadParts(const LabelerConfig& config, const std::string& dir) {
  if (config.format() == feedgov::v1::LABELER_DATA_FORMAT_COLD_CSV) {
    DataParts parts;
    const char* files[] = {"train.csv", "dev.csv", "test.csv"};
    std::vector<LabeledText>* dest[] = {&parts.train, &parts.calibrate, &parts.validate};
    for (int i = 0; i < 3; ++i) {
      const std::string path = (std::filesystem::path(dir) / files[i]).string();
      absl::StatusOr<std::vector<LabeledText>> rows = ReadLabeledFile(config, path);
      if (!rows.ok()) return rows.status();
      *dest[i] = std::move(*rows);
    }
    return parts;
  }
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<LabeledText> rows, ReadLabeledFolder(config, dir));
  const double train = config.train_fraction() > 0 ? config.train_fraction() : 0.7;
  const double cal = config.calibrate_fraction() > 0 ? config.calibrate_fraction() : 0.15;
  return SplitRows(std::move(rows), config.class__size(), train, cal, config.seed());
}

}  // namespace feedgov
