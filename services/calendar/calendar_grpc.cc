#include "calendar_grpc.h"

#include "absl/strings/str_cat.h"
#include "log/log.h"
#include "server/server.h"

namespace pp::calendar {
namespace {

// The maximum number of schools in one GetHomeCalendar call. A family's
// children rarely attend more than a few.
constexpr int kMaxHomeSchools = 20;

// Runs `call` (returning absl::StatusOr<Response>) and copies its value into
// `response` on success.
template <typename Response, typename Call>
absl::Status Answer(Response* response, Call call) {
  absl::StatusOr<Response> result = call();
  if (!result.ok()) return result.status();
  *response = std::move(*result);
  return absl::OkStatus();
}

absl::Status Authorize(SchoolAuthenticator& authenticator, const std::string& token,
                       const std::string& seed_code, const char* rpc) {
  absl::Status status = authenticator.Authorize(token, seed_code);
  if (status.code() == absl::StatusCode::kUnavailable) {
    log::Warning("school_auth_unavailable")
        .Field("rpc", rpc)
        .Field("school", seed_code)
        .Field("error", status.message());
  }
  return status;
}

}  // namespace

grpc::ServerUnaryReactor* CalendarGrpc::ListEvents(grpc::CallbackServerContext* context,
                                                   const api::ListEventsRequest* request,
                                                   api::ListEventsResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return service_.ListEvents(*request); });
  });
}

// Fills `response` from memory and returns true when every school's list
// and the feed token are cached. Otherwise leaves it empty and returns false.
bool CalendarGrpc::AnswerFromCache(const api::HomeCalendarRequest& request,
                                   api::HomeCalendar* response) {
  if (request.schools_size() > kMaxHomeSchools) return false;
  for (const api::ListEventsRequest& school : request.schools()) {
    std::optional<api::ListEventsResponse> events = service_.CachedListEvents(school);
    if (!events.has_value()) {
      response->Clear();
      return false;
    }
    *response->add_schools() = *std::move(events);
  }
  api::FeedTokenRequest token_request;
  token_request.set_account_id(request.account_id());
  std::optional<api::FeedToken> token = feeds_.CachedFeedToken(token_request);
  if (!token.has_value()) {
    response->Clear();
    return false;
  }
  *response->mutable_feed_token() = *std::move(token);
  return true;
}

grpc::ServerUnaryReactor* CalendarGrpc::GetHomeCalendar(grpc::CallbackServerContext* context,
                                                        const api::HomeCalendarRequest* request,
                                                        api::HomeCalendar* response) {
  // Served from memory, the call never waits, so it finishes on gRPC's
  // own thread without the hand-over to the pool and back.
  if (AnswerFromCache(*request, response)) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    if (request->schools_size() > kMaxHomeSchools) {
      return absl::InvalidArgumentError(absl::StrCat("a home calendar covers at most ",
                                                     kMaxHomeSchools, " schools, not ",
                                                     request->schools_size()));
    }
    for (const api::ListEventsRequest& school : request->schools()) {
      absl::Status listed =
          Answer(response->add_schools(), [&] { return service_.ListEvents(school); });
      if (!listed.ok()) return listed;
    }
    api::FeedTokenRequest token_request;
    token_request.set_account_id(request->account_id());
    return Answer(response->mutable_feed_token(),
                  [&] { return feeds_.GetFeedToken(token_request); });
  });
}

grpc::ServerUnaryReactor* CalendarGrpc::IsSchoolDay(grpc::CallbackServerContext* context,
                                                    const api::IsSchoolDayRequest* request,
                                                    api::IsSchoolDayResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return school_days_.IsSchoolDay(*request); });
  });
}

grpc::ServerUnaryReactor* CalendarGrpc::AddSchoolDays(grpc::CallbackServerContext* context,
                                                      const api::AddSchoolDaysRequest* request,
                                                      api::AddSchoolDaysResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return school_days_.AddSchoolDays(*request); });
  });
}

grpc::ServerUnaryReactor* CalendarGrpc::GetFeedToken(grpc::CallbackServerContext* context,
                                                     const api::FeedTokenRequest* request,
                                                     api::FeedToken* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return feeds_.GetFeedToken(*request); });
  });
}

grpc::ServerUnaryReactor* CalendarGrpc::ReplaceFeedToken(grpc::CallbackServerContext* context,
                                                         const api::FeedTokenRequest* request,
                                                         api::FeedToken* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return feeds_.ReplaceFeedToken(*request); });
  });
}

grpc::ServerUnaryReactor* CalendarGrpc::RevokeFeedToken(grpc::CallbackServerContext* context,
                                                        const api::FeedTokenRequest* request,
                                                        api::FeedToken* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return feeds_.RevokeFeedToken(*request); });
  });
}

grpc::ServerUnaryReactor* CalendarGrpc::ResolveFeedToken(
    grpc::CallbackServerContext* context, const api::ResolveFeedTokenRequest* request,
    api::ResolveFeedTokenResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return feeds_.ResolveFeedToken(*request); });
  });
}

grpc::ServerWriteReactor<parentsportal::changes::v1::AccountsChanged>*
CalendarGrpc::WatchHomeCalendars(grpc::CallbackServerContext* context,
                                 const parentsportal::changes::v1::WatchRequest* request) {
  if (changes_ != nullptr) return changes_->Subscribe();
  return api::Calendar::CallbackService::WatchHomeCalendars(context, request);
}

grpc::ServerUnaryReactor* CalendarGrpc::RenderFeed(grpc::CallbackServerContext* context,
                                                   const api::RenderFeedRequest* request,
                                                   api::Feed* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(response, [&] { return feeds_.RenderFeed(*request); });
  });
}

grpc::ServerUnaryReactor* SchoolCalendarGrpc::ImportCalendar(
    grpc::CallbackServerContext* context, const api::ImportCalendarRequest* request,
    api::ImportCalendarSummary* response) {
  std::string token = BearerToken(*context);
  return RunOnPool(context, pool_, [this, token, request, response]() {
    absl::Status allowed = Authorize(authenticator_, token, request->seed_code(), "ImportCalendar");
    if (!allowed.ok()) return allowed;
    return Answer(response, [&] { return service_.ImportCalendar(*request); });
  });
}

grpc::ServerUnaryReactor* SchoolCalendarGrpc::ListEvents(grpc::CallbackServerContext* context,
                                                         const api::ListEventsRequest* request,
                                                         api::ListEventsResponse* response) {
  std::string token = BearerToken(*context);
  return RunOnPool(context, pool_, [this, token, request, response]() {
    absl::Status allowed = Authorize(authenticator_, token, request->seed_code(), "ListEvents");
    if (!allowed.ok()) return allowed;
    return Answer(response, [&] { return service_.ListEvents(*request); });
  });
}

}  // namespace pp::calendar
