// Which "Pay for" buttons the pages show: the services payments-handoff
// lists for each child's school, kept for a minute, and every service when
// payments-handoff cannot be asked.
#include "gateway/online_services.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/fake_clients.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

FakeClock TestClock() {
  return FakeClock(absl::FromCivil(absl::CivilSecond(2026, 12, 4, 12, 0, 0), absl::UTCTimeZone()));
}

httplib::Headers SignedIn() { return {{"Cookie", absl::StrCat("pp_session=", kTestSession)}}; }

link::Child ChildAt(const std::string& id, const std::string& seed_code) {
  link::Child child;
  child.set_child_id(id);
  child.set_forename(id);
  child.set_surname("O'Neill");
  child.set_stage("P3");
  child.set_seed_code(seed_code);
  child.set_school_name("School " + seed_code);
  return child;
}

TEST_CASE("online services are kept for a minute") {
  FakeClock clock = TestClock();
  FakeHandoffClient handoff;
  handoff.online_services["5300011"] = {"trips"};
  OnlineServicesCache cache(clock);

  OnlineServices first = cache.Find(handoff, {"5300011", "5300028", "5300011"});
  CHECK(first["5300011"] == std::vector<std::string>{"trips"});
  CHECK(first["5300028"] == std::vector<std::string>{"school-meals", "trips"});
  CHECK(handoff.online_calls == 1);

  handoff.online_services["5300011"] = {};
  clock.Advance(absl::Seconds(59));
  CHECK(cache.Find(handoff, {"5300011"})["5300011"] == std::vector<std::string>{"trips"});
  CHECK(handoff.online_calls == 1);

  clock.Advance(absl::Seconds(2));
  CHECK(cache.Find(handoff, {"5300011"})["5300011"].empty());
  CHECK(handoff.online_calls == 2);
}

TEST_CASE("online services outage waits before asking again") {
  FakeClock clock = TestClock();
  FakeHandoffClient handoff;
  handoff.online_outage = absl::UnavailableError("payments-handoff is down");
  OnlineServicesCache cache(clock);

  CHECK(cache.Find(handoff, {"5300011"}).empty());
  CHECK(cache.Find(handoff, {"5300011"}).empty());
  CHECK(handoff.online_calls == 1);

  handoff.online_outage = absl::OkStatus();
  clock.Advance(absl::Seconds(11));
  CHECK(cache.Find(handoff, {"5300011"}).count("5300011") == 1);
  CHECK(handoff.online_calls == 2);
}

TEST_CASE("pages offer only the school's online services") {
  SignedInFakes fakes;
  *fakes.links.links.add_children() = ChildAt("child-1", "5300011");
  *fakes.links.links.add_children() = ChildAt("child-2", "5300028");
  fakes.handoff.online_services["5300011"] = {"trips"};
  fakes.handoff.online_services["5300028"] = {};
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result home = client.Get("/", SignedIn());
  REQUIRE(home);
  CHECK(home->status == 200);
  CHECK(absl::StrContains(home->body, "Pay for trips<span class=\"visually-hidden\"> for child-1"));
  CHECK_FALSE(absl::StrContains(home->body, "Pay for school meals"));
  CHECK_FALSE(absl::StrContains(home->body, "name=\"child\" value=\"child-2\""));

  httplib::Result child = client.Get("/children/child-2", SignedIn());
  REQUIRE(child);
  CHECK(child->status == 200);
  CHECK_FALSE(absl::StrContains(child->body, "Pay for"));
}

TEST_CASE("pages offer every service while payments is down") {
  SignedInFakes fakes;
  *fakes.links.links.add_children() = ChildAt("child-1", "5300011");
  fakes.handoff.online_outage = absl::UnavailableError("payments-handoff is down");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result home = client.Get("/", SignedIn());
  REQUIRE(home);
  CHECK(home->status == 200);
  CHECK(absl::StrContains(home->body, "Pay for school meals"));
  CHECK(absl::StrContains(home->body, "Pay for trips"));
}

}  // namespace
}  // namespace pp::gateway
