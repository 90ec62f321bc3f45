// The account page's messages and message choices, and removing a link to
// a child, through the real gateway over fake services.
#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

constexpr const char* kSession = kTestSession;

struct Fakes : SignedInFakes {
  Fakes() {
    link::Child* child = links.links.add_children();
    child->set_child_id("child-1");
    child->set_forename("Eilidh");
    child->set_surname("O'Neill");
    child->set_school_name("Ashgrove Primary");

    notification::KindPreference* approved = notifications.preferences.add_kinds();
    approved->set_kind(notification::LINK_APPROVED);
    approved->set_email(true);
    notification::KindPreference* rejected = notifications.preferences.add_kinds();
    rejected->set_kind(notification::LINK_REJECTED);
    rejected->set_email(true);
    rejected->set_sms(true);
  }
};

httplib::Headers Browser() {
  return {{"Cookie", absl::StrCat("pp_csrf=", kTestCsrf, "; pp_session=", kSession)}};
}

// Returns how many summary-list items `html` contains.
int CountItems(const std::string& html) {
  int count = 0;
  const std::string item = "class=\"ds_summary-list__item\"";
  for (size_t at = html.find(item); at != std::string::npos; at = html.find(item, at + 1)) {
    ++count;
  }
  return count;
}

httplib::Params Form(httplib::Params params) {
  params.emplace("csrf_token", TestCsrfField(kSession));
  return params;
}

TEST_CASE("account page lists messages") {
  Fakes fakes;
  notification::Message* sent = fakes.notifications.messages.add_messages();
  sent->set_kind(notification::SECURITY_CODE);
  sent->set_channel(notification::SMS);
  sent->set_state(notification::SENT);
  sent->set_created_at("2026-12-04T11:58:00Z");
  notification::Message* failed = fakes.notifications.messages.add_messages();
  failed->set_kind(notification::LINK_APPROVED);
  failed->set_channel(notification::EMAIL);
  failed->set_state(notification::FAILED);
  failed->set_created_at("2026-12-03T09:00:00Z");
  notification::Message* reset = fakes.notifications.messages.add_messages();
  reset->set_kind(notification::PASSWORD_RESET);
  reset->set_channel(notification::EMAIL);
  reset->set_state(notification::SENT);
  reset->set_created_at("2026-12-02T09:00:00Z");
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Get("/account", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body,
                          "Security code to link a child</dt><dd class=\"ds_summary-list__value\">"
                          "Text message, 4 December 2026, 11:58: Sent</dd>"));
  CHECK(absl::StrContains(result->body, "Email, 3 December 2026, 09:00: Could not be delivered"));
  CHECK(absl::StrContains(result->body, "One-time password to reset your password"));
  CHECK_FALSE(absl::StrContains(result->body, "Other message"));

  // The three messages are items of one list after the heading, so a
  // screen reader announces one list of three, not three lists of one.
  size_t heading = result->body.find("<h2>Messages we have sent you</h2>");
  REQUIRE(heading != std::string::npos);
  size_t list = result->body.find("<dl", heading);
  size_t list_end = result->body.find("</dl>", heading);
  REQUIRE(list != std::string::npos);
  REQUIRE(list_end != std::string::npos);
  std::string messages = result->body.substr(list, list_end - list);
  CHECK(CountItems(messages) == 3);
  CHECK(result->body.find("<dl", list + 1) > result->body.find("id=\"preferences\""));

  // The page is in the navigation and marked as the current one.
  CHECK(absl::StrContains(result->body,
                          "<a href=\"/account\" aria-current=\"page\">Your account</a>"));
}

TEST_CASE("account page without messages has no list") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Get("/account", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  size_t heading = result->body.find("<h2>Messages we have sent you</h2>");
  REQUIRE(heading != std::string::npos);
  CHECK(absl::StrContains(result->body, "We have not sent you any messages yet."));
  CHECK(result->body.find("<dl", heading) == std::string::npos);
}

TEST_CASE("account page shows choices") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Get("/account", Browser());
  REQUIRE(result);
  const std::string& body = result->body;
  CHECK(absl::StrContains(body, "<legend>Link to a child confirmed by the school</legend>"));
  CHECK(absl::StrContains(body, "name=\"kind-6\" id=\"kind-6-email\" value=\"email\" checked"));
  CHECK(absl::StrContains(body, "name=\"kind-7\" id=\"kind-7-both\" value=\"both\" checked"));
  CHECK_FALSE(absl::StrContains(body, "id=\"kind-8-email\" value=\"email\" checked"));
  CHECK(absl::StrContains(body, "always go to your email address"));
}

TEST_CASE("account page survives notification outage") {
  Fakes fakes;
  fakes.notifications.outage = absl::UnavailableError("down");
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Get("/account", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "Your messages cannot be shown right now"));
  CHECK(absl::StrContains(result->body, "Your message choices cannot be shown right now"));
  CHECK(absl::StrContains(result->body, "aoife@example.com"));
}

TEST_CASE("preferences form saves choices") {
  Fakes fakes;
  TestServer server(fakes.clients());

  // kind-1 is a one-time password, which always goes: a forged field for it
  // is ignored because the service does not offer it.
  httplib::Result result =
      server.Client().Post("/account/preferences", Browser(),
                           Form({{"kind-6", "sms"}, {"kind-7", "email"}, {"kind-1", "sms"}}));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/account?preferences=saved#preferences");
  const notification::Preferences& set = fakes.notifications.last_set;
  CHECK(set.account_id() == "account-1");
  REQUIRE(set.kinds_size() == 2);
  CHECK(set.kinds(0).kind() == notification::LINK_APPROVED);
  CHECK_FALSE(set.kinds(0).email());
  CHECK(set.kinds(0).sms());
  CHECK(set.kinds(1).kind() == notification::LINK_REJECTED);
  CHECK(set.kinds(1).email());
  CHECK_FALSE(set.kinds(1).sms());

  httplib::Result page = server.Client().Get("/account?preferences=saved", Browser());
  REQUIRE(page);
  CHECK(absl::StrContains(page->body, "Your message choices have been saved."));
}

TEST_CASE("preferences form rejects unknown choice") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result =
      server.Client().Post("/account/preferences", Browser(), Form({{"kind-6", "pigeon"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(fakes.notifications.last_set.kinds_size() == 0);

  httplib::Result forged =
      server.Client().Post("/account/preferences", Browser(), httplib::Params{{"kind-6", "sms"}});
  REQUIRE(forged);
  CHECK(forged->status == 403);
  CHECK(fakes.notifications.last_set.kinds_size() == 0);
}

TEST_CASE("unlink asks before removing") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result page = server.Client().Get("/children/child-1/unlink", Browser());
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(
      absl::StrContains(page->body, "<title>Remove Eilidh O&apos;Neill? - Parents Portal</title>"));
  CHECK(absl::StrContains(page->body, "action=\"/children/child-1/unlink\""));
  CHECK(absl::StrContains(page->body, "Yes, remove Eilidh</button>"));
  CHECK(absl::StrContains(page->body, "href=\"/children/child-1\""));
  // Showing the page changes nothing.
  CHECK(fakes.links.last_unlink.child_id().empty());

  httplib::Result child = server.Client().Get("/children/child-1", Browser());
  REQUIRE(child);
  CHECK(absl::StrContains(child->body, "href=\"/children/child-1/unlink\""));
}

TEST_CASE("unlink removes the child") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Post("/children/child-1/unlink", Browser(),
                                                Form({{"reason", "Wrong child"}}));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/?unlinked=1");
  CHECK(fakes.links.last_unlink.account_id() == "account-1");
  CHECK(fakes.links.last_unlink.child_id() == "child-1");
  CHECK(fakes.links.last_unlink.reason() == "Wrong child");

  httplib::Result home = server.Client().Get("/?unlinked=1", Browser());
  REQUIRE(home);
  CHECK(absl::StrContains(home->body, "The link has been removed."));
  CHECK_FALSE(absl::StrContains(home->body, "Eilidh"));
}

TEST_CASE("unlink of unknown child is 404") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result =
      server.Client().Post("/children/child-9/unlink", Browser(), Form({{"reason", ""}}));
  REQUIRE(result);
  CHECK(result->status == 404);
  CHECK(fakes.links.last_unlink.child_id().empty());

  httplib::Result page = server.Client().Get("/children/child-9/unlink", Browser());
  REQUIRE(page);
  CHECK(page->status == 404);
}

TEST_CASE("unlink needs the form token") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Post("/children/child-1/unlink", Browser(),
                                                httplib::Params{{"csrf_token", TestCsrfField()}});
  REQUIRE(result);
  CHECK(result->status == 403);
  CHECK(fakes.links.last_unlink.child_id().empty());
  CHECK(fakes.links.links.children_size() == 1);
}

TEST_CASE("unlink rejects a long reason") {
  Fakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Post("/children/child-1/unlink", Browser(),
                                                Form({{"reason", std::string(501, 'x')}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(absl::StrContains(result->body, "<a href=\"#reason\">Write the reason in 500 characters"));
  CHECK(fakes.links.last_unlink.child_id().empty());
}

}  // namespace
}  // namespace pp::gateway
