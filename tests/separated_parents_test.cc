// Separated parents across the real binaries: the mother and the father of
// one pupil, on the roster at different postcodes, each register, link to
// the child and are approved, and each sees the child on their home page. A
// grandparent without parental responsibility who asks is refused with the
// generic message, and the school sees the near miss with its reason.
#include <catch2/catch.hpp>
#include <string>

#include "suite.h"
#include "web_session.h"

namespace {

using pp::e2e::Capture;
using pp::e2e::FindInOutbox;
using pp::e2e::Page;
using pp::e2e::WebSession;

constexpr char kSchool[] = "5300011";

// Emily Anderson (pupil 0700000085) in the demo roster: her mother Claire
// Mac an t-Saoir lives at PH10 5NH with her, her father Stuart Anderson at
// PH10 1TU, and her grandmother Nadia McLeod, at PH10 9PA, has no parental
// responsibility.
struct Person {
  const char* forename;
  const char* surname;
  const char* postcode;
  // The account's own address, which the school does not hold.
  const char* account_email;
  // The address the school holds, where the security code goes.
  const char* school_email;
};
constexpr Person kMother = {"Claire", "Mac an t-Saoir", "PH10 5NH", "claire@example.net",
                            "claire.macantsaoir18@example.net"};
constexpr Person kFather = {"Stuart", "Anderson", "PH10 1TU", "stuart@example.net",
                            "stuart.anderson82@example.org"};
constexpr Person kGrandmother = {"Nadia", "McLeod", "PH10 9PA", "nadia@example.net",
                                 "nadia.mcleod42@example.org"};

// Registers the person, signs in with the emailed one-time password and
// replaces it, leaving `browser` signed in.
void RegisterAndSignIn(pp::e2e::Suite& suite, WebSession& browser, const Person& person) {
  INFO(person.forename);
  REQUIRE(browser.Get("/register").status == 200);
  Page registered = browser.Post("/register", {{"forename", person.forename},
                                               {"surname", person.surname},
                                               {"email", person.account_email},
                                               {"postcode", person.postcode},
                                               {"gender", "prefer-not-to-say"},
                                               {"date_of_birth", "1970-05-17"}});
  REQUIRE(registered.status == 303);
  std::string password =
      FindInOutbox(suite.OutboxDir(), person.account_email, "One-time password: (\\S+)");
  REQUIRE_FALSE(password.empty());
  REQUIRE(browser.Get("/sign-in").status == 200);
  REQUIRE(browser.Post("/sign-in", {{"username", person.account_email}, {"password", password}})
              .status == 303);
  REQUIRE(browser.Get("/change-password").status == 200);
  REQUIRE(browser
              .Post("/change-password",
                    {{"current_password", password}, {"new_password", "a long new passphrase"}})
              .status == 303);
}

// Emily's details as each parent might type them: the roster's spelling
// need not be copied exactly.
std::map<std::string, std::string> EmilysDetails() {
  return {{"child_forename", "emily"},
          {"child_surname", "ANDERSON"},
          {"child_date_of_birth", "2020-01-29"},
          {"stage", "p4"},
          {"postcode", "ph10 5nh"}};
}

// Runs steps 1 and 2 of linking to Emily with the code sent by email.
void LinkToEmily(pp::e2e::Suite& suite, WebSession& browser, const Person& person) {
  INFO(person.forename);
  REQUIRE(browser.Get("/link").status == 200);
  Page matched = browser.Post("/link", EmilysDetails());
  REQUIRE(matched.status == 303);
  REQUIRE(matched.location == "/link/code");
  REQUIRE(browser.Get("/link/code").status == 200);
  Page sent = browser.Post("/link/code", {{"channel", "email"}});
  REQUIRE(sent.status == 303);
  REQUIRE(browser.Get(sent.location).status == 200);
  std::string code =
      FindInOutbox(suite.OutboxDir(), person.school_email, "Security code: ([0-9]{6})");
  REQUIRE(code.size() == 6);
  REQUIRE(browser.Post("/link/code", {{"code", code}}).status == 303);
}

// Returns the id of the pending request whose line names `contact`.
std::string PendingRequestOf(const pp::e2e::Suite& suite, const std::string& token,
                             const std::string& contact) {
  pp::e2e::CommandResult pending =
      suite.Schoolctl({"--school", kSchool, "requests", "--state", "pending"}, token);
  REQUIRE(pending.exit_code == 0);
  return Capture(pending.output,
                 "(?:^|\\n)([^\\t\\n]+)\\tpending\\t[^\\n]*contact [^\\n]*" + contact + "[^\\n]*");
}

}  // namespace

TEST_CASE("separated parents link, grandparent refused") {
  pp::e2e::Suite suite;
  INFO("service logs:\n" << suite.Logs());

  pp::e2e::CommandResult issued =
      suite.Schoolctl({"admin", "issue-token", "--school", kSchool, "--operator_token_file",
                       suite.DataDir("identity") + "/operator-token"});
  REQUIRE(issued.exit_code == 0);
  std::string token = issued.output.substr(0, issued.output.find('\n'));
  pp::e2e::CommandResult synced =
      suite.Schoolctl({"--school", kSchool, "sync-roster", std::string(PP_DEMO_DIR) + "/pupils.csv",
                       std::string(PP_DEMO_DIR) + "/contacts.csv"},
                      token);
  INFO("sync-roster printed:\n" << synced.output);
  REQUIRE(synced.exit_code == 0);

  // The office address for reminders about waiting requests.
  pp::e2e::CommandResult contact = suite.Schoolctl(
      {"--school", kSchool, "set-contact", "--email", "office.5300011@example.org"}, token);
  CHECK(contact.exit_code == 0);
  CHECK(contact.output == "school contact: office.5300011@example.org\n");
  CHECK(
      suite.Schoolctl({"--school", kSchool, "set-contact", "--email", "office"}, token).exit_code ==
      1);
  // A forgotten --email is a usage error, not a removal of the address.
  CHECK(suite.Schoolctl({"--school", kSchool, "set-contact"}, token).exit_code == 2);
  // So is a SEED code that is not 7 digits.
  CHECK(suite.Schoolctl({"--school", "123", "requests"}, token).exit_code == 2);

  // Each parent registers at their own address and links separately.
  WebSession mother("127.0.0.1", suite.HttpPort());
  WebSession father("127.0.0.1", suite.HttpPort());
  RegisterAndSignIn(suite, mother, kMother);
  RegisterAndSignIn(suite, father, kFather);
  LinkToEmily(suite, mother, kMother);
  LinkToEmily(suite, father, kFather);

  // The school sees two requests for Emily and approves both.
  std::string mothers_request = PendingRequestOf(suite, token, "Claire Mac an t-Saoir");
  std::string fathers_request = PendingRequestOf(suite, token, "Stuart Anderson");
  REQUIRE_FALSE(mothers_request.empty());
  REQUIRE_FALSE(fathers_request.empty());
  CHECK(mothers_request != fathers_request);
  for (const std::string& request_id : {mothers_request, fathers_request}) {
    pp::e2e::CommandResult approved =
        suite.Schoolctl({"--school", kSchool, "decide", request_id, "approve"}, token);
    INFO("decide printed:\n" << approved.output);
    CHECK(approved.exit_code == 0);
  }

  // Each parent's home page shows Emily, under a link of their own.
  std::string child_pages[2];
  WebSession* parents[2] = {&mother, &father};
  for (int i = 0; i < 2; ++i) {
    INFO("parent " << i);
    Page home = parents[i]->Get("/");
    REQUIRE(home.status == 200);
    CHECK(home.body.find("Emily") != std::string::npos);
    child_pages[i] = Capture(home.body, "(/children/[A-Za-z0-9_-]+)");
    REQUIRE_FALSE(child_pages[i].empty());
    CHECK(parents[i]->Get(child_pages[i]).status == 200);
  }
  CHECK(child_pages[0] != child_pages[1]);
  // Neither can open the other's link.
  CHECK(mother.Get(child_pages[1]).status == 404);

  // The grandmother matches a contact of Emily's, but without parental
  // responsibility: she reads the same message as any mismatch.
  WebSession grandmother("127.0.0.1", suite.HttpPort());
  RegisterAndSignIn(suite, grandmother, kGrandmother);
  REQUIRE(grandmother.Get("/link").status == 200);
  Page refused = grandmother.Post("/link", EmilysDetails());
  CHECK(refused.status == 422);
  CHECK(refused.body.find("did not match the school") != std::string::npos);
  WebSession stranger("127.0.0.1", suite.HttpPort());
  RegisterAndSignIn(suite, stranger,
                    {"Anne", "Stranger", "PH10 5NH", "anne@example.net", "none@example.org"});
  REQUIRE(stranger.Get("/link").status == 200);
  Page mismatch = stranger.Post("/link", EmilysDetails());
  CHECK(mismatch.status == refused.status);
  CHECK(Capture(mismatch.body, "(The details you entered[^<]*)") ==
        Capture(refused.body, "(The details you entered[^<]*)"));

  // The school sees the grandmother's near miss and why; the stranger, who
  // matched no contact, leaves none.
  pp::e2e::CommandResult near_misses = suite.Schoolctl({"--school", kSchool, "near-misses"}, token);
  INFO("near-misses printed:\n" << near_misses.output);
  REQUIRE(near_misses.exit_code == 0);
  CHECK(near_misses.output.find("pupil 0700000085 Emily Anderson") != std::string::npos);
  CHECK(near_misses.output.find("contact C00000109 Nadia McLeod") != std::string::npos);
  CHECK(near_misses.output.find("\tno_parental_responsibility\n") != std::string::npos);
  CHECK(near_misses.output.find("Stranger") == std::string::npos);

  CHECK(suite.StopAll().empty());
}
