// A ranked page never exceeds gRPC's default 4 MiB client receive limit
// (Hardening issue): the largest page the limits allow, built field by
// field at each limit (catalog/item_limits.h, kMaxPageSize, the page token,
// one degradation per position), serializes below it.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/catalog/item_limits.h"
#include "engine/common/rank_types.h"
#include "engine/common/reasons.h"
#include "engine/service/convert.h"
#include "engine/service/request_gate.h"
#include "feedgov/v1/feed_service.pb.h"
#include "gtest/gtest.h"

namespace feedgov::service {
namespace {

constexpr size_t kGrpcDefaultClientReceiveBytes = 4 << 20;

TEST(ResponseSize, TheLargestPageTheLimitsAllowFitsTheDefaultClientLimit) {
  RankResponse page;
  page.surface = std::string(kMaxNameBytes, 's');
  page.policy_id = std::string(kMaxNameBytes, 'p');
  // "中" is 3 bytes: the title limit is in bytes, whatever the script.
  std::string title;
  while (title.size() + 3 <= kMaxTitleBytes) title += "中";
  for (int i = 0; i < kMaxPageSize; ++i) {
    RankedItem item;
    item.position = i + 1;
    item.item_id = std::numeric_limits<ItemId>::max();
    item.title = title;
    item.score = 1.0 / 3;
    item.reasons = ~uint32_t{0};
    item.key_slot = true;
    item.pin_id = std::string(kMaxNameBytes, 'i');
    for (int l = 0; l < kMaxLabelsPerItem; ++l) {
      Label label;
      label.name = std::string(kMaxLabelNameBytes - 3, 'n') + absl::StrCat(l);
      label.name.resize(kMaxLabelNameBytes, 'x');
      label.confidence = 0.123f;
      label.source = LabelSource::kReviewer;
      label.time = kMaxUnixSeconds;
      item.labels.push_back(label);
    }
    page.items.push_back(std::move(item));
    // A blocked pin per position says so, at most.
    page.degradations.push_back(std::string(300, 'd'));
  }
  for (int l = 0; l < 256; ++l) {
    page.counters.dropped_by_label[absl::StrCat(
        std::string(kMaxLabelNameBytes - 3, 'c'), l)] = 1 << 30;
  }
  page.next_page_token = std::string(kMaxPageTokenBytes, 'T');
  v1::RankResponse proto;
  RankResponseToProto(page, &proto);
  const size_t bytes = proto.ByteSizeLong();
  EXPECT_LT(bytes, kGrpcDefaultClientReceiveBytes)
      << bytes << " bytes; the limits in item_limits.h are too generous";
  // A quarter MiB of margin for gRPC's framing and future fields (3.6 MiB
  // now, labels carrying both time fields).
  EXPECT_LT(bytes, (size_t{4} << 20) - (size_t{1} << 18)) << bytes;
}

}  // namespace
}  // namespace feedgov::service
