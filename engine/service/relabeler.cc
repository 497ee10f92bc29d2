#include "engine/service/relabeler.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "engine/common/file_util.h"
#include "engine/labeler/item_labels.h"

namespace feedgov::service {

std::string LabelerVersions(const LabelerSet& labelers) {
  std::vector<std::string> lines;
  for (const auto& l : labelers.labelers()) lines.push_back(l->name() + " " + l->version() + "\n");
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

absl::StatusOr<RelabelResult> RelabelAll(RequestGate& gate, const LabelerSet& labelers,
                                         int batch, const std::atomic<bool>* stop) {
  if (batch < 1 || batch > 100000) {
    return absl::InvalidArgumentError(absl::StrCat("relabel batch ", batch, "; want [1, 100000]"));
  }
  FeedEngine& engine = *gate.deps().engine;
  RelabelResult r;
  // Item ids of the catalog when the pass starts; items added later were
  // labelled by UpsertItems with the same labelers.
  std::vector<ItemId> ids;
  for (const Item& item : engine.catalog()->items()) ids.push_back(item.id);
  for (size_t begin = 0; begin < ids.size(); begin += batch) {
    if (stop != nullptr && stop->load()) break;
    const size_t end = std::min(ids.size(), begin + batch);
    absl::MutexLock lock(&gate.write_mu());
    const UnixSeconds now = absl::ToUnixSeconds(gate.deps().clock->Now());
    std::shared_ptr<const Catalog> catalog = engine.catalog();
    std::shared_ptr<const LabelTable> table = engine.labels();
    std::vector<ItemLabelsUpdate> updates;
    for (size_t k = begin; k < end; ++k) {
      std::optional<Row> row = catalog->FindRow(ids[k]);
      if (!row) continue;  // Deleted meanwhile.
      const Item& item = catalog->items()[*row];
      ++r.items;
      const std::vector<Label>& old = table->LabelsFor(item.id);
      std::vector<Label> fresh =
          LabelItem(labelers, item, old, now, /*respect_caller_labels=*/true, nullptr);
      // Only a change of name, probability, source or origin is a change:
      // the time of a label that says the same stays.
      auto same = [](const std::vector<Label>& a, const std::vector<Label>& b) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i) {
          if (a[i].name != b[i].name || a[i].confidence != b[i].confidence ||
              a[i].source != b[i].source || a[i].origin != b[i].origin) {
            return false;
          }
        }
        return true;
      };
      if (!same(old, fresh)) updates.push_back({item.id, std::move(fresh)});
    }
    if (!updates.empty()) {
      r.changed += static_cast<int64_t>(updates.size());
      absl::Status s = engine.UpdateLabels(std::move(updates));
      if (!s.ok()) return s;
    }
    ++r.batches;
  }
  return r;
}

BackgroundRelabeler::BackgroundRelabeler(RequestGate& gate,
                                         std::shared_ptr<const LabelerSet> labelers,
                                         std::string marker_path, std::ostream* log) {
  const std::string want = LabelerVersions(*labelers);
  std::ifstream in(marker_path);
  const bool first = !in.good();
  std::stringstream have;
  have << in.rdbuf();
  if (have.str() == want) {
    if (log != nullptr) *log << "relabel: stored items were labelled by these labeler versions; nothing to do\n";
    return;
  }
  std::string why = first ? "no record of the labelers that labelled the stored items"
                          : absl::StrCat("labeler versions changed (were: ",
                                         absl::StrReplaceAll(have.str(), {{"\n", "; "}}), ")");
  thread_ = std::thread([this, &gate, labelers, marker_path, want, why, log] {
    const absl::Time t0 = absl::Now();
    if (log != nullptr) {
      *log << "relabel: " << why << "; relabelling stored items in the background with "
           << absl::StrReplaceAll(want, {{"\n", "; "}}) << "\n";
    }
    result_ = RelabelAll(gate, *labelers, 512, &stop_);
    if (result_.ok() && !stop_.load()) {
      absl::Status s = WriteFileAtomic(marker_path, want);
      if (!s.ok()) result_ = s;
    }
    if (log != nullptr) {
      if (result_.ok()) {
        *log << "relabel: " << result_->items << " items read, " << result_->changed
             << " relabelled in "
             << absl::StrFormat("%.2f s", absl::ToDoubleSeconds(absl::Now() - t0)) << "\n";
      } else {
        *log << "relabel: failed: " << result_.status() << "\n";
      }
      log->flush();
    }
  });
}

BackgroundRelabeler::~BackgroundRelabeler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<RelabelResult> BackgroundRelabeler::Wait() {
  if (thread_.joinable()) thread_.join();
  return result_;
}

}  // namespace feedgov::service
