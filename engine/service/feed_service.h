// File: engine/service/feed_service.h
//
// feedgov.v1.FeedService (docs/api.md): Rank, for the feed-service, admin
// and user roles. A user token ranks its own feed; a named user's stored
// settings always apply (the engine reads them: engine/rank/feed_engine.h),
// and the request's disable_personalization and minors can only make the
// page stricter. An admitted Rank runs on one of the gate's engine workers
// while its gRPC thread waits (engine_workers.h).
#ifndef FEEDGOV_ENGINE_SERVICE_FEED_SERVICE_H_
#define FEEDGOV_ENGINE_SERVICE_FEED_SERVICE_H_

#include <memory>

#include "engine/service/request_gate.h"
#include "absl/status/statusor.h"
#include "engine/common/rank_types.h"
#include "feedgov/v1/feed_service.grpc.pb.h"

namespace feedgov::service {

// The engine request of `req`, checked at the wire: sizes, the user the
// principal may act for. The engine checks the rest (page size, surface,
// token) with the messages every caller gets. Public for the request fuzz
// target (fuzz/request_fuzzer.cc).
absl::StatusOr<RankRequest> ToRankRequest(const Principal& who,
                                          const v1::RankRequest& req);

std::unique_ptr<v1::FeedService::Service> MakeFeedService(RequestGate& gate);

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_FEED_SERVICE_H_
