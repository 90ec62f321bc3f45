#include "gateway/pages.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

int Count(const std::string& text, const std::string& part) {
  int count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("templates escape hostile names") {
  const std::string hostile[] = {"<script>alert(1)</script>", "O'Neill & \"Sons\""};
  const std::string escaped[] = {"&lt;script&gt;alert(1)&lt;/script&gt;",
                                 "O&apos;Neill &amp; &quot;Sons&quot;"};
  for (int i = 0; i < 2; ++i) {
    HomeView view;
    link::Child& child = view.children.emplace_back();
    child.set_child_id("c1");
    child.set_forename(hostile[i]);
    child.set_surname(hostile[i]);
    child.set_school_name(hostile[i]);
    FormState form;
    form.values["forename"] = hostile[i];
    form.AddError("forename", hostile[i]);
    const std::string pages[] = {HomePage(TestContext("t", hostile[i]), view),
                                 RegisterPage(TestContext(), form)};
    for (const std::string& page : pages) {
      CHECK(absl::StrContains(page, escaped[i]));
      CHECK_FALSE(absl::StrContains(page, hostile[i]));
    }
  }
}

TEST_CASE("every form page has the csrf field") {
  PageContext context = TestContext("token-123", "Aoife O'Neill");
  FormState form;
  LinkCodeView code_view;
  code_view.channels.emplace_back().set_channel("email");
  link::Child child;
  child.set_child_id("c1");
  const std::string pages[] = {
      RegisterPage(context, form),
      SignInPage(context, form, false),
      ChangePasswordPage(context, form, false),
      ForgotUsernamePage(context, form),
      ForgotPasswordPage(context, form),
      LinkPage(context, form),
      LinkCodePage(context, code_view),
      UnlinkPage(context, child, form),
      AccountPage(context, AccountView{}),
  };
  for (const std::string& page : pages) {
    // The page's own form and the sign-out form in the header.
    CHECK(Count(page, "name=\"csrf_token\" value=\"token-123\"") >= 2);
    CHECK(absl::StartsWith(page, "<!DOCTYPE html>\n<html lang=\"en\">"));
    CHECK(absl::StrContains(page, "<meta charset=\"utf-8\">"));
    CHECK_FALSE(absl::StrContains(page, "<script>"));
    CHECK_FALSE(absl::StrContains(page, "style="));
  }
}

TEST_CASE("layout links hashed assets") {
  std::string page = WelcomePage(TestContext());
  for (const char* name : {"design-system.css", "site.css", "design-system.js", "site.js"}) {
    std::string url = TestAssets().Url(name);
    REQUIRE_FALSE(url.empty());
    CHECK(absl::StrContains(page, absl::StrCat("\"", url, "\"")));
  }
  CHECK(absl::StrContains(page, "class=\"ds_site-header\""));
  CHECK(absl::StrContains(page, "class=\"ds_phase-banner\""));
  CHECK(absl::StrContains(page, "class=\"ds_site-footer\""));
  CHECK(absl::StrContains(page, "href=\"#main-content\""));
}

TEST_CASE("signed-in header links account and payments") {
  std::string page = WelcomePage(TestContext("t", "Karen Taylor"));
  CHECK(absl::StrContains(page, "<a href=\"/account\">Your account</a>"));
  CHECK(absl::StrContains(page, "<a href=\"/services/payments/receipts\">Payments</a>"));
  CHECK(absl::StrContains(page, "Sign out</button>"));
  std::string signed_out = WelcomePage(TestContext());
  CHECK_FALSE(absl::StrContains(signed_out, "/account"));
  CHECK_FALSE(absl::StrContains(signed_out, "Sign out"));
}

TEST_CASE("navigation marks the current page") {
  PageContext context = TestContext("t", "Karen Taylor");
  context.path = "/services/payments/receipts";
  std::string page = WelcomePage(context);
  CHECK(absl::StrContains(
      page, "<a href=\"/services/payments/receipts\" aria-current=\"page\">Payments</a>"));
  CHECK(absl::StrContains(page, "<a href=\"/\">Home</a>"));
  CHECK(absl::StrContains(page, "<a href=\"/account\">Your account</a>"));
  CHECK(Count(page, "aria-current") == 1);

  // A page outside the navigation, such as a child's page, marks none.
  context.path = "/children/child-1";
  CHECK(Count(WelcomePage(context), "aria-current") == 0);

  PageContext signed_out = TestContext();
  signed_out.path = "/sign-in";
  std::string sign_in = WelcomePage(signed_out);
  CHECK(absl::StrContains(sign_in, "<a href=\"/sign-in\" aria-current=\"page\">Sign in</a>"));
  CHECK(absl::StrContains(sign_in, "<a href=\"/register\">Create an account</a>"));
  CHECK(Count(sign_in, "aria-current") == 1);
}

TEST_CASE("layout declares an empty icon") {
  // Without it, browsers ask for /favicon.ico on every page and get a 404.
  CHECK(absl::StrContains(WelcomePage(TestContext()), "<link rel=\"icon\" href=\"data:,\">"));
}

TEST_CASE("password inputs never carry a value") {
  FormState form;
  form.values["password"] = "hunter2";
  form.values["username"] = "a@example.com";
  std::string page = SignInPage(TestContext(), form, false);
  CHECK_FALSE(absl::StrContains(page, "hunter2"));
  CHECK(absl::StrContains(page, "value=\"a@example.com\""));
  CHECK(absl::StrContains(page, "autocomplete=\"current-password\""));
  CHECK(absl::StrContains(page, "autocomplete=\"username\""));
}

TEST_CASE("labels are tied to inputs") {
  std::string page = RegisterPage(TestContext(), FormState{});
  for (const char* id : {"forename", "surname", "email", "postcode", "gender", "date_of_birth-day",
                         "date_of_birth-month", "date_of_birth-year"}) {
    CHECK(absl::StrContains(page, absl::StrCat("<label class=\"ds_label\" for=\"", id, "\">")));
    CHECK(absl::StrContains(page, absl::StrCat("id=\"", id, "\" name=\"", id, "\"")));
  }
  for (const char* autocomplete : {"given-name", "family-name", "email", "postal-code", "bday-day",
                                   "bday-month", "bday-year"}) {
    CHECK(absl::StrContains(page, absl::StrCat("autocomplete=\"", autocomplete, "\"")));
  }
}

TEST_CASE("error summary links each field") {
  FormState form;
  form.values["date_of_birth-day"] = "31";
  form.AddError("postcode", "Enter your home postcode, such as EH1 1YZ");
  form.AddError("date_of_birth", "Enter a real date");
  std::string page = RegisterPage(TestContext(), form);
  CHECK(absl::StrContains(page, "<title>Error: Create an account - Parents Portal</title>"));
  size_t summary = page.find("class=\"ds_error-summary\"");
  size_t form_start = page.find("<form method=\"post\" action=\"/register\"");
  REQUIRE(summary != std::string::npos);
  CHECK(summary < form_start);
  CHECK(absl::StrContains(page, "<a href=\"#postcode\">Enter your home postcode, such as EH1 1YZ"));
  CHECK(absl::StrContains(page, "<a href=\"#date_of_birth-day\">Enter a real date</a>"));
  CHECK(absl::StrContains(page, "id=\"postcode-error\""));
  CHECK(absl::StrContains(page, "aria-describedby=\"postcode-hint postcode-error\""));
  CHECK(absl::StrContains(page, "value=\"31\""));
}

TEST_CASE("date inputs are invalid with an error") {
  FormState form;
  form.values["date_of_birth-day"] = "31";
  form.values["date_of_birth-month"] = "2";
  form.values["date_of_birth-year"] = "2015";
  form.AddError("date_of_birth", "Enter a real date");
  std::string page = RegisterPage(TestContext(), form);
  for (const char* part : {"day", "month", "year"}) {
    INFO(part);
    std::string id = absl::StrCat("date_of_birth-", part);
    size_t input = page.find(absl::StrCat("id=\"", id, "\" name=\"", id, "\""));
    REQUIRE(input != std::string::npos);
    std::string tag = page.substr(input, page.find('>', input) - input);
    CHECK(absl::StrContains(tag, "aria-invalid=\"true\""));
  }

  // Without an error the inputs carry no mark.
  std::string clean = RegisterPage(TestContext(), FormState{});
  CHECK_FALSE(absl::StrContains(clean, "aria-invalid"));
}

TEST_CASE("service error names its field") {
  FormState form;
  form.AddServiceError(
      "postcode is not a UK postcode, such as EH1 1YZ or SW1A 2AA",
      {{"email", "Email address", "email"}, {"postcode", "Home postcode", "postcode"}}, "email");
  REQUIRE(form.errors.size() == 1);
  CHECK(form.errors[0].field == "postcode");
  CHECK(form.errors[0].message ==
        "Home postcode is not a UK postcode, such as EH1 1YZ or SW1A 2AA");

  FormState other;
  other.AddServiceError("Something unexpected", {{"postcode", "Home postcode", "postcode"}},
                        "email");
  CHECK(other.errors[0].field == "email");
}

TEST_CASE("date inputs split one value") {
  FormState form;
  form.values["child_date_of_birth"] = "2015-03-27";
  std::string page = LinkPage(TestContext(), form);
  CHECK(absl::StrContains(page, "name=\"child_date_of_birth-day\" value=\"27\""));
  CHECK(absl::StrContains(page, "name=\"child_date_of_birth-month\" value=\"03\""));
  CHECK(absl::StrContains(page, "name=\"child_date_of_birth-year\" value=\"2015\""));
  CHECK(absl::StrContains(page, "For example, 23 4 2015"));
}

TEST_CASE("link page explains mismatches") {
  std::string page = LinkPage(TestContext(), FormState{});
  CHECK(absl::StrContains(page, "If your details do not match"));
  CHECK(absl::StrContains(page, "contact the school office"));
}

TEST_CASE("code page offers resend") {
  LinkCodeView view;
  view.channels.emplace_back().set_channel("email");
  view.channels.back().set_masked_destination("k***@example.net");
  view.channels.emplace_back().set_channel("sms");
  view.channels.back().set_masked_destination("07*** ***001");
  view.sent_channel = "sms";
  std::string page = LinkCodePage(TestContext(), view);
  CHECK(absl::StrContains(page, "We have sent a security code to 07*** ***001"));
  CHECK(absl::StrContains(page, "autocomplete=\"one-time-code\""));
  CHECK(absl::StrContains(page, "Not received a code?"));
  CHECK(absl::StrContains(page, "value=\"email\""));
  CHECK(absl::StrContains(page, "Text message to 07*** ***001"));
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

  std::string page = HomePage(TestContext(), view);
  CHECK(absl::StrContains(page, "<h3>Noah at Tayside Primary School</h3>"));
  CHECK(absl::StrContains(page, "Waiting for the school to confirm (step 3 of 3)</dd>"));
  CHECK(absl::StrContains(page, "Wednesday 11 March 2026</dd>"));
  CHECK(absl::StrContains(page, "<h3>Rab at Balhousie High School</h3>"));
  CHECK(
      absl::StrContains(page, "Not approved. If you think this is wrong, contact the school</dd>"));
  // Only the pending request has a date to expect.
  CHECK(absl::StrContains(page, "Expected by"));
  CHECK(page.find("Expected by") == page.rfind("Expected by"));
  CHECK_FALSE(absl::StrContains(page, "Not known"));
}

TEST_CASE("home page clips long summaries") {
  HomeView view;
  link::Child& noah = view.children.emplace_back();
  noah.set_child_id("c1");
  noah.set_forename("Noah");
  noah.set_school_name("Tayside Primary School");
  SchoolEvents& tayside = view.schools.emplace_back();
  tayside.school_name = "Tayside Primary School";
  calendar::Event flood;
  flood.set_all_day(true);
  flood.set_start("2026-10-19");
  flood.set_end("2026-10-20");
  flood.set_summary(std::string(200000, 'x'));
  tayside.events.push_back(flood);

  std::string page = HomePage(TestContext(), view);
  CHECK(page.size() < 50000);
  CHECK(absl::StrContains(page, std::string(kMaxSummaryCharacters, 'x') + "\u2026"));
  CHECK_FALSE(absl::StrContains(page, std::string(kMaxSummaryCharacters + 1, 'x')));
}

TEST_CASE("home page lists each school's events") {
  HomeView view;
  link::Child& noah = view.children.emplace_back();
  noah.set_child_id("c1");
  noah.set_forename("Noah");
  noah.set_surname("McDonald");
  noah.set_stage("P4");
  noah.set_school_name("Tayside Primary School");
  link::ParentLinkRequest pending;
  pending.set_child_forename("Rab");
  pending.set_school_name("Balhousie High School");
  pending.set_state(link::PENDING);
  pending.set_step(3);
  pending.set_expected_by("2026-03-11");
  view.requests.push_back(pending);

  SchoolEvents& tayside = view.schools.emplace_back();
  tayside.school_name = "Tayside Primary School";
  calendar::Event holiday;
  holiday.set_all_day(true);
  holiday.set_start("2026-10-19");
  holiday.set_end("2026-10-24");
  holiday.set_summary("October week");
  tayside.events.push_back(holiday);
  calendar::Event fair;
  fair.set_start("2026-10-14T15:30:00+00:00");
  fair.set_end("2026-10-14T17:00:00+00:00");
  fair.set_summary("Book fair");
  fair.set_location("School hall");
  tayside.events.push_back(fair);
  SchoolEvents& balhousie = view.schools.emplace_back();
  balhousie.school_name = "Balhousie High School";
  balhousie.unavailable = true;

  std::string page = HomePage(TestContext(), view);
  CHECK(absl::StrContains(page, "<a href=\"/children/c1\">Noah McDonald</a>"));
  CHECK(absl::StrContains(page, "<p>P4, Tayside Primary School</p>"));
  CHECK(absl::StrContains(page, "<h3>Rab at Balhousie High School</h3>"));
  size_t tayside_at = page.find("<h2>Coming up at Tayside Primary School</h2>");
  size_t balhousie_at = page.find("<h2>Coming up at Balhousie High School</h2>");
  REQUIRE(tayside_at != std::string::npos);
  REQUIRE(balhousie_at != std::string::npos);
  CHECK(tayside_at < balhousie_at);
  size_t holiday_at = page.find("October week", tayside_at);
  size_t fair_at = page.find("Book fair", tayside_at);
  CHECK(holiday_at < fair_at);
  CHECK(fair_at < balhousie_at);
  CHECK(absl::StrContains(page, "Monday 19 October 2026 to Friday 23 October 2026"));
  CHECK(absl::StrContains(page, "Wednesday 14 October 2026, 16:30 to 18:00"));
  CHECK(page.find("School hall", tayside_at) < balhousie_at);
  CHECK(page.find("cannot be shown right now", balhousie_at) != std::string::npos);
  CHECK(page.find("cannot be shown right now") > balhousie_at);
}

TEST_CASE("month view fills edge weeks") {
  MonthView view;
  view.child.set_child_id("c1");
  view.child.set_forename("Noah");
  // February 2027 starts on a Monday and ends on a Sunday: no edge cells.
  // October 2026 starts on a Thursday and ends on a Saturday.
  view.month = absl::CivilMonth(2026, 10);
  view.today = absl::CivilDay(2026, 10, 15);
  calendar::Event before;
  before.set_all_day(true);
  before.set_start("2026-09-29");
  before.set_summary("September inset day");
  view.events.push_back(before);
  std::string page = MonthPage(TestContext(), view);

  CHECK(Count(page, "<tr>\n") == 5);
  CHECK(Count(page, "class=\"pp-month__outside\"") == 3 + 1);
  CHECK(absl::StrContains(page,
                          "<td class=\"pp-month__outside\"><time datetime=\"2026-09-28\">"
                          "<span class=\"visually-hidden\">September 2026 </span>28"));
  CHECK(absl::StrContains(page, "<time datetime=\"2026-11-01\">"));
  CHECK(absl::StrContains(page, "September inset day"));
  CHECK(Count(page, "aria-current=\"date\"") == 1);

  view.month = absl::CivilMonth(2027, 2);
  std::string february = MonthPage(TestContext(), view);
  CHECK(Count(february, "class=\"pp-month__outside\"") == 0);
  CHECK(Count(february, "<tr>\n") == 4);
}

TEST_CASE("template loading rejects a missing partial") {
  std::filesystem::path folder =
      std::filesystem::temp_directory_path() / absl::StrCat("pp-templates-", ::getpid());
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "page.mustache") << "<p>{{> _missing}}</p>";
  absl::StatusOr<std::unique_ptr<Templates>> loaded = Templates::Load(folder.string());
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(loaded.status().message(), "_missing"));

  std::ofstream(folder / "_missing.mustache") << "{{name}}";
  loaded = Templates::Load(folder.string());
  REQUIRE(loaded.ok());
  TemplateData data;
  data.set("name", "<b>");
  CHECK(*(*loaded)->Render("page", data) == "<p>&lt;b&gt;</p>");
  std::filesystem::remove_all(folder);

  CHECK(Templates::Load("/nonexistent-folder").status().code() == absl::StatusCode::kNotFound);
}

// kainjow's own partial lookup: the reference that expanded templates must
// match byte for byte.
class SourcePartials : public kainjow::mustache::context<std::string> {
 public:
  SourcePartials(const TemplateData* data, const std::map<std::string, TemplateData>* partials)
      : kainjow::mustache::context<std::string>(data), partials_(partials) {}
  const TemplateData* get_partial(const std::string& name) const override {
    auto it = partials_->find(name);
    return it == partials_->end() ? nullptr : &it->second;
  }

 private:
  const std::map<std::string, TemplateData>* partials_;
};

TEST_CASE("expanded partials render as kainjow's") {
  std::filesystem::path folder =
      std::filesystem::temp_directory_path() / absl::StrCat("pp-partials-", ::getpid());
  std::filesystem::create_directories(folder);
  const std::map<std::string, std::string> sources = {
      {"page", "<ul>\n{{#items}}\n  {{> _item}}\n{{/items}}\n</ul>\n{{> _footer}}"},
      {"_item", "<li>{{name}}{{#note}} ({{> _note}}){{/note}}</li>\n"},
      {"_note", "{{note}}"},
      {"_footer", "{{^items}}\n<p>None</p>\n{{/items}}\n<p>{{title}}</p>\n"},
  };
  std::map<std::string, TemplateData> partials;
  for (const auto& [name, source] : sources) {
    std::ofstream(folder / (name + ".mustache")) << source;
    partials.emplace(name, TemplateData(source));
  }
  absl::StatusOr<std::unique_ptr<Templates>> loaded = Templates::Load(folder.string());
  REQUIRE(loaded.ok());

  TemplateList items;
  TemplateData first;
  first.set("name", "Sports day");
  first.set("note", "bring <water>");
  items.push_back(first);
  TemplateData second;
  second.set("name", "Inset day");
  items.push_back(second);
  TemplateData full;
  full.set("items", items);
  full.set("title", "Coming up");
  TemplateData empty;
  empty.set("title", "Nothing yet");
  for (const TemplateData& data : {full, empty}) {
    kainjow::mustache::mustache reference(sources.at("page"));
    SourcePartials context(&data, &partials);
    std::string expected = reference.render(context);
    REQUIRE(reference.is_valid());
    absl::StatusOr<std::string> rendered = (*loaded)->Render("page", data);
    REQUIRE(rendered.ok());
    CHECK(*rendered == expected);
  }
  std::filesystem::remove_all(folder);
}

TEST_CASE("template loading rejects a partial that includes itself") {
  std::filesystem::path folder =
      std::filesystem::temp_directory_path() / absl::StrCat("pp-loop-", ::getpid());
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "page.mustache") << "{{> _a}}";
  std::ofstream(folder / "_a.mustache") << "a{{> _b}}";
  std::ofstream(folder / "_b.mustache") << "b{{> _a}}";
  absl::StatusOr<std::unique_ptr<Templates>> loaded = Templates::Load(folder.string());
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(loaded.status().message(), "include itself"));
  std::filesystem::remove_all(folder);
}

TEST_CASE("asset names carry content hash") {
  std::filesystem::path folder =
      std::filesystem::temp_directory_path() / absl::StrCat("pp-assets-", ::getpid());
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "site.css") << "body{margin:0}";
  absl::StatusOr<std::unique_ptr<Assets>> first = Assets::Load(folder.string());
  REQUIRE(first.ok());
  std::string url = (*first)->Url("site.css");
  CHECK(absl::StartsWith(url, "/assets/site."));
  CHECK(absl::EndsWith(url, ".css"));
  CHECK(url.size() == std::string("/assets/site.").size() + 16 + 4);
  REQUIRE((*first)->Find(url.substr(8)) != nullptr);
  CHECK((*first)->Find(url.substr(8))->content_type == "text/css; charset=utf-8");
  CHECK((*first)->Find("site.css") == nullptr);

  std::ofstream(folder / "site.css") << "body{margin:1px}";
  absl::StatusOr<std::unique_ptr<Assets>> second = Assets::Load(folder.string());
  REQUIRE(second.ok());
  CHECK((*second)->Url("site.css") != url);

  std::ofstream(folder / "notes.txt") << "x";
  CHECK(Assets::Load(folder.string()).status().code() == absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace pp::gateway
