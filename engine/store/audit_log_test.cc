#include "engine/store/audit_log.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/sha256.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

AuditEvent Event(int i) {
  AuditEvent e;
  e.time = absl::FromUnixMicros(1'700'000'000'000'000 + i);
  e.actor = absl::StrCat("editor", i);
  e.action = AuditAction::kCreate;
  e.intervention_id = absl::StrCat("iv-", i);
  e.after = absl::StrCat("{\"id\":\"iv-", i, "\"}");
  e.message = absl::StrCat("reason ", i);
  return e;
}

std::vector<AuditEntry> Chain(int n) {
  std::vector<AuditEntry> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back(ChainAuditEntry(out.empty() ? nullptr : &out.back(), Event(i)));
  }
  return out;
}

TEST(AuditLogTest, FirstEntryHashMatchesHandBuiltCanonicalBytes) {
  AuditEvent e;
  e.time = absl::FromUnixMicros(42);
  e.actor = "alice";
  e.action = AuditAction::kRevoke;
  e.intervention_id = "iv-000001";
  e.message = "done";
  AuditEntry entry = ChainAuditEntry(nullptr, e);
  EXPECT_EQ(entry.seq, 1);
  EXPECT_EQ(entry.prev_hash, std::string(64, '0'));
  const std::string expected_bytes =
      std::string(64, '0') +
      "\nfeedgov.audit.v1\nseq=1:1\ntime_unix_micros=2:42\nactor=5:alice\n"
      "action=6:REVOKE\nintervention_id=9:iv-000001\nbefore=0:\nafter=0:\n"
      "message=4:done\n";
  EXPECT_EQ(entry.hash, Sha256Hex(expected_bytes));
}

TEST(AuditLogTest, LengthPrefixingSeparatesFieldBoundaries) {
  AuditEvent a = Event(1), b = Event(1);
  a.actor = "ab";
  a.message = "c";
  b.actor = "a";
  b.message = "bc";
  EXPECT_NE(ComputeAuditHash(kAuditGenesisHash, 1, a),
            ComputeAuditHash(kAuditGenesisHash, 1, b));
}

TEST(AuditLogTest, ChainTruncatesTimeToMicroseconds) {
  AuditEvent e = Event(1);
  e.time = absl::FromUnixNanos(1'234'567);
  AuditEntry entry = ChainAuditEntry(nullptr, e);
  EXPECT_EQ(entry.event.time, absl::FromUnixMicros(1'234));
  EXPECT_OK(VerifyAuditChain({entry}));
}

TEST(AuditLogTest, IntactChainsVerify) {
  EXPECT_OK(VerifyAuditChain({}));
  EXPECT_OK(VerifyAuditChain(Chain(1)));
  EXPECT_OK(VerifyAuditChain(Chain(20)));
}

TEST(AuditLogTest, EditedEntryIsReportedAsHashMismatch) {
  auto chain = Chain(10);
  chain[6].event.message = "nothing to see";
  EXPECT_THAT(VerifyAuditChain(chain),
              StatusIs(absl::StatusCode::kDataLoss,
                       "audit entry 7: hash mismatch (entry edited)"));
}

TEST(AuditLogTest, EditedEntryWithRecomputedHashBreaksTheNextLink) {
  auto chain = Chain(10);
  chain[6].event.actor = "mallory";
  chain[6].hash = ComputeAuditHash(chain[6].prev_hash, 7, chain[6].event);
  EXPECT_THAT(VerifyAuditChain(chain),
              StatusIs(absl::StatusCode::kDataLoss,
                       "audit entry 8: prev_hash mismatch"));
}

TEST(AuditLogTest, DeletedEntryIsReportedAsSeqGap) {
  auto chain = Chain(10);
  chain.erase(chain.begin() + 4);  // seq 5
  EXPECT_THAT(VerifyAuditChain(chain),
              StatusIs(absl::StatusCode::kDataLoss,
                       "audit entry 6: seq gap, expected 5 (entry 5 deleted"));
}

TEST(AuditLogTest, DeletedFirstEntryIsReported) {
  auto chain = Chain(3);
  chain.erase(chain.begin());
  EXPECT_THAT(VerifyAuditChain(chain),
              StatusIs(absl::StatusCode::kDataLoss,
                       "audit entry 2: seq gap, expected 1"));
}

TEST(AuditLogTest, SwappedContentsAreReportedAsPrevHashMismatch) {
  auto chain = Chain(10);
  // Swap everything but seq between entries 3 and 4.
  std::swap(chain[2].event, chain[3].event);
  std::swap(chain[2].prev_hash, chain[3].prev_hash);
  std::swap(chain[2].hash, chain[3].hash);
  EXPECT_THAT(VerifyAuditChain(chain),
              StatusIs(absl::StatusCode::kDataLoss,
                       "audit entry 3: prev_hash mismatch"));
}

TEST(AuditLogTest, ActionNamesRoundTrip) {
  for (AuditAction a : {AuditAction::kCreate, AuditAction::kReplace,
                        AuditAction::kRevoke, AuditAction::kExpire,
                        AuditAction::kRefused}) {
    ASSERT_OK_AND_ASSIGN(AuditAction back, ParseAuditAction(AuditActionName(a)));
    EXPECT_EQ(back, a);
  }
  EXPECT_THAT(ParseAuditAction("DELETE"),
              StatusIs(absl::StatusCode::kInvalidArgument, "'DELETE'"));
}

}  // namespace
}  // namespace feedgov
