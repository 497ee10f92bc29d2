#include "engine/rank/rank_context.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/response/page_token.h"

namespace feedgov {
namespace {

// A new chain for `request`, or the one its token carries (checked against
// the request's surface and user).
absl::StatusOr<v1::PageTokenState> OpenChain(const RankRequest& request,
                                             absl::string_view key,
                                             absl::Time now) {
  v1::PageTokenState chain;
  if (request.page_token.empty()) {
    chain.set_format_version(1);
    chain.set_surface(request.surface);
    chain.set_has_user(request.user.has_value());
    chain.set_user_id(request.user.value_or(0));
    chain.set_issued_unix_s(absl::ToUnixSeconds(now));
    return chain;
  }
  FEEDGOV_ASSIGN_OR_RETURN(chain, DecodePageToken(request.page_token, key));
  if (chain.surface() != request.surface) {
    return absl::InvalidArgumentError(
        absl::StrCat("page token belongs to surface `", chain.surface(),
                     "`, not `", request.surface, "`"));
  }
  if (chain.has_user() != request.user.has_value() ||
      chain.user_id() != request.user.value_or(0)) {
    return absl::InvalidArgumentError(
        "page token belongs to another user; start a new chain with an "
        "empty page token");
  }
  return chain;
}

// A token is only ever produced by the response stage; anything else is
// refused (the tag already rejects tokens not signed with this key).
// The page size a chain allows: the request's, cut so that the chain
// serves at most kMaxItemsPerChain items (its last page is shorter).
// OUT_OF_RANGE once the chain has served them all.
absl::StatusOr<int> CheckChain(const v1::PageTokenState& chain, int page_size) {
  const int64_t next = chain.next_position();
  if (next < 0 || next > kMaxItemsPerChain ||
      chain.served_item_ids_size() > next ||
      chain.positives_in_quota_window() < 0 ||
      chain.positives_in_quota_window() > next) {
    return absl::InvalidArgumentError(
        "malformed page token: inconsistent chain state; start a new chain "
        "with an empty page token");
  }
  const int64_t left = kMaxItemsPerChain - std::max<int64_t>(
                                              next, chain.served_item_ids_size());
  if (left <= 0) {
    return absl::OutOfRangeError(absl::StrCat("a token chain serves at most ",
                                              kMaxItemsPerChain,
                                              " items; start a new chain"));
  }
  return static_cast<int>(std::min<int64_t>(page_size, left));
}

}  // namespace

OverlayRequest RankContext::ForOverlay() const {
  OverlayRequest r;
  r.state = catalog.state;
  r.view = view;
  r.surface = surface;
  r.served = chain.served_item_ids();
  r.start = start;
  r.page_size = page_size;
  r.now = now;
  return r;
}

absl::StatusOr<RankContext> OpenRankContext(const RankRequest& request,
                                            const ContextSources& sources) {
  FEEDGOV_RETURN_IF_ERROR(CheckPageSize(request.page_size));
  RankContext ctx;
  ctx.catalog = sources.catalog->Snapshot();
  ctx.pack = sources.policies->current();
  ctx.interventions = sources.interventions;
  FEEDGOV_ASSIGN_OR_RETURN(ctx.chain, OpenChain(request, sources.page_token_key,
                                                sources.clock->Now()));
  // The request is checked before the user's settings are read, so a store
  // that cannot be read never hides a malformed request.
  FEEDGOV_RETURN_IF_ERROR(ctx.pack->SurfaceOrError(request.surface).status());
  FEEDGOV_ASSIGN_OR_RETURN(ctx.user,
                           ResolveSettings(request, sources.settings.get()));
  // Minors mode is sticky within a chain: a continuation without the flag
  // keeps the minors audience of the pages before it (it may only get
  // stricter), so a chain never mixes adult pages into a minors feed.
  const bool minors = ctx.user.applied.minors || ctx.chain.minors();
  ctx.chain.set_minors(minors);
  ctx.user.applied.minors = minors;
  ctx.audience = minors ? Audience::kMinors : Audience::kGeneral;
  FEEDGOV_ASSIGN_OR_RETURN(ctx.surface,
                           ctx.pack->SurfaceFor(request.surface, ctx.audience));
  FEEDGOV_ASSIGN_OR_RETURN(ctx.page_size,
                           CheckChain(ctx.chain, request.page_size));
  ctx.start = static_cast<int>(ctx.chain.next_position());
  ctx.now = sources.clock->Now();
  ctx.view = sources.views->Get(ctx.pack, *ctx.surface, ctx.audience,
                                ctx.catalog.state->catalog, ctx.catalog.labels);
  const int label_errors = ctx.view->counters().label_errors;
  if (label_errors > 0) {
    ctx.degradations.push_back(absl::StrCat(
        label_errors,
        " item(s) carry labels that cannot be evaluated; they are not served "
        "(fail closed)"));
  }
  return ctx;
}

}  // namespace feedgov
