// File: engine/service/relabeler.h
//
// Relabeling stored items when the labelers change (docs/labelers.md):
// `feedgov serve --labelers DIR` compares the labeler versions in use with
// those recorded in <state-dir>/labelers.applied; when they differ, a
// background thread reads every item's stored text (title and tags),
// labels it with the current labelers, and writes the items whose labels
// changed in batches through the catalog writer (journaled like any label
// write), each batch under the service's write mutex, so serving never
// waits on it: Ranks take no writer lock, and a writer waits at most one
// batch. Moderators' labels are never undone (label_provenance.h); a
// family an API caller labelled is left to the caller. When every item is
// done the marker is rewritten (atomically); a restart midway starts over,
// which is harmless (labels are a function of text and labeler versions).
#ifndef FEEDGOV_ENGINE_SERVICE_RELABELER_H_
#define FEEDGOV_ENGINE_SERVICE_RELABELER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "engine/labeler/labeler_set.h"
#include "engine/service/request_gate.h"

namespace feedgov::service {

// "<name> <version>" lines, sorted by name: what labelers.applied holds.
std::string LabelerVersions(const LabelerSet& labelers);

struct RelabelResult {
  int64_t items = 0;    // Items read.
  int64_t changed = 0;  // Items whose labels were rewritten.
  int64_t batches = 0;
};

// One full pass over the catalog (what the thread runs). `batch` items are
// labelled and written per write-mutex hold, in [1, 100000].
// Errors: the catalog writer's (the pass stops; written batches stay).
absl::StatusOr<RelabelResult> RelabelAll(RequestGate& gate, const LabelerSet& labelers,
                                         int batch, const std::atomic<bool>* stop);

class BackgroundRelabeler {
 public:
  // Starts the pass in a thread when `marker_path` does not hold
  // LabelerVersions(*labelers); otherwise does nothing. `log` (may be null)
  // gets one line at the start and one at the end.
  BackgroundRelabeler(RequestGate& gate, std::shared_ptr<const LabelerSet> labelers,
                      std::string marker_path, std::ostream* log);
  // Stops the pass after the current batch and joins.
  ~BackgroundRelabeler();
  // Waits for the pass (tests). The result of the pass, or of "nothing to
  // do" ({0, 0, 0}).
  absl::StatusOr<RelabelResult> Wait();

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::StatusOr<RelabelResult> result_ = RelabelResult{};
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_RELABELER_H_
