// Tests of the home page's cached responses: what is kept, and each event
// that must drop a kept response.
#include "gateway/cached_clients.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "clock/clock.h"
#include "gateway/change_watch.h"
#include "gateway/fake_clients.h"
#include "gateway/grpc_clients.h"
#include "parentsportal/link.grpc.pb.h"
#include "server/server.h"
#include "watch/change_feed.h"

namespace pp::gateway {
namespace {

using parentsportal::changes::v1::AccountsChanged;

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 9, 1, 8, 0, 0), absl::UTCTimeZone());

// Counts ListLinks calls, and runs `during_list` in the middle of one.
class CountingLinks : public FakeLinksClient {
 public:
  int list_calls = 0;
  std::function<void()> during_list;

  absl::StatusOr<link::ListLinksResponse> ListLinks(
      const link::ListLinksRequest& request) override {
    ++list_calls;
    absl::StatusOr<link::ListLinksResponse> listed = FakeLinksClient::ListLinks(request);
    if (during_list) during_list();
    return listed;
  }
};

class CountingCalendar : public FakeCalendarClient {
 public:
  int home_calls = 0;

  absl::StatusOr<calendar::HomeCalendar> GetHomeCalendar(
      const calendar::HomeCalendarRequest& request) override {
    ++home_calls;
    return FakeCalendarClient::GetHomeCalendar(request);
  }
};

link::ListLinksRequest ListFor(const std::string& account_id) {
  link::ListLinksRequest request;
  request.set_account_id(account_id);
  return request;
}

link::Child Child(const std::string& id, const std::string& forename) {
  link::Child child;
  child.set_child_id(id);
  child.set_forename(forename);
  child.set_seed_code("5300011");
  return child;
}

AccountsChanged ChangeOf(const std::string& account_id) {
  AccountsChanged change;
  change.add_account_ids(account_id);
  return change;
}

AccountsChanged ChangeOfAll() {
  AccountsChanged change;
  change.set_all_accounts(true);
  return change;
}

TEST_CASE("links kept until a change", "[cached_clients]") {
  FakeClock clock(kStart);
  CountingLinks inner;
  *inner.links.add_children() = Child("child-1", "Isla");
  CachedLinksClient links(inner, clock, ViewCacheLimits());
  links.SetLive(true);

  REQUIRE(links.ListLinks(ListFor("account-1"))->children_size() == 1);
  REQUIRE(links.ListLinks(ListFor("account-1"))->children_size() == 1);
  CHECK(inner.list_calls == 1);

  // The school approves a second child.
  *inner.links.add_children() = Child("child-2", "Ruaridh");
  links.Changed(ChangeOf("account-2"));
  CHECK(links.ListLinks(ListFor("account-1"))->children_size() == 1);
  links.Changed(ChangeOf("account-1"));
  CHECK(links.ListLinks(ListFor("account-1"))->children_size() == 2);
  CHECK(inner.list_calls == 2);

  *inner.links.add_children() = Child("child-3", "Eilidh");
  links.Changed(ChangeOfAll());
  CHECK(links.ListLinks(ListFor("account-1"))->children_size() == 3);
}

TEST_CASE("nothing kept while stream down", "[cached_clients]") {
  FakeClock clock(kStart);
  CountingLinks inner;
  CachedLinksClient links(inner, clock, ViewCacheLimits());

  links.ListLinks(ListFor("account-1")).IgnoreError();
  links.ListLinks(ListFor("account-1")).IgnoreError();
  CHECK(inner.list_calls == 2);

  links.SetLive(true);
  links.ListLinks(ListFor("account-1")).IgnoreError();
  links.SetLive(false);
  *inner.links.add_children() = Child("child-1", "Isla");
  CHECK(links.ListLinks(ListFor("account-1"))->children_size() == 1);
  CHECK(inner.list_calls == 4);
}

TEST_CASE("own unlink and request show", "[cached_clients]") {
  FakeClock clock(kStart);
  CountingLinks inner;
  *inner.links.add_children() = Child("child-1", "Isla");
  CachedLinksClient links(inner, clock, ViewCacheLimits());
  links.SetLive(true);
  REQUIRE(links.ListLinks(ListFor("account-1"))->children_size() == 1);

  link::UnlinkRequest unlink;
  unlink.set_account_id("account-1");
  unlink.set_child_id("child-1");
  REQUIRE(links.Unlink(unlink).ok());
  CHECK(links.ListLinks(ListFor("account-1"))->children_size() == 0);

  // A failed ConfirmCode drops the links too, because the request may have
  // been filed before the failure.
  inner.links.add_requests()->set_request_id("request-1");
  inner.confirm_code_status = absl::UnavailableError("deadline exceeded");
  link::ConfirmCodeRequest confirm;
  confirm.set_account_id("account-1");
  CHECK_FALSE(links.ConfirmCode(confirm).ok());
  CHECK(links.ListLinks(ListFor("account-1"))->requests_size() == 1);
}

TEST_CASE("response overlapping change not kept", "[cached_clients]") {
  FakeClock clock(kStart);
  CountingLinks inner;
  CachedLinksClient links(inner, clock, ViewCacheLimits());
  links.SetLive(true);
  // The change commits after the service read the response, and its
  // message arrives before the response does.
  inner.during_list = [&] { links.Changed(ChangeOf("account-1")); };
  links.ListLinks(ListFor("account-1")).IgnoreError();
  inner.during_list = nullptr;
  links.ListLinks(ListFor("account-1")).IgnoreError();
  CHECK(inner.list_calls == 2);
}

TEST_CASE("kept links expire on time", "[cached_clients]") {
  FakeClock clock(kStart);
  CountingLinks inner;
  inner.links.set_changes_at("2026-09-01T08:00:10+00:00");
  CachedLinksClient links(inner, clock, ViewCacheLimits());
  links.SetLive(true);
  links.ListLinks(ListFor("account-1")).IgnoreError();
  clock.Advance(absl::Seconds(9));
  links.ListLinks(ListFor("account-1")).IgnoreError();
  CHECK(inner.list_calls == 1);
  clock.Advance(absl::Seconds(1));
  links.ListLinks(ListFor("account-1")).IgnoreError();
  CHECK(inner.list_calls == 2);

  inner.links.clear_changes_at();
  links.Changed(ChangeOf("account-1"));
  links.ListLinks(ListFor("account-1")).IgnoreError();
  clock.Advance(absl::Seconds(59));
  links.ListLinks(ListFor("account-1")).IgnoreError();
  CHECK(inner.list_calls == 3);
  clock.Advance(absl::Seconds(1));
  links.ListLinks(ListFor("account-1")).IgnoreError();
  CHECK(inner.list_calls == 4);

  // A response with an invalid change time is never kept.
  inner.links.set_changes_at("next week");
  links.Changed(ChangeOf("account-1"));
  links.ListLinks(ListFor("account-1")).IgnoreError();
  links.ListLinks(ListFor("account-1")).IgnoreError();
  CHECK(inner.list_calls == 6);
}

calendar::HomeCalendarRequest HomeFor(const std::string& account_id) {
  calendar::HomeCalendarRequest request;
  request.set_account_id(account_id);
  calendar::ListEventsRequest* school = request.add_schools();
  school->set_seed_code("5300011");
  school->set_from("2026-09-01");
  school->set_to("2026-09-29");
  school->set_max_events(10);
  return request;
}

TEST_CASE("school events shared until a change", "[cached_clients]") {
  FakeClock clock(kStart);
  CountingCalendar inner;
  inner.events["5300011"].add_events()->set_summary("Sports day");
  inner.feed_tokens["account-1"] = "token-1";
  CachedCalendarClient calendar(inner, clock, ViewCacheLimits());
  calendar.SetLive(true);

  REQUIRE(calendar.GetHomeCalendar(HomeFor("account-1"))->schools(0).events_size() == 1);
  CHECK(calendar.GetHomeCalendar(HomeFor("account-1"))->feed_token().token() == "token-1");
  CHECK(inner.home_calls == 1);
  // Another parent of the same school needs only their feed token.
  calendar.GetHomeCalendar(HomeFor("account-2")).IgnoreError();
  calendar.GetHomeCalendar(HomeFor("account-2")).IgnoreError();
  CHECK(inner.home_calls == 2);

  // A parent's own new feed token shows at once.
  inner.next_feed_token = "token-2";
  calendar::FeedTokenRequest replace;
  replace.set_account_id("account-1");
  REQUIRE(calendar.ReplaceFeedToken(replace).ok());
  CHECK(calendar.GetHomeCalendar(HomeFor("account-1"))->feed_token().token() == "token-2");

  // A school's new calendar shows for every parent.
  inner.events["5300011"].add_events()->set_summary("Parents' evening");
  calendar.Changed(ChangeOfAll());
  CHECK(calendar.GetHomeCalendar(HomeFor("account-2"))->schools(0).events_size() == 2);

  calendar.SetLive(false);
  int calls = inner.home_calls;
  calendar.GetHomeCalendar(HomeFor("account-2")).IgnoreError();
  calendar.GetHomeCalendar(HomeFor("account-2")).IgnoreError();
  CHECK(inner.home_calls == calls + 2);
}

// Links with only WatchLinks, fed by a real ChangeFeed.
class WatchOnlyLinks : public link::Links::CallbackService {
 public:
  explicit WatchOnlyLinks(ChangeFeed& feed) : feed_(feed) {}
  grpc::ServerWriteReactor<AccountsChanged>* WatchLinks(
      grpc::CallbackServerContext*, const parentsportal::changes::v1::WatchRequest*) override {
    return feed_.Subscribe();
  }

 private:
  ChangeFeed& feed_;
};

// Polls `condition` for up to five seconds.
bool Eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 500; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

TEST_CASE("watch stream reports changes and end", "[cached_clients]") {
  ChangeFeed feed;
  WatchOnlyLinks service(feed);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartGrpcServer(ServerOptions{"127.0.0.1:0", {&service}, nullptr}, &port);
  REQUIRE(server.ok());
  GrpcLinksClient client(MakeChannel(absl::StrCat("127.0.0.1:", port)));

  std::mutex mutex;
  std::set<std::string> changed;
  std::atomic<int> went_live{0};
  std::atomic<bool> live{false};
  {
    ChangeWatch watch(
        "link-verification",
        [&client](grpc::ClientContext* context) { return client.WatchLinks(context); },
        [&](bool now_live) {
          live = now_live;
          if (now_live) ++went_live;
        },
        [&](const AccountsChanged& change) {
          std::lock_guard<std::mutex> lock(mutex);
          for (const std::string& account_id : change.account_ids()) changed.insert(account_id);
        });
    REQUIRE(Eventually([&] { return live.load(); }));
    CHECK(feed.Streams() == 1);

    feed.Publish({"account-7", "account-8"});
    CHECK(Eventually([&] {
      std::lock_guard<std::mutex> lock(mutex);
      return changed.count("account-7") == 1 && changed.count("account-8") == 1;
    }));

    // A stopping service ends the stream, so the cache stops keeping responses.
    feed.Close();
    CHECK(Eventually([&] { return !live.load(); }));
    CHECK(went_live.load() == 1);
  }
  (*server)->Shutdown();
}

}  // namespace
}  // namespace pp::gateway
