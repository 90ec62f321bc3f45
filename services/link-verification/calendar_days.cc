#include "calendar_days.h"

#include <grpcpp/client_context.h>

#include "link_rules.h"
#include "log/log.h"
#include "server/server.h"

namespace pp::link {

namespace calendar = parentsportal::calendar::v1;

CalendarSchoolDays::CalendarSchoolDays(std::shared_ptr<grpc::Channel> channel,
                                       absl::Duration cache_lifetime)
    : stub_(calendar::Calendar::NewStub(channel)), cache_lifetime_(cache_lifetime) {}

absl::StatusOr<bool> CalendarSchoolDays::IsSchoolDay(const std::string& seed_code,
                                                     absl::CivilDay day) {
  const absl::Time now = absl::Now();
  const auto key = std::make_pair(seed_code, day);
  {
    absl::MutexLock lock(&mutex_);
    auto cached = cache_.find(key);
    if (cached != cache_.end() && cached->second.expires > now) return cached->second.school_day;
  }

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(1));
  calendar::IsSchoolDayRequest request;
  request.set_seed_code(seed_code);
  request.set_date(FormatDate(day));
  calendar::IsSchoolDayResponse response;
  grpc::Status status = stub_->IsSchoolDay(&context, request, &response);
  if (!status.ok()) {
    bool warn = false;
    {
      absl::MutexLock lock(&mutex_);
      warn = now - last_warning_ >= absl::Minutes(1);
      if (warn) last_warning_ = now;
    }
    if (warn) {
      log::Warning("calendar_unavailable")
          .Field("school", seed_code)
          .Field("error", status.error_message())
          .Field("fallback", "weekends and Scottish bank holidays");
    }
    return fallback_.IsSchoolDay(seed_code, day);
  }

  absl::MutexLock lock(&mutex_);
  // Old entries go when the cache grows, so it stays bounded by the days
  // asked about within one lifetime.
  if (cache_.size() > 10000) {
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = it->second.expires <= now ? cache_.erase(it) : std::next(it);
    }
  }
  cache_[key] = Cached{response.school_day(), now + cache_lifetime_};
  return response.school_day();
}

}  // namespace pp::link
