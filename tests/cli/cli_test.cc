// End-to-end tests of the real `feedgov` binary (path from the build:
// FEEDGOV_CLI_PATH): ingest, eval, rank --format json, --help of every
// subcommand, policy lint, pin refusals, audit verify against tampering with
// /usr/bin/sqlite3, and failed ingests that leave the output untouched.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "engine/catalog/snapshot.h"
#include "engine/labeler/fixture.h"
#include "engine/labeler/trainer.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/pipeline/movielens_env.h"

#ifndef FEEDGOV_CLI_PATH
#error "FEEDGOV_CLI_PATH must name the feedgov binary"
#endif

namespace feedgov {
namespace {

namespace fs = std::filesystem;
using ::feedgov::testing::DataDir;
using ::feedgov::testing::MakeTempDir;
using ::feedgov::testing::SourceDir;
using ::testing::HasSubstr;

struct Result {
  int code = -1;
  std::string out, err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string& Scratch() {
  static std::string* dir = new std::string(MakeTempDir("feedgov_cli_test"));
  return *dir;
}

Result RunCli(const std::vector<std::string>& args) {
  static int n = 0;
  const std::string base = absl::StrCat(Scratch(), "/run", n++);
  std::string cmd = Quote(FEEDGOV_CLI_PATH);
  for (const auto& a : args) absl::StrAppend(&cmd, " ", Quote(a));
  absl::StrAppend(&cmd, " >", base, ".out 2>", base, ".err");
  int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(base + ".out");
  r.err = ReadAll(base + ".err");
  return r;
}

std::ostream& operator<<(std::ostream& o, const Result& r) {
  return o << "exit " << r.code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
}

class CliTest : public ::testing::Test {
 protected:
  // The snapshot the read-only tests share (built by the library once per
  // build, tests/pipeline/movielens_env.h); the ingest test runs the CLI.
  static void SetUpTestSuite() {
    snapshot_ = new std::string(testing::MovieLensSnapshot::Dir());
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(Scratch(), ec);
    testing::MovieLensSnapshot::Cleanup();
  }
  static std::string* snapshot_;
};
std::string* CliTest::snapshot_ = nullptr;

TEST_F(CliTest, IngestWritesASnapshotAndReportsProgress) {
  const std::string out = Scratch() + "/ingested";
  Result r = RunCli({"ingest", "--data", DataDir("movielens_latest_small"),
                     "--out", out});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("loss"));
  auto snap = ReadSnapshot(out);
  ASSERT_OK(snap);
  EXPECT_EQ(snap->catalog->size(), 9742);
  EXPECT_EQ(snap->users->size(), 610);
  // The CLI's snapshot serves the same pages as the library-built one.
  Result a = RunCli({"rank", "--snapshot", out, "--user", "7", "--format", "json"});
  Result b = RunCli({"rank", "--snapshot", *snapshot_, "--user", "7", "--format",
                     "json"});
  ASSERT_EQ(a.code, 0) << a;
  auto items = [](const std::string& json) {
    return json.substr(json.find("\"items\""),
                       json.find("\"next_page_token\"") - json.find("\"items\""));
  };
  EXPECT_EQ(items(a.out), items(b.out));
}

TEST_F(CliTest, EvalPrintsTableWhereAlsBeatsPopularity) {
  Result r = RunCli({"eval", "--data", DataDir("movielens_latest_small")});
  ASSERT_EQ(r.code, 0) << r;
  // method users Recall@20 NDCG@20 train_s
  std::map<std::string, std::pair<double, double>> rows;
  std::vector<std::string> header;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> cols =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (cols.empty()) continue;
    if (cols[0] == "method") {
      header = cols;
      continue;
    }
    ASSERT_EQ(cols.size(), 5u) << line;
    double recall, ndcg;
    ASSERT_TRUE(absl::SimpleAtod(cols[2], &recall)) << line;
    ASSERT_TRUE(absl::SimpleAtod(cols[3], &ndcg)) << line;
    rows[cols[0]] = {recall, ndcg};
  }
  ASSERT_EQ(header.size(), 5u) << r.out;
  EXPECT_EQ(header[2], "Recall@20");
  EXPECT_EQ(header[3], "NDCG@20");
  ASSERT_TRUE(rows.contains("als") && rows.contains("popularity") &&
              rows.contains("random"))
      << r.out;
  EXPECT_GT(rows["als"].first, rows["popularity"].first);
  EXPECT_GT(rows["als"].second, rows["popularity"].second);
  EXPECT_GT(rows["popularity"].first, rows["random"].first);
}

// Minimal JSON reader: enough to walk the rank output (objects, arrays,
// strings, numbers, booleans).
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::map<std::string, Json> obj;
};

class JsonParser {
 public:
  explicit JsonParser(absl::string_view s) : s_(s) {}
  bool Parse(Json* out) {
    if (!Value(out)) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  void Ws() {
    while (i_ < s_.size() && isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool String(std::string* out) {
    if (s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') {
        ++i_;
        if (i_ >= s_.size()) return false;
        char c = s_[i_];
        if (c == 'u') {
          i_ += 4;
          out->push_back('?');
        } else {
          out->push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c);
        }
      } else {
        out->push_back(s_[i_]);
      }
      ++i_;
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool Value(Json* out) {
    Ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '{') {
      out->kind = Json::kObject;
      ++i_;
      Ws();
      if (s_[i_] == '}') return ++i_, true;
      while (true) {
        Ws();
        std::string key;
        if (!String(&key)) return false;
        Ws();
        if (s_[i_++] != ':') return false;
        if (!Value(&out->obj[key])) return false;
        Ws();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] == '}') return ++i_, true;
        return false;
      }
    }
    if (c == '[') {
      out->kind = Json::kArray;
      ++i_;
      Ws();
      if (s_[i_] == ']') return ++i_, true;
      while (true) {
        out->arr.emplace_back();
        if (!Value(&out->arr.back())) return false;
        Ws();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] == ']') return ++i_, true;
        return false;
      }
    }
    if (c == '"') {
      out->kind = Json::kString;
      return String(&out->str);
    }
    if (s_.substr(i_, 4) == "true" || s_.substr(i_, 5) == "false") {
      out->kind = Json::kBool;
      out->b = s_[i_] == 't';
      i_ += out->b ? 4 : 5;
      return true;
    }
    if (s_.substr(i_, 4) == "null") {
      i_ += 4;
      return true;
    }
    size_t end = i_;
    while (end < s_.size() && (isdigit(static_cast<unsigned char>(s_[end])) ||
                               strchr("+-.eE", s_[end]))) {
      ++end;
    }
    out->kind = Json::kNumber;
    if (!absl::SimpleAtod(s_.substr(i_, end - i_), &out->num)) return false;
    i_ = end;
    return true;
  }

  absl::string_view s_;
  size_t i_ = 0;
};

TEST_F(CliTest, RankJsonHasTwentyCompleteItems) {
  Result r = RunCli({"rank", "--snapshot", *snapshot_, "--user", "1", "--format",
                  "json"});
  ASSERT_EQ(r.code, 0) << r;
  Json doc;
  ASSERT_TRUE(JsonParser(r.out).Parse(&doc)) << r.out;
  ASSERT_EQ(doc.kind, Json::kObject);
  EXPECT_EQ(doc.obj["surface"].str, "home");
  EXPECT_EQ(doc.obj["policy"].obj["id"].str, "cn-ecology");
  EXPECT_TRUE(doc.obj["personalized"].b);
  EXPECT_FALSE(doc.obj["next_page_token"].str.empty());
  const auto& items = doc.obj["items"].arr;
  ASSERT_EQ(items.size(), 20u);
  std::set<double> ids;
  int labels_seen = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    auto o = items[i].obj;
    for (const char* field :
         {"position", "item_id", "title", "score", "reasons", "key_slot", "labels"}) {
      EXPECT_TRUE(o.contains(field)) << i << " " << field;
    }
    EXPECT_EQ(o["position"].num, i + 1);
    EXPECT_EQ(o["key_slot"].b, i < 6);  // home: first 6 are key slots.
    EXPECT_FALSE(o["title"].str.empty());
    EXPECT_EQ(o["reasons"].kind, Json::kArray);
    EXPECT_FALSE(o["reasons"].arr.empty());
    EXPECT_EQ(o["labels"].kind, Json::kArray);
    // Each label with its provenance; MovieLens labels come from the label
    // map (no raw score: that is for MODEL labels).
    for (const Json& l : o["labels"].arr) {
      for (const char* field : {"name", "confidence", "source", "origin"}) {
        EXPECT_TRUE(l.obj.contains(field)) << i << " " << field;
      }
      EXPECT_EQ(l.obj.at("source").str, "MAPPING") << i;
      EXPECT_EQ(l.obj.at("origin").str, "label_map:movielens") << i;
      EXPECT_FALSE(l.obj.contains("raw_score")) << i;
      ++labels_seen;
    }
    EXPECT_GT(o["score"].num, 0);
    ids.insert(o["item_id"].num);
  }
  EXPECT_GE(labels_seen, 2);  // The home quota's two positives at least.
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_GE(doc.obj["counters"].obj["quota_met"].num, 2);

  // The next page through the CLI continues the chain without repeats.
  Result p2 = RunCli({"rank", "--snapshot", *snapshot_, "--user", "1", "--format",
                   "json", "--page-token", doc.obj["next_page_token"].str});
  ASSERT_EQ(p2.code, 0) << p2;
  Json doc2;
  ASSERT_TRUE(JsonParser(p2.out).Parse(&doc2));
  ASSERT_EQ(doc2.obj["items"].arr.size(), 20u);
  for (auto& item : doc2.obj["items"].arr) {
    EXPECT_FALSE(ids.contains(item.obj["item_id"].num));
    EXPECT_GT(item.obj["position"].num, 20);
  }
}

// `user why` prints the item's labels with their provenance, one line each.
TEST_F(CliTest, UserWhyListsTheItemsLabelsWithTheirProvenance) {
  const std::string state = Scratch() + "/why_state";
  Result r = RunCli({"rank", "--snapshot", *snapshot_, "--state-dir", state,
                     "--user", "1", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r;
  Json doc;
  ASSERT_TRUE(JsonParser(r.out).Parse(&doc)) << r.out;
  // The first labelled item of the page (the home quota places two).
  const Json* labelled = nullptr;
  for (const Json& item : doc.obj["items"].arr) {
    if (!item.obj.at("labels").arr.empty()) {
      labelled = &item;
      break;
    }
  }
  ASSERT_NE(labelled, nullptr);
  const Json& label = labelled->obj.at("labels").arr[0];
  Result why = RunCli(
      {"user", "why", "--state-dir", state, "--snapshot", *snapshot_, "--user",
       "1", "--item",
       absl::StrCat(static_cast<int64_t>(labelled->obj.at("item_id").num))});
  ASSERT_EQ(why.code, 0) << why;
  EXPECT_THAT(why.out, HasSubstr("  labels:\n    label"));
  EXPECT_THAT(why.out, HasSubstr("confidence  source"));
  // The label's line: name, confidence to 2 places, source, origin and no
  // raw score (a label-map label).
  EXPECT_THAT(why.out,
              ::testing::ContainsRegex(absl::StrCat(
                  "\n    ", label.obj.at("name").str, " +",
                  absl::StrFormat("%.2f", label.obj.at("confidence").num),
                  " +MAPPING +label_map:movielens +-\n")))
      << why;
  EXPECT_THAT(why.out, ::testing::Not(HasSubstr("awaiting review")));
}

// --now fixes the clock of a rank (golden pages): a malformed instant is
// refused naming the flag; a valid one ranks.
TEST_F(CliTest, RankNowTakesAnRfc3339InstantAndNamesABadOne) {
  Result bad = RunCli({"rank", "--snapshot", *snapshot_, "--now", "yesterday"});
  EXPECT_EQ(bad.code, 1) << bad;
  EXPECT_THAT(bad.err, HasSubstr("--now")) << bad;
  Result good = RunCli({"rank", "--snapshot", *snapshot_, "--now",
                        "2030-01-01T00:00:00Z", "--format", "json"});
  EXPECT_EQ(good.code, 0) << good;
  EXPECT_THAT(good.out, HasSubstr("\"items\":[{"));
}

// Found by a review: 32-bit flags were cast before their range check, so
// --idle-threads 4294967424 became 128 and the server started.
TEST_F(CliTest, ThirtyTwoBitFlagsAreNeverWrapped) {
  const std::string tokens = Scratch() + "/wrap.tokens";
  for (const std::string flag : {"--threads", "--idle-threads", "--max-queued-calls"}) {
    Result r = RunCli({"serve", "--snapshot", *snapshot_, "--state-dir",
                       Scratch() + "/wrap-state", "--tokens", tokens, flag,
                       "4294967424"});
    EXPECT_NE(r.code, 0) << r;
    EXPECT_THAT(r.err, HasSubstr(flag + ": 4294967424 does not fit in 32 bits")) << r;
  }
  // Found by an adversarial run: inf or nan cancelled every call at once.
  for (const std::string grace : {"inf", "nan", "-1", "3601"}) {
    Result r = RunCli({"serve", "--snapshot", *snapshot_, "--state-dir",
                       Scratch() + "/wrap-state", "--tokens", tokens,
                       "--grace-seconds", grace});
    EXPECT_NE(r.code, 0) << r;
    EXPECT_THAT(r.err, HasSubstr("--grace-seconds")) << r;
    EXPECT_THAT(r.err, HasSubstr("outside [0, 3600]")) << r;
  }
  Result rank = RunCli({"rank", "--snapshot", *snapshot_, "--user", "1",
                        "--page-size", "4294967316"});
  EXPECT_NE(rank.code, 0) << rank;
  EXPECT_THAT(rank.err, HasSubstr("--page-size: 4294967316 does not fit in 32 bits"))
      << rank;
}

TEST_F(CliTest, EveryCommandHasHelp) {
  Result top = RunCli({"--help"});
  ASSERT_EQ(top.code, 0) << top;
  const std::vector<std::string> commands = {
      "ingest", "eval", "rank", "policy lint", "pin", "unpin", "suppress",
      "unsuppress", "boost", "bury", "interventions list", "audit list",
      "audit verify"};
  for (const std::string& c : commands) {
    EXPECT_THAT(top.out, HasSubstr(c));
    std::vector<std::string> args = absl::StrSplit(c, ' ');
    args.push_back("--help");
    Result r = RunCli(args);
    EXPECT_EQ(r.code, 0) << c << "\n" << r;
    EXPECT_THAT(r.out + r.err, HasSubstr("feedgov " + c)) << c;
  }
  Result unknown = RunCli({"rnak"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("rnak"));
}

TEST_F(CliTest, PolicyLintAcceptsShippedPacksAndPinpointsBrokenOnes) {
  int packs = 0;
  for (const auto& e : fs::directory_iterator(SourceDir() + "/policies")) {
    if (e.path().extension() != ".textproto" ||
        e.path().filename() == "labels.textproto") {
      continue;
    }
    ++packs;
    Result r = RunCli({"policy", "lint", e.path().string()});
    EXPECT_EQ(r.code, 0) << e.path() << "\n" << r;
  }
  EXPECT_GE(packs, 3);
  // A shipped pack with a bad threshold on its last rule.
  std::string text = ReadAll(SourceDir() + "/policies/cn-ecology.textproto");
  const std::string broken = Scratch() + "/broken.textproto";
  std::ofstream(broken) << text << "rule {\n  label: \"bad.vulgar\"\n"
                        << "  action: RULE_ACTION_DOWNRANK\n  threshold: 1.5\n"
                        << "  factor: 0.9\n}\n";
  // The error points at the offending field (4th line of the rule).
  const int line = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 4;
  Result r = RunCli({"policy", "lint", broken});
  EXPECT_NE(r.code, 0) << r;
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("broken.textproto:", line)));
  EXPECT_THAT(r.err, HasSubstr("1.5"));
  // Syntax error.
  std::ofstream(Scratch() + "/syntax.textproto") << "id: \"x\"\nversion: 1\nsurface {\n";
  Result s = RunCli({"policy", "lint", Scratch() + "/syntax.textproto"});
  EXPECT_NE(s.code, 0);
  EXPECT_THAT(s.err, HasSubstr("syntax.textproto:"));
}

// An item of the snapshot with `label` at confidence >= min_conf.
ItemId ItemWithLabel(const std::string& dir, const std::string& label,
                     float min_conf) {
  auto snap = ReadSnapshot(dir);
  EXPECT_TRUE(snap.ok());
  for (ItemId id : snap->labels->LabeledItems()) {
    for (const Label& l : snap->labels->LabelsFor(id)) {
      if (l.name == label && l.confidence >= min_conf) return id;
    }
  }
  ADD_FAILURE() << "no item with " << label;
  return 0;
}

TEST_F(CliTest, PinRefusalsAreClearAndAudited) {
  const std::string state = MakeTempDir("feedgov_cli_state");
  auto pin = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"pin", "--state-dir", state, "--snapshot",
                                     *snapshot_, "--editor", "ed", "--reason",
                                     "test"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  };
  const ItemId horror = ItemWithLabel(*snapshot_, "bad.gore_horror", 0.5f);
  // Bad item in a key slot (home positions 1-6): refused, naming the label.
  Result bad = pin({"--item", absl::StrCat(horror), "--position", "1"});
  EXPECT_EQ(bad.code, 1) << bad;
  EXPECT_THAT(bad.err, HasSubstr("bad.gore_horror"));
  // A pack under which the item is illegal (DROP): refused at any position.
  const std::string strict = Scratch() + "/strict.textproto";
  std::ofstream(strict) << "id: \"strict\"\nversion: 1\nsurface { id: \"home\" "
                           "kind: SURFACE_KIND_FEED }\nrule { label: "
                           "\"bad.gore_horror\" action: RULE_ACTION_DROP "
                           "threshold: 0.5 }\n"
                           // Packs must drop illegal.* (lint runs at load).
                           "rule { label: \"illegal.*\" action: "
                           "RULE_ACTION_DROP threshold: 0.5 }\n";
  Result illegal = pin({"--item", absl::StrCat(horror), "--position", "15",
                        "--policy", strict});
  EXPECT_EQ(illegal.code, 1) << illegal;
  EXPECT_THAT(illegal.err, HasSubstr("bad.gore_horror"));
  // Unknown item.
  Result unknown = pin({"--item", "987654321", "--position", "15"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("987654321"));
  // Occupied position: refused without --replace, accepted with it.
  Result first = pin({"--item", "1", "--position", "10"});
  ASSERT_EQ(first.code, 0) << first;
  std::string first_id = first.out.substr(0, first.out.find(':'));
  EXPECT_THAT(first_id, ::testing::StartsWith("iv-"));
  Result occupied = pin({"--item", "2", "--position", "10"});
  EXPECT_EQ(occupied.code, 1) << occupied;
  EXPECT_THAT(occupied.err, HasSubstr(first_id));
  EXPECT_THAT(occupied.err, HasSubstr("replace"));
  Result replaced = pin({"--item", "2", "--position", "10", "--replace", first_id});
  EXPECT_EQ(replaced.code, 0) << replaced;
  // The pin shows at position 10 of the ranked page.
  Result rank = RunCli({"rank", "--snapshot", *snapshot_, "--user", "1",
                     "--state-dir", state, "--format", "json"});
  ASSERT_EQ(rank.code, 0) << rank;
  Json doc;
  ASSERT_TRUE(JsonParser(rank.out).Parse(&doc));
  EXPECT_EQ(doc.obj["items"].arr[9].obj["item_id"].num, 2);
  EXPECT_TRUE(doc.obj["items"].arr[9].obj.contains("pin_id"));
  // Refusals were audited.
  Result audit = RunCli({"audit", "list", "--state-dir", state});
  ASSERT_EQ(audit.code, 0) << audit;
  EXPECT_THAT(audit.out, HasSubstr("REFUSED"));
  EXPECT_THAT(audit.out, HasSubstr("REPLACE"));
}

// `feedgov serve` in the background; Stop() sends SIGTERM and returns the
// exit code.
class Server {
 public:
  Server(const std::string& snapshot, const std::string& state,
         const std::string& tokens) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      const std::string err = Scratch() + "/server.err";
      freopen(err.c_str(), "a", stderr);
      execl(FEEDGOV_CLI_PATH, FEEDGOV_CLI_PATH, "serve", "--snapshot",
            snapshot.c_str(), "--state-dir", state.c_str(), "--tokens",
            tokens.c_str(), "--listen", "127.0.0.1:0", "--threads", "1",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[256] = {0};
    if (fgets(line, sizeof(line), f) != nullptr) first_line_ = line;
    fclose(f);
    absl::string_view l = first_line_;
    if (absl::ConsumePrefix(&l, "listening on ")) {
      address_ = std::string(absl::StripTrailingAsciiWhitespace(l));
    }
  }
  ~Server() { Stop(); }
  // SIGTERM (graceful) or SIGKILL (what leaves a stale LOCK file behind).
  int Stop(int signal = SIGTERM) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }
  const std::string& first_line() const { return first_line_; }

 private:
  pid_t pid_ = 0;
  std::string first_line_, address_;
};

// Issue 13 item 1: an offline write beside a live server used to "succeed",
// never reach the server, and make every later API write fail with
// ALREADY_EXISTS. Now the server owns the state dir and offline writers are
// refused, naming the server and the client command to use instead.
TEST_F(CliTest, OfflineWritesBesideALiveServerAreRefusedAndTheApiStillWrites) {
  const std::string state = MakeTempDir("feedgov_cli_owned");
  const std::string tokens = Scratch() + "/owned.tokens";
  const std::string editor_token = Scratch() + "/owned-editor.token";
  Result add = RunCli({"token", "add", "--tokens", tokens, "--role", "editor",
                       "--name", "night-desk"});
  ASSERT_EQ(add.code, 0) << add;
  std::ofstream(editor_token) << add.out;
  Server server(*snapshot_, state, tokens);
  ASSERT_FALSE(server.address().empty()) << server.first_line();

  Result boost =
      RunCli({"boost", "--state-dir", state, "--snapshot", *snapshot_, "--item",
              "5", "--factor", "2", "--editor", "ed", "--reason", "offline"});
  EXPECT_EQ(boost.code, 1) << boost;
  EXPECT_THAT(boost.err,
              HasSubstr(absl::StrCat(
                  "feedgov boost: FAILED_PRECONDITION: state dir ", state,
                  " is owned by a running server (pid ", server.pid(),
                  ", listening on ", server.address(), ", since ")))
      << boost;
  EXPECT_THAT(boost.err, HasSubstr(absl::StrCat(
                             "use: feedgov client boost --server ",
                             server.address(),
                             " --token-file EDITOR_TOKEN_FILE "
                             "--item 5 --factor 2 --reason offline")))
      << boost;
  // Other writers too: a user control and a revoke.
  Result user = RunCli({"user", "set", "--state-dir", state, "--snapshot",
                        *snapshot_, "--user", "1", "--personalization", "off"});
  EXPECT_EQ(user.code, 1) << user;
  EXPECT_THAT(user.err, HasSubstr("is owned by a running server")) << user;
  EXPECT_THAT(user.err, HasSubstr("use: feedgov client user-set --server "))
      << user;
  EXPECT_THAT(user.err, HasSubstr("--token-file TOKEN_FILE --user 1 --personalization off"))
      << user;
  // A second server refuses to start.
  Server second(*snapshot_, state, tokens);
  EXPECT_TRUE(second.address().empty()) << second.first_line();
  EXPECT_NE(second.Stop(), 0);

  // The API still writes, and reads beside the server keep working.
  Result api = RunCli({"client", "boost", "--server", server.address(),
                       "--token-file", editor_token, "--item", "5", "--factor",
                       "2", "--reason", "through the API"});
  EXPECT_EQ(api.code, 0) << api;
  EXPECT_THAT(api.out, HasSubstr("iv-000001")) << api;
  Result pin = RunCli({"client", "pin", "--server", server.address(),
                       "--token-file", editor_token, "--item", "1",
                       "--position", "3", "--reason", "pick"});
  EXPECT_EQ(pin.code, 0) << pin;
  EXPECT_THAT(pin.out, HasSubstr("iv-000002")) << pin;
  // Every editor action of the offline CLI, with the same flags.
  auto client = [&](std::vector<std::string> verb_and_flags) {
    std::vector<std::string> args = {"client",       verb_and_flags[0],
                                     "--server",     server.address(),
                                     "--token-file", editor_token};
    args.insert(args.end(), verb_and_flags.begin() + 1, verb_and_flags.end());
    return RunCli(args);
  };
  Result bury = client({"bury", "--item", "6", "--factor", "0.5", "--reason",
                        "r", "--surface", "home"});
  EXPECT_EQ(bury.code, 0) << bury;
  EXPECT_THAT(bury.out, HasSubstr("iv-000003: bury item 6 x0.500 on surface "
                                  "home"));
  Result near = client({"suppress", "--near-duplicates-of", "7", "--threshold",
                        "0.9", "--reason", "dupes"});
  EXPECT_EQ(near.code, 0) << near;
  EXPECT_THAT(near.out, HasSubstr("suppress near duplicates of item 7 "
                                  "(cosine >= 0.900)"));
  Result author = client({"suppress", "--author", "nobody", "--reason", "r",
                          "--end", "2030-01-01"});
  EXPECT_EQ(author.code, 1) << author;  // A date needs --zone.
  EXPECT_THAT(author.err, HasSubstr("--end: '2030-01-01' has no UTC offset"));
  Result moved =
      client({"pin", "--item", "2", "--position", "10", "--reason", "swap",
              "--replace", "iv-000002", "--start", "2027-01-01", "--end",
              "2027-01-31", "--zone", "Asia/Shanghai"});
  EXPECT_EQ(moved.code, 0) << moved;
  EXPECT_THAT(moved.out,
              HasSubstr("iv-000005: pin item 2 at position 10 on surface home, "
                        "2027-01-01T00:00:00+08:00 .. "
                        "2027-02-01T00:00:00+08:00 (Asia/Shanghai) by "
                        "night-desk (replaces iv-000002)"))
      << moved;
  Result revoke = client({"revoke", "--id", "iv-000003", "--reason", "done"});
  EXPECT_EQ(revoke.code, 0) << revoke;
  // Suppressing the item of a scheduled pin: the pin stays scheduled (its
  // state is decided when it is in force); states come from the server.
  Result hide = client({"suppress", "--item", "2", "--reason", "complaint"});
  EXPECT_EQ(hide.code, 0) << hide;
  Result shown = client({"interventions", "--all"});
  EXPECT_EQ(shown.code, 0) << shown;
  EXPECT_THAT(shown.out, HasSubstr("scheduled")) << shown;
  EXPECT_THAT(shown.out, HasSubstr("revoked")) << shown;
  EXPECT_THAT(shown.out, HasSubstr("2027-01-01T00:00:00+08:00 .. "
                                   "2027-02-01T00:00:00+08:00 (Asia/Shanghai)"))
      << shown;

  Result list = RunCli({"interventions", "list", "--state-dir", state});
  EXPECT_EQ(list.code, 0) << list;
  EXPECT_THAT(list.out, HasSubstr("iv-000005")) << list;
  EXPECT_THAT(list.out, HasSubstr("(Asia/Shanghai)")) << list;
  Result verify = RunCli({"audit", "verify", "--state-dir", state});
  EXPECT_EQ(verify.code, 0) << verify;
  // Creates 1, 2, 3, 4, the replace, the revoke and the suppression.
  EXPECT_THAT(verify.out, HasSubstr("audit log OK: 7 entries")) << verify;
  Result rank = RunCli({"rank", "--snapshot", *snapshot_, "--state-dir", state,
                        "--user", "1", "--format", "json"});
  EXPECT_EQ(rank.code, 0) << rank;
  EXPECT_EQ(server.Stop(), 0);

  // A server killed outright leaves its LOCK file behind; the kernel has
  // released the lock, so nothing is blocked by it.
  Server killed(*snapshot_, state, tokens);
  ASSERT_FALSE(killed.address().empty()) << killed.first_line();
  killed.Stop(SIGKILL);
  EXPECT_THAT(ReadAll(state + "/LOCK"), HasSubstr("command serve"));

  // Once the server has stopped, offline writes work again.
  Result after =
      RunCli({"bury", "--state-dir", state, "--snapshot", *snapshot_, "--item",
              "6", "--factor", "0.5", "--editor", "ed", "--reason", "offline"});
  EXPECT_EQ(after.code, 0) << after;
  EXPECT_THAT(after.out, HasSubstr("iv-000007")) << after;
}

// Issue 13 item 6: windows as editors write them, offline; the oracles are
// computed by hand (Shanghai UTC+8; New York EST -5 / EDT -4, DST from
// 2027-03-14 02:00 to 2027-11-07 02:00 local).
TEST_F(CliTest, WindowsAreEnteredAndShownInTheirZone) {
  const std::string state = MakeTempDir("feedgov_cli_zones");
  auto boost = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "boost",  "--state-dir", state,      "--snapshot", *snapshot_,
        "--item", "1",           "--factor", "2",          "--editor",
        "ed",     "--reason",    "r"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  };
  Result month = boost({"--start", "2027-01-01", "--end", "2027-01-31",
                        "--zone", "Asia/Shanghai"});
  ASSERT_EQ(month.code, 0) << month;
  EXPECT_THAT(month.out,
              HasSubstr("2027-01-01T00:00:00+08:00 .. "
                        "2027-02-01T00:00:00+08:00 (Asia/Shanghai)"));
  Result summer = boost({"--start", "2027-07-01T09:00", "--end",
                         "2027-11-07T00:30", "--zone", "America/New_York"});
  ASSERT_EQ(summer.code, 0) << summer;
  EXPECT_THAT(summer.out, HasSubstr("2027-07-01T09:00:00-04:00 .. "
                                    "2027-11-07T00:30:00-04:00 "
                                    "(America/New_York)"));
  Result gap =
      boost({"--start", "2027-03-14T02:30", "--zone", "America/New_York"});
  EXPECT_EQ(gap.code, 1) << gap;
  EXPECT_THAT(gap.err, HasSubstr("INVALID_ARGUMENT: --start: 2027-03-14T02:30 "
                                 "does not exist in America/New_York"));
  Result fold =
      boost({"--start", "2027-11-07T01:30", "--zone", "America/New_York"});
  EXPECT_EQ(fold.code, 1) << fold;
  EXPECT_THAT(fold.err, HasSubstr("--start: 2027-11-07T01:30 is ambiguous in "
                                  "America/New_York"));
  Result unknown = boost({"--start", "2027-01-01", "--zone", "Mars/Base"});
  EXPECT_EQ(unknown.code, 1) << unknown;
  EXPECT_THAT(unknown.err, HasSubstr("--zone: unknown time zone 'Mars/Base'"));
  // Refused inputs wrote nothing; the list shows each window as entered.
  Result list = RunCli({"interventions", "list", "--state-dir", state});
  ASSERT_EQ(list.code, 0) << list;
  EXPECT_THAT(list.out, HasSubstr("iv-000002")) << list;
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr("iv-000003"))) << list;
  EXPECT_THAT(list.out, HasSubstr("2027-07-01T09:00:00-04:00 .. "
                                  "2027-11-07T00:30:00-04:00 "
                                  "(America/New_York)"))
      << list;
}

TEST_F(CliTest, AuditVerifyDetectsTampering) {
  const std::string state = MakeTempDir("feedgov_cli_audit");
  for (const char* item : {"1", "2", "3"}) {
    Result r = RunCli({"boost", "--state-dir", state, "--snapshot", *snapshot_,
                    "--item", item, "--factor", "1.5", "--editor", "ed",
                    "--reason", absl::StrCat("boost ", item)});
    ASSERT_EQ(r.code, 0) << r;
  }
  Result ok = RunCli({"audit", "verify", "--state-dir", state});
  EXPECT_EQ(ok.code, 0) << ok;
  EXPECT_THAT(ok.out, HasSubstr("OK"));
  // Edit the second audit entry's message behind the store's back.
  const std::string db = state + "/feedgov.db";
  const std::string sql =
      "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET message = "
      "'tampered' WHERE seq = 2;";
  ASSERT_EQ(std::system(absl::StrCat("/usr/bin/sqlite3 ", Quote(db), " ",
                                     Quote(sql))
                            .c_str()),
            0);
  Result bad = RunCli({"audit", "verify", "--state-dir", state});
  EXPECT_EQ(bad.code, 1) << bad;
  EXPECT_THAT(bad.err, ::testing::ContainsRegex("(entry|seq)[^0-9]*2"));
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Snapshot of a directory tree: relative path -> contents.
std::map<std::string, std::string> Tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out[fs::relative(e.path(), dir).string()] =
        e.is_regular_file() ? ReadAll(e.path().string()) : "<dir>";
  }
  return out;
}

TEST_F(CliTest, FailedIngestNamesTheProblemAndLeavesOutputUntouched) {
  const std::string data = MakeTempDir("feedgov_cli_baddata");
  WriteFile(data + "/movies.csv",
            "movieId,title,genres\n1,A (1995),Comedy\n2,B (1996),Drama\n"
            "3,C (1997),Horror\n");
  WriteFile(data + "/tags.csv", "userId,movieId,tag,timestamp\n");
  WriteFile(data + "/ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n"
            "1,2,7.5,964982704\n2,3,3.0,964982705\n");
  // Output: an existing snapshot from an earlier good run must survive.
  const std::string out = MakeTempDir("feedgov_cli_out") + "/snap";
  fs::copy(*snapshot_, out, fs::copy_options::recursive);
  const auto before = Tree(out);
  Result bad_csv = RunCli({"ingest", "--data", data, "--out", out, "--strict"});
  EXPECT_EQ(bad_csv.code, 1) << bad_csv;
  EXPECT_THAT(bad_csv.err, HasSubstr("ratings.csv:3"));
  EXPECT_THAT(bad_csv.err, HasSubstr("rating"));
  EXPECT_EQ(Tree(out), before);
  // No temporary siblings left behind.
  for (const auto& e : fs::directory_iterator(fs::path(out).parent_path())) {
    EXPECT_EQ(e.path().filename(), "snap") << e.path();
  }

  // Malformed CSV (unterminated quote) in movies.csv.
  WriteFile(data + "/ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n");
  WriteFile(data + "/movies.csv",
            "movieId,title,genres\n1,A (1995),Comedy\n2,\"B (1996),Drama\n");
  Result malformed = RunCli({"ingest", "--data", data, "--out", out});
  EXPECT_EQ(malformed.code, 1) << malformed;
  EXPECT_THAT(malformed.err, HasSubstr("movies.csv:"));
  EXPECT_EQ(Tree(out), before);

  // Into an existing directory that is not a snapshot: refused, untouched.
  const std::string other = MakeTempDir("feedgov_cli_other");
  WriteFile(other + "/precious.txt", "do not delete");
  const auto other_before = Tree(other);
  Result not_snapshot = RunCli({"ingest", "--data", DataDir("movielens_latest_small"),
                             "--out", other});
  EXPECT_EQ(not_snapshot.code, 1) << not_snapshot;
  EXPECT_THAT(not_snapshot.err, HasSubstr(other));
  EXPECT_EQ(Tree(other), other_before);

  // Missing input directory.
  Result missing = RunCli({"ingest", "--data", data + "/nope", "--out",
                        Scratch() + "/never"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("nope"));
  EXPECT_FALSE(fs::exists(Scratch() + "/never"));
}

// A directory where a file is wanted is named as such, not parsed.
TEST_F(CliTest, DirectoriesWhereAFileIsWantedAreNamed) {
  const std::string policies = SourceDir() + "/policies";
  Result lint = RunCli({"policy", "lint", policies});
  EXPECT_EQ(lint.code, 1) << lint;
  EXPECT_THAT(lint.err, HasSubstr(absl::StrCat(
                            policies, " is a directory; lint takes a policy "
                            "pack file (e.g. policies/cn-ecology.textproto)")));
  Result rank = RunCli({"rank", "--snapshot", *snapshot_, "--user", "1",
                        "--policy", policies});
  EXPECT_EQ(rank.code, 1) << rank;
  EXPECT_THAT(rank.err, HasSubstr(policies + " is a directory, not a file"));
  Result serve = RunCli({"serve", "--snapshot", *snapshot_, "--state-dir",
                         Scratch() + "/never-state", "--tokens", Scratch()});
  EXPECT_EQ(serve.code, 1) << serve;
  EXPECT_THAT(serve.err, HasSubstr(Scratch() + " is a directory, not a file"));
  const std::string state = MakeTempDir("feedgov_cli_labelmap_state");
  Result label_map = RunCli({"user", "add-tag", "--state-dir", state,
                             "--snapshot", *snapshot_, "--user", "1", "--tag",
                             "drama", "--label-map", policies});
  EXPECT_EQ(label_map.code, 1) << label_map;
  EXPECT_THAT(label_map.err, HasSubstr(policies + " is a directory, not a file"));
}

// `ingest --out` is checked before the data is read or a model trained.
TEST_F(CliTest, IngestChecksTheOutputPathBeforeTraining) {
  const std::string data = DataDir("movielens_latest_small");
  const std::string dir = MakeTempDir("feedgov_cli_out_check");
  auto ingest = [&](const std::string& out) {
    return RunCli({"ingest", "--data", data, "--out", out});
  };
  // Typo in the parent directory.
  Result missing = ingest(dir + "/no-such-dir/snap");
  EXPECT_EQ(missing.code, 1) << missing;
  EXPECT_THAT(missing.err, HasSubstr("parent directory " + dir +
                                     "/no-such-dir does not exist"));
  // An existing regular file, and a file where the parent should be.
  WriteFile(dir + "/notes.txt", "keep me");
  Result file = ingest(dir + "/notes.txt");
  EXPECT_EQ(file.code, 1) << file;
  EXPECT_THAT(file.err, HasSubstr("exists and is not a directory"));
  Result under_file = ingest(dir + "/notes.txt/snap");
  EXPECT_EQ(under_file.code, 1) << under_file;
  EXPECT_THAT(under_file.err, HasSubstr("notes.txt is not a directory"));
  EXPECT_EQ(ReadAll(dir + "/notes.txt"), "keep me");
  // None of them read the data or trained: no progress was printed.
  for (const Result* r : {&missing, &file, &under_file}) {
    EXPECT_THAT(r->out, ::testing::Not(HasSubstr("read ")));
    EXPECT_THAT(r->out, ::testing::Not(HasSubstr("loss")));
  }
}

// `feedgov label` and `feedgov labeler eval` on bad input: a directory
// given as --input is an error (it used to label zero texts and exit 0);
// binary junk and a 10 MiB line are labelled line by line; an eval folder
// without rows is an error and one missing a class warns.
TEST(LabelerCliTest, BadInputIsReportedAndJunkIsLabelledLineByLine) {
  const std::string data = MakeTempDir("cli_labeler_data");
  const std::string models = MakeTempDir("cli_labeler_models");
  ASSERT_OK(TrainFixtureLabelers(data, models, {"clickbait_en"}).status());

  Result dir = RunCli({"label", "--input", data, "--models", models});
  EXPECT_EQ(dir.code, 1) << dir;
  EXPECT_THAT(dir.err, HasSubstr("is a directory, not a file")) << dir;

  const std::string junk = MakeTempDir("cli_labeler_junk") + "/junk.txt";
  {
    std::ofstream out(junk, std::ios::binary);
    for (int i = 0; i < 3000; ++i) out << static_cast<char>((i * 7919) % 256);
    out << "\n\n" << std::string(10 << 20, 'a') << "\n";
  }
  Result labelled = RunCli({"label", "--input", junk, "--models", models});
  EXPECT_EQ(labelled.code, 0) << labelled.err;
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(labelled.out, '\n', absl::SkipEmpty())) {
    ++lines;  // One JSON line per input line, numbered from 1.
    EXPECT_TRUE(absl::StartsWith(line, absl::StrCat("{\"line\": ", lines, ", \"language\": ")))
        << line;
  }
  int newlines = 0;
  for (int i = 0; i < 3000; ++i) newlines += (i * 7919) % 256 == '\n';
  EXPECT_EQ(lines, newlines + 3);

  const std::string eval_dir = MakeTempDir("cli_labeler_eval");
  std::ofstream(eval_dir + "/clickbait_data.txt") << "\n\n";
  Result empty = RunCli({"labeler", "eval", "--labeler", "clickbait_en", "--data", eval_dir,
                         "--models", models});
  EXPECT_EQ(empty.code, 1) << empty;
  EXPECT_THAT(empty.err, HasSubstr("no labeled rows")) << empty;
  std::ofstream(eval_dir + "/clickbait_data.txt") << "You Won't Believe These 21 Cats\n";
  Result one_class = RunCli({"labeler", "eval", "--labeler", "clickbait_en", "--data",
                             eval_dir, "--models", models, "--format", "json"});
  EXPECT_EQ(one_class.code, 0) << one_class;
  EXPECT_THAT(one_class.err, HasSubstr("has no 'not_clickbait' rows")) << one_class;
}

}  // namespace
}  // namespace feedgov
