#include "gateway/pages.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace pp::gateway {
namespace {

TEST_CASE("escape replaces html special characters") {
  CHECK(Escape("<script>O'Brien & \"Co\"</script>") ==
        "&lt;script&gt;O&#39;Brien &amp; &quot;Co&quot;&lt;/script&gt;");
  CHECK(Escape("Seònaid Nic a' Phì") == "Seònaid Nic a&#39; Phì");
  CHECK(Escape("").empty());
}

TEST_CASE("every form page has the csrf field") {
  PageContext context{"token-123", "Aoife O'Neill"};
  FormState form;
  LinkCodeView code_view;
  code_view.channels.emplace_back().set_channel("email");
  const std::string pages[] = {
      RegisterPage(context, form),
      SignInPage(context, form, false),
      ChangePasswordPage(context, form, false),
      LinkPage(context, form),
      LinkCodePage(context, code_view),
      PaymentHandoffPage(context, "https://pay.example.test", "t"),
  };
  for (const std::string& page : pages) {
    CHECK(absl::StrContains(page, "name=\"csrf_token\" value=\"token-123\""));
    CHECK(absl::StrContains(page, "<html lang=\"en\">"));
    CHECK(absl::StrContains(page, "<meta charset=\"utf-8\">"));
  }
}

TEST_CASE("header escapes parent name") {
  std::string page = WelcomePage(PageContext{"t", "<b>O'Neill"});
  CHECK(absl::StrContains(page, "&lt;b&gt;O&#39;Neill"));
  CHECK_FALSE(absl::StrContains(page, "<b>"));
}

TEST_CASE("signed-in header links account and payments") {
  std::string page = WelcomePage(PageContext{"t", "Karen Taylor"});
  CHECK(absl::StrContains(page, "<a href=\"/account\">Your account</a>"));
  CHECK(absl::StrContains(page, "<a href=\"/services/payments/receipts\">Payments</a>"));
  CHECK_FALSE(absl::StrContains(WelcomePage(PageContext{"t", ""}), "/account"));
}

TEST_CASE("password inputs never carry a value") {
  FormState form;
  form.values["password"] = "hunter2";
  form.values["username"] = "a@example.com";
  std::string page = SignInPage(PageContext{"t", ""}, form, false);
  CHECK_FALSE(absl::StrContains(page, "hunter2"));
  CHECK(absl::StrContains(page, "value=\"a@example.com\""));
}

TEST_CASE("labels are tied to inputs") {
  std::string html = TextInput(FormState{}, "email", "Email address", "email");
  CHECK(absl::StrContains(html, "<label for=\"email\">"));
  CHECK(absl::StrContains(html, "id=\"email\" name=\"email\""));
}

TEST_CASE("error summary is a top alert") {
  FormState form;
  form.error = "The postcode <is> wrong";
  std::string html = FormStart(PageContext{"t", ""}, "/register", form);
  CHECK(absl::StartsWith(html, "<div class=\"error-summary\" role=\"alert\""));
  CHECK(absl::StrContains(html, "The postcode &lt;is&gt; wrong"));
}

TEST_CASE("date inputs split one value") {
  FormState form;
  form.values["dob"] = "2015-03-27";
  std::string html = DateInputs(form, "dob", "Date of birth");
  CHECK(absl::StrContains(html, "name=\"dob-day\" size=\"2\" value=\"27\""));
  CHECK(absl::StrContains(html, "name=\"dob-month\" size=\"2\" value=\"03\""));
  CHECK(absl::StrContains(html, "name=\"dob-year\" size=\"4\" value=\"2015\""));
}

TEST_CASE("event times show UK time") {
  calendar::Event all_day;
  all_day.set_all_day(true);
  all_day.set_start("2026-12-21");
  all_day.set_end("2027-01-06");
  CHECK(EventWhen(all_day) == "Monday 21 December 2026 to Tuesday 5 January 2027");

  all_day.set_end("2026-12-22");
  CHECK(EventWhen(all_day) == "Monday 21 December 2026");

  calendar::Event summer;
  summer.set_start("2027-06-10T14:30:00Z");
  summer.set_end("2027-06-10T15:30:00Z");
  // 14:30 UTC is 15:30 in British Summer Time.
  CHECK(EventWhen(summer) == "Thursday 10 June 2027, 15:30 to 16:30");

  calendar::Event broken;
  broken.set_start("soon");
  CHECK(EventWhen(broken) == "soon");
}

TEST_CASE("home page shows request step") {
  HomeView view;
  link::ParentLinkRequest pending;
  pending.set_child_forename("Noah");
  pending.set_school_name("Tayside Primary School");
  pending.set_state(link::PENDING);
  pending.set_step(3);
  pending.set_expected_by("2026-03-11");
  view.requests.push_back(pending);
  link::ParentLinkRequest rejected;
  rejected.set_child_forename("Rab");
  rejected.set_school_name("Balhousie High School");
  rejected.set_state(link::REJECTED);
  view.requests.push_back(rejected);

  std::string page = HomePage(PageContext{}, view);
  CHECK(absl::StrContains(page, "step 3 of 3, expected by 2026-03-11"));
  CHECK(absl::StrContains(page, "Rab at Balhousie High School: Not approved by the school</li>"));
}

}  // namespace
}  // namespace pp::gateway
