// The works measured over the services' gRPC APIs: roster sync, StartLink,
// the calendar feed and email delivery.
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <regex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "load.h"
#include "parentsportal/calendar.grpc.pb.h"
#include "parentsportal/link.grpc.pb.h"
#include "parentsportal/notification.grpc.pb.h"
#include "server/server.h"
#include "testing/child_process.h"
#include "works.h"

namespace pp::bench {
namespace {

namespace calendar = parentsportal::calendar::v1;
namespace link = parentsportal::link::v1;
namespace notification = parentsportal::notification::v1;

std::string Seconds(absl::Duration duration) {
  return absl::StrFormat("%.2f s", absl::ToDoubleSeconds(duration));
}

// Makes a unary call by method path through the generic stub and waits
// for its status. StartLink and its baseline both go this way, so that the
// client's own cost is the same for both.
grpc::Status CallByPath(grpc::GenericStub& stub, const std::string& path,
                        const std::string& request_bytes) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(30));
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

// StartLink calls on one shared channel, cycling through `requests`, each
// from a new account so that no account reaches its daily limit of starts.
CallFactory StartLinkCalls(const std::string& address,
                           const std::vector<link::StartLinkRequest>& requests) {
  auto stub = std::make_shared<grpc::GenericStub>(MakeChannel(address));
  auto counter = std::make_shared<std::atomic<int64_t>>(0);
  return [stub, counter, requests](int) -> Call {
    return [stub, counter, requests] {
      int64_t n = (*counter)++;
      link::StartLinkRequest request = requests[n % requests.size()];
      request.mutable_parent()->set_account_id(absl::StrCat("bench-account-", n));
      return CallByPath(*stub, "/parentsportal.link.v1.Links/StartLink",
                        request.SerializeAsString())
          .ok();
    };
  };
}

// The baseline: the health service's Check, an empty unary call on the
// same server and channel setup.
CallFactory HealthCheckCalls(const std::string& address) {
  auto stub = std::make_shared<grpc::GenericStub>(MakeChannel(address));
  return [stub](int) -> Call {
    return [stub] { return CallByPath(*stub, "/grpc.health.v1.Health/Check", "").ok(); };
  };
}

// Reads the sum and count of a method's server handling time from a
// service's /metrics.
absl::Status ReadHandlingSeconds(const std::string& metrics_address, const std::string& method,
                                 double* sum, double* count) {
  size_t colon = metrics_address.rfind(':');
  httplib::Client client(metrics_address.substr(0, colon),
                         std::stoi(metrics_address.substr(colon + 1)));
  httplib::Result page = client.Get("/metrics");
  if (!page || page->status != 200) {
    return absl::UnavailableError("cannot read /metrics at " + metrics_address);
  }
  *sum = -1;
  *count = -1;
  std::regex line("grpc_server_handling_seconds_(sum|count)\\{[^}]*grpc_method=\"" + method +
                  "\"[^}]*\\} ([0-9.e+-]+)");
  for (std::sregex_iterator it(page->body.begin(), page->body.end(), line), end; it != end; ++it) {
    double value = 0;
    if (!absl::SimpleAtod((*it)[2].str(), &value)) continue;
    *((*it)[1] == "sum" ? sum : count) = value;
  }
  if (*sum < 0 || *count < 0) {
    return absl::NotFoundError("no handling time for " + method + " at " + metrics_address);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MeasureRosterSync(BenchContext& context, std::vector<Row>& rows) {
  const std::string& link_address = context.portal->Addresses("link-verification").grpc;
  absl::StatusOr<SyncTotals> first =
      SyncSchools(link_address, context.schools, context.tokens, context.options.schools_in_flight);
  if (!first.ok()) return first.status();
  absl::StatusOr<SyncTotals> baseline =
      InsertIntoSqlite(context.portal->dir().Path("baseline.db"), context.schools);
  if (!baseline.ok()) return baseline.status();
  if (first->pupils != baseline->pupils || first->contacts != baseline->contacts) {
    return absl::InternalError(absl::StrCat("the sync loaded ", first->pupils, " pupils and ",
                                            first->contacts, " contacts but the exports hold ",
                                            baseline->pupils, " and ", baseline->contacts));
  }
  absl::StatusOr<SyncTotals> again =
      SyncSchools(link_address, context.schools, context.tokens, context.options.schools_in_flight);
  if (!again.ok()) return again.status();

  double ratio = absl::ToDoubleSeconds(first->elapsed) / absl::ToDoubleSeconds(baseline->elapsed);
  rows.push_back({absl::StrFormat("roster sync: %d schools, %d pupils, %d contacts",
                                  context.schools.size(), first->pupils, first->contacts),
                  "SQLite insert: " + Seconds(baseline->elapsed), Seconds(first->elapsed),
                  Ratio(ratio, 1), "at most 3x and 20 s",
                  ratio <= 3 && first->elapsed <= absl::Seconds(20) ? GoalMet::kYes : GoalMet::kNo,
                  absl::ToDoubleSeconds(first->elapsed)});
  rows.push_back(
      {absl::StrCat("roster re-sync, nothing changed (", again->unchanged_schools, " of ",
                    context.schools.size(), " schools recognised by their digest)"),
       "-", Seconds(again->elapsed), "-", "at most 10 s",
       again->elapsed <= absl::Seconds(10) ? GoalMet::kYes : GoalMet::kNo,
       absl::ToDoubleSeconds(again->elapsed)});
  return absl::OkStatus();
}

absl::Status MeasureStartLink(BenchContext& context, std::vector<Row>& rows) {
  const BenchOptions& options = context.options;
  Portal& portal = *context.portal;
  const std::string& big_address = portal.Addresses("link-verification").grpc;
  absl::StatusOr<std::vector<link::StartLinkRequest>> big_requests =
      MatchingStartRequests(context.schools, 2000);
  if (!big_requests.ok()) return big_requests.status();

  // The same calls against a server holding only the first schools.
  std::vector<SchoolExport> small_schools =
      FirstSchools(context.schools, options.small_roster_pupils);
  ServiceAddresses small = portal.StartExtraLinkServer("link-verification-small");
  absl::StatusOr<SyncTotals> small_sync =
      SyncSchools(small.grpc, small_schools, context.tokens, context.options.schools_in_flight);
  if (!small_sync.ok()) return small_sync.status();
  absl::StatusOr<std::vector<link::StartLinkRequest>> small_requests =
      MatchingStartRequests(small_schools, 2000);
  if (!small_requests.ok()) return small_requests.status();

  LoadResult start_link = RunClosedLoop(StartLinkCalls(big_address, *big_requests),
                                        options.grpc_in_flight, options.run_time);
  LoadResult check =
      RunClosedLoop(HealthCheckCalls(big_address), options.grpc_in_flight, options.run_time);
  if (start_link.failed > 0) {
    return absl::InternalError(absl::StrCat(start_link.failed, " of ",
                                            start_link.failed + start_link.succeeded,
                                            " StartLink calls failed"));
  }
  double share = start_link.PerSecond() / check.PerSecond();
  int64_t big_pupils = 0;
  for (const SchoolExport& school : context.schools) big_pupils += school.pupils;
  rows.push_back({absl::StrFormat("StartLink calls/s at %d pupils, %d in flight", big_pupils,
                                  options.grpc_in_flight),
                  absl::StrFormat("health Check: %.0f/s", check.PerSecond()),
                  absl::StrFormat("%.0f/s", start_link.PerSecond()),
                  absl::StrFormat("%.1f%%", share * 100), "at least 50%",
                  share >= 0.5 ? GoalMet::kYes : GoalMet::kNo, start_link.PerSecond()});

  // Latency of one call at a time, on the big roster and on the small one.
  absl::Duration half = options.run_time / 2;
  LoadResult big_single = RunClosedLoop(StartLinkCalls(big_address, *big_requests), 1, half);
  LoadResult small_single = RunClosedLoop(StartLinkCalls(small.grpc, *small_requests), 1, half);
  if (big_single.failed > 0 || small_single.failed > 0) {
    return absl::InternalError("StartLink calls failed in the latency runs");
  }
  absl::Duration big_p50 = big_single.latency.Percentile(0.5);
  absl::Duration small_p50 = small_single.latency.Percentile(0.5);
  double ratio = absl::ToDoubleSeconds(big_p50) / absl::ToDoubleSeconds(small_p50);
  rows.push_back(
      {absl::StrFormat("StartLink median latency, one in flight (p99 %s)",
                       Milliseconds(big_single.latency.Percentile(0.99))),
       absl::StrFormat("%d pupils: %s (p99 %s)", small_sync->pupils, Milliseconds(small_p50),
                       Milliseconds(small_single.latency.Percentile(0.99))),
       Milliseconds(big_p50), Ratio(ratio, 1), "at most 1.5x",
       ratio <= 1.5 ? GoalMet::kYes : GoalMet::kNo, absl::ToDoubleMilliseconds(big_p50)});
  return absl::OkStatus();
}

absl::Status MeasureCalendarFeed(BenchContext& context, std::vector<Row>& rows) {
  const BenchOptions& options = context.options;
  const ServiceAddresses& addresses = context.portal->Addresses("calendar");
  calendar::RenderFeedRequest request;
  calendar::FeedSchool* school = request.add_schools();
  school->set_seed_code(context.parent.seed_code);
  school->set_name("Benchmark School");
  request.set_name("Parents Portal");
  request.set_parent_feed(true);

  auto channel = MakeChannel(addresses.grpc);
  auto stub = calendar::Calendar::NewStub(channel);
  calendar::Feed feed;
  {
    grpc::ClientContext call;
    SetDeadline(call, absl::Seconds(10));
    grpc::Status status = stub->RenderFeed(&call, request, &feed);
    if (!status.ok()) return FromGrpcStatus(status);
  }
  size_t events = 0;
  for (size_t at = feed.ics().find("BEGIN:VEVENT"); at != std::string::npos;
       at = feed.ics().find("BEGIN:VEVENT", at + 1)) {
    ++events;
  }
  if (static_cast<int>(events) < options.feed_events) {
    return absl::InternalError(
        absl::StrCat("the feed holds ", events, " events, not ", options.feed_events));
  }

  // Calendar keeps rendered feeds until a school's calendar changes, and
  // parents of the same schools share them. So the first run gives the
  // school a new name in every call, which makes calendar render each feed
  // from the store. The second run requests one feed throughout, as the
  // school's other parents do.
  for (bool fresh : {true, false}) {
    double sum_before = 0, count_before = 0, sum_after = 0, count_after = 0;
    if (absl::Status read =
            ReadHandlingSeconds(addresses.metrics, "RenderFeed", &sum_before, &count_before);
        !read.ok()) {
      return read;
    }
    auto renamed = std::make_shared<std::atomic<int>>(0);
    CallFactory feeds = [channel, request, fresh, renamed](int) -> Call {
      auto worker_stub =
          std::shared_ptr<calendar::Calendar::Stub>(calendar::Calendar::NewStub(channel));
      return [worker_stub, request, fresh, renamed]() mutable {
        if (fresh) request.mutable_schools(0)->set_name(absl::StrCat("School ", ++*renamed));
        grpc::ClientContext call;
        SetDeadline(call, absl::Seconds(10));
        calendar::Feed response;
        return worker_stub->RenderFeed(&call, request, &response).ok();
      };
    };
    LoadResult result = RunClosedLoop(feeds, 1, options.run_time);
    if (absl::Status read =
            ReadHandlingSeconds(addresses.metrics, "RenderFeed", &sum_after, &count_after);
        !read.ok()) {
      return read;
    }
    double calls = count_after - count_before;
    if (calls <= 0 || result.failed > 0) return absl::InternalError("RenderFeed calls failed");
    absl::Duration server_time = absl::Seconds((sum_after - sum_before) / calls);
    rows.push_back(
        {absl::StrFormat("calendar feed of %d events (%d bytes), server time per feed, %s", events,
                         feed.ics().size(),
                         fresh ? "rendered from the store" : "kept from an earlier call"),
         absl::StrFormat("client p99 over gRPC: %s", Milliseconds(result.latency.Percentile(0.99))),
         Milliseconds(server_time), "-", "at most 2 ms",
         server_time <= absl::Milliseconds(2) ? GoalMet::kYes : GoalMet::kNo,
         absl::ToDoubleMilliseconds(server_time)});
  }
  return absl::OkStatus();
}

absl::Status MeasureEmails(BenchContext& context, std::vector<Row>& rows) {
  const BenchOptions& options = context.options;
  std::string mail_dir = context.portal->dir().Path("mail");
  std::filesystem::create_directories(mail_dir);
  pp::notification::testing::SmtpSink sink(mail_dir);
  ServiceAddresses service = context.portal->StartSmtpNotification("notification-smtp", sink.url());
  auto channel = MakeChannel(service.grpc);

  // Sends every email with a fixed number in flight, then waits until the
  // SMTP server has received them all.
  auto start = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < options.grpc_in_flight; ++i) {
    senders.emplace_back([&] {
      auto stub = notification::Notifications::NewStub(channel);
      for (int n = next++; n < options.emails; n = next++) {
        grpc::ClientContext call;
        SetDeadline(call, absl::Seconds(30));
        notification::SendRequest request;
        request.set_channel(notification::EMAIL);
        request.set_to(absl::StrCat("parent.", n, "@example.net"));
        request.set_subject("Trip to the museum on Friday");
        request.set_body("The bus leaves at 9:00. Please bring a packed lunch.\n");
        request.set_idempotency_key(absl::StrCat("bench-email-", n));
        notification::SendResponse response;
        if (!stub->Send(&call, request, &response).ok()) ++failed;
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  if (failed > 0) return absl::InternalError(absl::StrCat(failed.load(), " Send calls failed"));
  absl::Duration stored = absl::FromChrono(std::chrono::steady_clock::now() - start);

  absl::Time deadline = absl::Now() + absl::Minutes(10);
  int delivered = 0;
  while (absl::Now() < deadline) {
    delivered = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(mail_dir)) {
      ++delivered;
    }
    if (delivered >= options.emails) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  absl::Duration elapsed = absl::FromChrono(std::chrono::steady_clock::now() - start);
  if (delivered < options.emails) {
    return absl::DeadlineExceededError(absl::StrCat("only ", delivered, " of ", options.emails,
                                                    " emails reached the SMTP server"));
  }
  double per_minute = options.emails / absl::ToDoubleMinutes(elapsed);
  rows.push_back({absl::StrFormat("emails through Send to a local SMTP server (%d, stored in %s)",
                                  options.emails, Seconds(stored)),
                  "-", absl::StrFormat("%.0f a minute", per_minute), "-", "at least 5,000 a minute",
                  per_minute >= 5000 ? GoalMet::kYes : GoalMet::kNo, per_minute});
  return absl::OkStatus();
}

}  // namespace pp::bench
