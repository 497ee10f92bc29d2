// Load generator for `feedgov serve` on loopback (asynchronous gRPC client).
//
//   loadgen --feedgov build/engine/cli/feedgov --items 100000
//           [--concurrency 1,8,64] [--requests 3000] [--seconds 20]
//           [--server-threads 4] [--pairs 5] [--cache out/bench-cache]
//
// Starts `feedgov serve` over the cached synthetic world of --items items
// (bench/bench_world.h; built if missing) with a fresh state directory and
// tokens file, and opens the same snapshot in process. Then:
//  1. read-only phases: for each concurrency c, keeps c personalized home
//     Rank calls (page 20) in flight on one CompletionQueue until
//     --requests complete or --seconds pass; throughput, latency
//     p50/p95/p99/max and errors per phase;
//  2. --pairs paired rounds: a gRPC phase at the largest c and an
//     in-process pass of FeedEngine::Rank on --server-threads threads, back
//     to back in alternating order; the ratio of each pair and their median
//     (the target is gRPC >= 70% of in-process);
//  3. the same phases as 1 with writes (20 editor writes/s: boost
//     create/revoke alternating; 100 label updates/s: SetLabels of one
//     item);
//  4. the delay until an acknowledged pin shows in the next Rank.
#include <fcntl.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/bench_world.h"
#include "engine/runtime/open_engine.h"
#include "engine/service/auth.h"
#include "feedgov/v1/catalog_service.grpc.pb.h"
#include "feedgov/v1/editor_service.grpc.pb.h"
#include "feedgov/v1/feed_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace feedgov::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Flags {
  std::string feedgov;
  int items = 100000;
  std::vector<int> concurrency = {1, 8, 64};
  int requests = 3000;
  double seconds = 20;
  int server_threads = 4;
  int pairs = 5;
  std::string cache;
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "loadgen: %s\n", msg.c_str());
  std::exit(1);
}

struct Server {
  pid_t pid = -1;
  std::string address;
};

Server StartServer(const Flags& f, const std::string& snapshot,
                   const std::string& state, const std::string& tokens) {
  int out[2];
  if (pipe(out) != 0) Die("pipe");
  const pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    dup2(out[1], 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 2);  // One log line per request: not measured here.
    close(out[0]);
    const std::string threads = std::to_string(f.server_threads);
    execl(f.feedgov.c_str(), f.feedgov.c_str(), "serve", "--snapshot",
          snapshot.c_str(), "--state-dir", state.c_str(), "--tokens",
          tokens.c_str(), "--listen", "127.0.0.1:0", "--threads",
          threads.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[256];
  while (text.find('\n') == std::string::npos) {
    const ssize_t r = read(out[0], buf, sizeof(buf));
    if (r <= 0) Die("feedgov serve exited before listening");
    text.append(buf, r);
  }
  const size_t at = text.find("listening on ");
  if (at == std::string::npos) Die("unexpected serve output: " + text);
  Server s;
  s.pid = pid;
  s.address = text.substr(at + 13, text.find_first_of(" \n", at + 13) - at - 13);
  return s;
}

std::string AddToken(const std::string& path, service::Role role,
                     const std::string& name) {
  auto token = service::GenerateToken();
  if (!token.ok()) Die(token.status().ToString());
  service::Principal p;
  p.role = role;
  p.name = name;
  if (absl::Status s = service::AppendToken(path, *token, p); !s.ok()) {
    Die(s.ToString());
  }
  return *token;
}

struct Phase {
  std::string name;
  int concurrency = 0;
  int64_t ok = 0, errors = 0, short_pages = 0;
  double seconds = 0;
  std::vector<double> latency_ms;
  int64_t writes_ok = 0, writes_failed = 0;
};

// c calls in flight on one completion queue, until `requests` completed or
// `seconds` passed.
Phase RunRankPhase(v1::FeedService::Stub& stub, const std::string& token, int c,
                   int requests, double seconds, int users) {
  struct Call {
    grpc::ClientContext ctx;
    v1::RankRequest req;
    v1::RankResponse resp;
    grpc::Status status;
    SteadyClock::time_point start;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::RankResponse>> reader;
  };
  grpc::CompletionQueue cq;
  Phase p;
  p.concurrency = c;
  int64_t issued = 0;
  const auto t0 = SteadyClock::now();
  const auto deadline = t0 + std::chrono::duration<double>(seconds);
  auto issue = [&] {
    auto* call = new Call;
    call->ctx.AddMetadata("authorization", "Bearer " + token);
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    call->req.set_surface("home");
    call->req.set_user_id(1 + issued % users);
    call->req.set_page_size(20);
    call->start = SteadyClock::now();
    call->reader = stub.AsyncRank(&call->ctx, call->req, &cq);
    call->reader->Finish(&call->resp, &call->status, call);
    ++issued;
  };
  int in_flight = 0;
  for (; in_flight < c; ++in_flight) issue();
  void* tag;
  bool ok;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    auto* call = static_cast<Call*>(tag);
    --in_flight;
    const auto now = SteadyClock::now();
    if (ok && call->status.ok()) {
      ++p.ok;
      p.short_pages += call->resp.items_size() != 20;
      p.latency_ms.push_back(Seconds(call->start, now) * 1e3);
    } else {
      ++p.errors;
      if (p.errors <= 3) {
        std::fprintf(stderr, "loadgen: rank error: %s\n",
                     call->status.error_message().c_str());
      }
    }
    delete call;
    if (issued < requests && now < deadline) {
      issue();
      ++in_flight;
    }
  }
  p.seconds = Seconds(t0, SteadyClock::now());
  return p;
}

// Paced writers: 20 editor writes/s and 100 label updates/s until stopped.
class Writers {
 public:
  Writers(std::shared_ptr<grpc::Channel> channel, std::string editor_token,
          std::string moderator_token, int items)
      : editor_(v1::EditorService::NewStub(channel)),
        catalog_(v1::CatalogService::NewStub(channel)),
        editor_token_(std::move(editor_token)),
        moderator_token_(std::move(moderator_token)),
        items_(items) {
    threads_.emplace_back([this] { EditorLoop(); });
    threads_.emplace_back([this] { LabelLoop(); });
  }
  void Stop(int64_t* ok, int64_t* failed) {
    stop_ = true;
    for (auto& t : threads_) t.join();
    *ok = ok_;
    *failed = failed_;
  }

 private:
  template <typename Fn>
  void Paced(double per_second, Fn&& fn) {
    const auto period = std::chrono::duration<double>(1.0 / per_second);
    auto next = SteadyClock::now();
    for (int64_t i = 0; !stop_; ++i) {
      (fn(i) ? ok_ : failed_)++;
      next += std::chrono::duration_cast<SteadyClock::duration>(period);
      std::this_thread::sleep_until(next);
    }
  }
  void EditorLoop() {
    std::string live_id;
    Paced(20, [&](int64_t i) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + editor_token_);
      if (live_id.empty()) {
        v1::CreateInterventionRequest req;
        auto* iv = req.mutable_intervention();
        iv->set_kind(v1::INTERVENTION_KIND_BOOST);
        iv->set_item_id(1 + (i * 7919) % items_);
        iv->set_surface("home");
        iv->set_factor(1.5);
        iv->set_editor("loadgen");
        iv->set_reason("load test");
        v1::Intervention out;
        if (!editor_->CreateIntervention(&ctx, req, &out).ok()) return false;
        live_id = out.id();
        return true;
      }
      v1::RevokeInterventionRequest req;
      req.set_id(live_id);
      req.set_reason("load test done");
      v1::RevokeInterventionResponse out;
      live_id.clear();
      return editor_->RevokeIntervention(&ctx, req, &out).ok();
    });
  }
  void LabelLoop() {
    Paced(100, [&](int64_t i) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + moderator_token_);
      v1::SetLabelsRequest req;
      auto* item = req.add_items();
      item->set_item_id(1 + (i * 104729) % items_);
      if (i % 2 == 0) {
        auto* l = item->add_labels();
        l->set_name("positive.core_values");
        l->set_confidence(0.9f);
        l->set_source(v1::LABEL_SOURCE_REVIEWER);
      }
      v1::SetLabelsResponse out;
      return catalog_->SetLabels(&ctx, req, &out).ok();
    });
  }

  std::unique_ptr<v1::EditorService::Stub> editor_;
  std::unique_ptr<v1::CatalogService::Stub> catalog_;
  std::string editor_token_, moderator_token_;
  int items_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ok_{0}, failed_{0};
  std::vector<std::thread> threads_;
};

void PrintPhase(Phase& p) {
  std::vector<double>& l = p.latency_ms;
  const double max = l.empty() ? 0 : *std::max_element(l.begin(), l.end());
  std::printf("%-10s c=%-3d ok=%-6lld errors=%-4lld short=%-4lld %8.1f req/s  p50 %7.2f  p95 %7.2f  "
              "p99 %7.2f  max %7.2f ms",
              p.name.c_str(), p.concurrency, static_cast<long long>(p.ok),
              static_cast<long long>(p.errors),
              static_cast<long long>(p.short_pages), p.ok / p.seconds, Percentile(l, 50),
              Percentile(l, 95), Percentile(l, 99), max);
  if (p.name == "writes") {
    std::printf("  writes ok=%lld failed=%lld", static_cast<long long>(p.writes_ok),
                static_cast<long long>(p.writes_failed));
  }
  std::printf("\n");
  std::fflush(stdout);
}

// Pin (ack = CreateIntervention returned) then the next Rank over gRPC.
void MeasureVisibility(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& editor, const std::string& feed,
                       const WorldOptions& o) {
  auto ed = v1::EditorService::NewStub(channel);
  auto fs = v1::FeedService::NewStub(channel);
  int visible = 0, trials = 0;
  std::vector<double> ack_ms;
  for (int t = 0; t < 10; ++t) {
    Row row = 200 + 53 * t;
    while (LabelClassOf(o, row) != 0) ++row;
    grpc::ClientContext c1;
    c1.AddMetadata("authorization", "Bearer " + editor);
    v1::CreateInterventionRequest req;
    auto* iv = req.mutable_intervention();
    iv->set_kind(v1::INTERVENTION_KIND_PIN);
    iv->set_item_id(row + 1);
    iv->set_surface("home");
    iv->set_position(2);  // 1-based in the API: items(1).
    iv->set_editor("loadgen");
    iv->set_reason("visibility probe");
    v1::Intervention created;
    const auto a = SteadyClock::now();
    grpc::Status s = ed->CreateIntervention(&c1, req, &created);
    ack_ms.push_back(Seconds(a, SteadyClock::now()) * 1e3);
    if (!s.ok()) Die("pin: " + s.error_message());
    grpc::ClientContext c2;
    c2.AddMetadata("authorization", "Bearer " + feed);
    v1::RankRequest rr;
    rr.set_surface("home");
    rr.set_user_id(1 + t);
    rr.set_page_size(20);
    v1::RankResponse resp;
    if (fs->Rank(&c2, rr, &resp).ok() && resp.items_size() > 1 &&
        resp.items(1).item_id() == row + 1) {
      ++visible;
    }
    ++trials;
    grpc::ClientContext c3;
    c3.AddMetadata("authorization", "Bearer " + editor);
    v1::RevokeInterventionRequest rv;
    rv.set_id(created.id());
    rv.set_reason("probe done");
    v1::RevokeInterventionResponse rvo;
    ed->RevokeIntervention(&c3, rv, &rvo);
  }
  std::printf("intervention visibility over gRPC: %d/%d pins in the very next Rank "
              "after the ack (0 requests of delay); ack p50 %.2f ms\n",
              visible, trials, Percentile(ack_ms, 50));
}

// Throughput of FeedEngine::Rank on `threads` threads, `requests` Ranks
// for users 1, 2, ... in the order the gRPC phases ask for them.
double InProcessThroughput(FeedEngine& engine, int threads, int requests,
                           int users) {
  std::atomic<int64_t> next{0}, ok{0};
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i; (i = next++) < requests;) {
        RankRequest r;
        r.user = 1 + i % users;
        auto page = engine.Rank(r);
        if (page.ok() && page->items.size() == 20) ++ok;
      }
    });
  }
  for (auto& t : pool) t.join();
  return ok / Seconds(t0, SteadyClock::now());
}

// CPU seconds (user + system) used so far by process `pid` (/proc) or, for
// pid 0, by this process (getrusage).
double CpuSeconds(pid_t pid) {
  if (pid == 0) {
    rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
           (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
  }
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  // Fields after the parenthesised command name; utime and stime are the
  // 14th and 15th fields of the line (proc(5)), in clock ticks.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(text).substr(close + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (f.size() < 13 || !absl::SimpleAtoi(f[11], &utime) ||
      !absl::SimpleAtoi(f[12], &stime)) {
    return 0;
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(s, ',')) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 1 || v > 1024) {
      Die("--concurrency: '" + std::string(part) + "' not in [1, 1024]");
    }
    out.push_back(v);
  }
  return out;
}

int Main(int argc, char** argv) {
  Flags f;
  const char* env_cache = std::getenv("FEEDGOV_BENCH_CACHE");
  f.cache = env_cache ? env_cache : DefaultPath("out/bench-cache");
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Die("missing value for " + flag);
    const std::string v = argv[++i];
    bool ok = true;
    if (flag == "--feedgov") f.feedgov = v;
    else if (flag == "--items") ok = absl::SimpleAtoi(v, &f.items);
    else if (flag == "--concurrency") f.concurrency = ParseList(v);
    else if (flag == "--requests") ok = absl::SimpleAtoi(v, &f.requests) && f.requests > 0;
    else if (flag == "--seconds") ok = absl::SimpleAtod(v, &f.seconds) && f.seconds > 0;
    else if (flag == "--server-threads") ok = absl::SimpleAtoi(v, &f.server_threads) && f.server_threads > 0;
    else if (flag == "--pairs") ok = absl::SimpleAtoi(v, &f.pairs) && f.pairs > 0 && f.pairs <= 50;
    else if (flag == "--cache") f.cache = v;
    else Die("unknown flag " + flag);
    if (!ok) Die(flag + ": invalid value '" + v + "'");
  }
  if (f.feedgov.empty()) Die("--feedgov PATH (the feedgov binary) is required");
  WorldOptions o = BenchWorldOptions(f.items);
  auto snapshot = EnsureWorldSnapshot(o, f.cache, &std::cerr);
  if (!snapshot.ok()) Die(snapshot.status().ToString());
  const std::string work = absl::StrCat(f.cache, "/loadgen-", getpid());
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work + "/state");
  const std::string tokens = work + "/tokens.txt";
  const std::string feed = AddToken(tokens, service::Role::kFeedService, "loadgen-feed");
  const std::string editor = AddToken(tokens, service::Role::kEditor, "loadgen-editor");
  const std::string moderator = AddToken(tokens, service::Role::kModerator, "loadgen-mod");
  Server server = StartServer(f, *snapshot, work + "/state", tokens);
  std::printf("feedgov serve on %s, n=%d, %d server threads\n", server.address.c_str(),
              f.items, f.server_threads);
  auto channel = grpc::CreateChannel(server.address, grpc::InsecureChannelCredentials());
  auto stub = v1::FeedService::NewStub(channel);
  RunRankPhase(*stub, feed, 4, 50, 5, o.users);  // Warm-up.
  // The in-process engine over the same snapshot, warmed like the server
  // (the first Rank per user and the first governance view are built cold).
  auto engine = OpenWorldEngine(*snapshot, "", &RealClock::Get());
  if (!engine.ok()) Die(engine.status().ToString());
  InProcessThroughput(**engine, f.server_threads, f.requests, o.users);
  const int c_max = f.concurrency.back();
  auto run_phases = [&](bool writes) {
    for (int c : f.concurrency) {
      std::unique_ptr<Writers> w;
      if (writes) w = std::make_unique<Writers>(channel, editor, moderator, f.items);
      Phase p = RunRankPhase(*stub, feed, c, f.requests, f.seconds, o.users);
      p.name = writes ? "writes" : "read-only";
      if (w) w->Stop(&p.writes_ok, &p.writes_failed);
      PrintPhase(p);
    }
  };
  run_phases(false);
  // Paired rounds: a gRPC phase at the largest concurrency and an in-process
  // pass of --requests Ranks (the gRPC phase may stop earlier, at
  // --seconds) back to back, alternating which goes first, so
  // both sides of each ratio see the same machine (a shared VM's speed
  // drifts by tens of percent within minutes). Read-only, before the write
  // phases change the server's labels and interventions.
  std::vector<double> ratios;
  for (int round = 0; round < f.pairs; ++round) {
    double grpc = 0, inproc = 0;
    double server_cpu = 0, client_cpu = 0, inproc_cpu = 0;  // ms per Rank.
    for (int side = 0; side < 2; ++side) {
      const double server0 = CpuSeconds(server.pid), self0 = CpuSeconds(0);
      if ((side + round) % 2 == 0) {
        Phase p = RunRankPhase(*stub, feed, c_max, f.requests, f.seconds, o.users);
        // A phase with errors or short pages counts as 0 (said below): the
        // in-process side counts only full pages too.
        grpc = p.errors == 0 && p.short_pages == 0 ? p.ok / p.seconds : 0;
        server_cpu = (CpuSeconds(server.pid) - server0) * 1e3 / std::max<int64_t>(1, p.ok);
        client_cpu = (CpuSeconds(0) - self0) * 1e3 / std::max<int64_t>(1, p.ok);
      } else {
        inproc = InProcessThroughput(**engine, f.server_threads, f.requests, o.users);
        inproc_cpu = inproc > 0 ? (CpuSeconds(0) - self0) * 1e3 / f.requests : 0;
      }
    }
    if (inproc <= 0) Die("the in-process pass served no full page");
    if (grpc == 0) std::printf("pair %d: the gRPC phase had errors or short pages\n", round + 1);
    ratios.push_back(grpc / inproc);
    std::printf("pair %d: gRPC c=%d %.1f req/s, in-process %d threads %.1f req/s, "
                "ratio %.2f; CPU ms per Rank: server %.2f + client %.2f, "
                "in-process %.2f\n", round + 1, c_max, grpc, f.server_threads,
                inproc, ratios.back(), server_cpu, client_cpu, inproc_cpu);
  }
  engine->reset();
  run_phases(true);
  MeasureVisibility(channel, editor, feed, o);
  kill(server.pid, SIGTERM);
  int st = 0;
  waitpid(server.pid, &st, 0);
  std::filesystem::remove_all(work);
  std::printf("gRPC c=%d / in-process (%d threads), median of %d pairs: %.2f "
              "(min %.2f, max %.2f; target >= 0.70)\n",
              c_max, f.server_threads, f.pairs, Median(ratios),
              *std::min_element(ratios.begin(), ratios.end()),
              *std::max_element(ratios.begin(), ratios.end()));
  return 0;
}

}  // namespace
}  // namespace feedgov::bench

int main(int argc, char** argv) {
  // As in the feedgov binary (engine/cli/main.cc): no lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return feedgov::bench::Main(argc, argv);
}
