// gRPC wiring of the calendar service: Calendar for parents (through the
// gateway) and SchoolCalendar for school systems (bearer token).
#ifndef PP_SERVICES_CALENDAR_CALENDAR_GRPC_H_
#define PP_SERVICES_CALENDAR_CALENDAR_GRPC_H_

#include "calendar_service.h"
#include "feed_service.h"
#include "parentsportal/calendar.grpc.pb.h"
#include "school_auth/school_auth.h"
#include "school_days.h"
#include "server/work_pool.h"
#include "watch/change_feed.h"

namespace pp::calendar {

class CalendarGrpc final : public api::Calendar::CallbackService {
 public:
  // WatchHomeCalendars streams from `changes` when given (it must outlive
  // the server), and is UNIMPLEMENTED without it.
  CalendarGrpc(CalendarService& service, SchoolDays& school_days, FeedService& feeds,
               WorkPool& pool, ChangeFeed* changes = nullptr)
      : service_(service),
        school_days_(school_days),
        feeds_(feeds),
        pool_(pool),
        changes_(changes) {}

  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const api::ListEventsRequest* request,
                                       api::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* IsSchoolDay(grpc::CallbackServerContext* context,
                                        const api::IsSchoolDayRequest* request,
                                        api::IsSchoolDayResponse* response) override;
  grpc::ServerUnaryReactor* AddSchoolDays(grpc::CallbackServerContext* context,
                                          const api::AddSchoolDaysRequest* request,
                                          api::AddSchoolDaysResponse* response) override;
  grpc::ServerUnaryReactor* GetHomeCalendar(grpc::CallbackServerContext* context,
                                            const api::HomeCalendarRequest* request,
                                            api::HomeCalendar* response) override;
  grpc::ServerUnaryReactor* GetFeedToken(grpc::CallbackServerContext* context,
                                         const api::FeedTokenRequest* request,
                                         api::FeedToken* response) override;
  grpc::ServerUnaryReactor* ReplaceFeedToken(grpc::CallbackServerContext* context,
                                             const api::FeedTokenRequest* request,
                                             api::FeedToken* response) override;
  grpc::ServerUnaryReactor* RevokeFeedToken(grpc::CallbackServerContext* context,
                                            const api::FeedTokenRequest* request,
                                            api::FeedToken* response) override;
  grpc::ServerUnaryReactor* ResolveFeedToken(grpc::CallbackServerContext* context,
                                             const api::ResolveFeedTokenRequest* request,
                                             api::ResolveFeedTokenResponse* response) override;
  grpc::ServerUnaryReactor* RenderFeed(grpc::CallbackServerContext* context,
                                       const api::RenderFeedRequest* request,
                                       api::Feed* response) override;
  grpc::ServerWriteReactor<parentsportal::changes::v1::AccountsChanged>* WatchHomeCalendars(
      grpc::CallbackServerContext* context,
      const parentsportal::changes::v1::WatchRequest* request) override;

 private:
  bool AnswerFromCache(const api::HomeCalendarRequest& request, api::HomeCalendar* response);

  CalendarService& service_;
  SchoolDays& school_days_;
  FeedService& feeds_;
  WorkPool& pool_;
  ChangeFeed* const changes_;
};

// Every call first checks that the bearer token belongs to the request's
// school: UNAUTHENTICATED without a known token, PERMISSION_DENIED for
// another school's token, UNAVAILABLE when identity cannot be asked.
class SchoolCalendarGrpc final : public api::SchoolCalendar::CallbackService {
 public:
  SchoolCalendarGrpc(CalendarService& service, SchoolAuthenticator& authenticator, WorkPool& pool)
      : service_(service), authenticator_(authenticator), pool_(pool) {}

  grpc::ServerUnaryReactor* ImportCalendar(grpc::CallbackServerContext* context,
                                           const api::ImportCalendarRequest* request,
                                           api::ImportCalendarSummary* response) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const api::ListEventsRequest* request,
                                       api::ListEventsResponse* response) override;

 private:
  CalendarService& service_;
  SchoolAuthenticator& authenticator_;
  WorkPool& pool_;
};

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_CALENDAR_GRPC_H_
