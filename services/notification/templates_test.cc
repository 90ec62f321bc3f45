#include "templates.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "testing/temp_dir.h"

namespace pp::notification {
namespace {

absl::TimeZone London() {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

Templates Load() {
  absl::StatusOr<Templates> templates = Templates::Load(PP_TEMPLATE_DIR, London());
  REQUIRE(templates.ok());
  return *templates;
}

}  // namespace

TEST_CASE("every kind has a template") {
  Templates templates = Load();
  for (int k = 1; k <= static_cast<int>(kLastMessageKind); ++k) {
    // The school reminder greets a school office, not a parent; it has its own test.
    if (k == static_cast<int>(MessageKind::kSchoolReminder)) continue;
    INFO(KindName(static_cast<MessageKind>(k)));
    std::map<std::string, std::string> data = {{"parent_name", "Ann"},
                                               {"child_name", "Noah"},
                                               {"school_name", "Hill Primary"},
                                               {"one_time_password", "ABCD"},
                                               {"username", "ann@example.com"},
                                               {"security_code", "123456"},
                                               {"expires_at", "2026-12-04T16:00:00Z"},
                                               {"changed_at", "2026-12-04T16:00:00Z"},
                                               {"due_at", "2026-12-04T16:00:00Z"},
                                               {"reminder", "Bring a coat."}};
    absl::StatusOr<RenderedMessage> rendered = templates.Render(static_cast<MessageKind>(k), data);
    REQUIRE(rendered.ok());
    CHECK_FALSE(rendered->subject.empty());
    CHECK(absl::StrContains(rendered->text, "Ann"));
    CHECK(absl::StrContains(rendered->html, "<bdi>Ann</bdi>"));
    CHECK_FALSE(rendered->sms.empty());
  }
}

TEST_CASE("school reminder names the request, not the family") {
  Templates templates = Load();
  // A parent's and a child's names are offered, and must not be used.
  absl::StatusOr<RenderedMessage> rendered =
      templates.Render(MessageKind::kSchoolReminder, {{"parent_name", "Ann Lee"},
                                                      {"child_name", "Noah"},
                                                      {"school_name", "Hill Primary"},
                                                      {"pupil_ref", "0700000001"},
                                                      {"request_id", "req-123"},
                                                      {"requested_at", "2026-03-04T10:00:00Z"},
                                                      {"decide_by_at", "2026-03-11T23:59:59Z"}});
  REQUIRE(rendered.ok());
  CHECK(absl::StrContains(rendered->subject, "Hill Primary"));
  for (const std::string* part : {&rendered->text, &rendered->html, &rendered->sms}) {
    INFO(*part);
    CHECK(absl::StrContains(*part, "0700000001"));
    CHECK(absl::StrContains(*part, "req-123"));
    CHECK(absl::StrContains(*part, "Wednesday 11 March 2026"));
    CHECK_FALSE(absl::StrContains(*part, "Ann"));
    CHECK_FALSE(absl::StrContains(*part, "Noah"));
  }
}

TEST_CASE("names in any script render whole") {
  Templates templates = Load();
  struct Case {
    const char* name;
    bool right_to_left;
  };
  const Case cases[] = {
      {"Siobhán Ó Ceallaigh", false}, {"Zoë Nguyễn", false},       {"王秀英", false},
      {"Александра Петрова", false},  {"محمد الأحمد", true},       {"שרה כהן", true},
      {"Ngozi Ọkọnkwọ", false},       {"O'Brien <script>", false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    absl::StatusOr<RenderedMessage> rendered = templates.Render(
        MessageKind::kUsernameReminder, {{"parent_name", c.name}, {"username", "a@b.example"}});
    REQUIRE(rendered.ok());
    std::string expected_text =
        c.right_to_left ? std::string("\u2068") + c.name + "\u2069" : std::string(c.name);
    CHECK(absl::StrContains(rendered->text, "Hello " + expected_text + ","));
  }
  absl::StatusOr<RenderedMessage> escaped = templates.Render(
      MessageKind::kUsernameReminder, {{"parent_name", "O'Brien <script>"}, {"username", "x"}});
  REQUIRE(escaped.ok());
  CHECK(absl::StrContains(escaped->html, "<bdi>O&#39;Brien &lt;script&gt;</bdi>"));
}

TEST_CASE("names in any script fill every kind") {
  Templates templates = Load();
  struct Names {
    const char* parent;
    const char* child;
    const char* school;
    bool right_to_left;
  };
  const Names rows[] = {
      {"Mòrag NicDhòmhnaill", "Eilidh Nic a' Phearsain", "Sgoil Ghàidhlig Ghlaschu", false},
      {"Łucja Wąsowska-Żak", "Grzegorz Brzęczyszczykiewicz", "Szkoła Podstawowa nr 3", false},
      {"ليلى حداد", "يوسف حداد", "مدرسة النور", true},
      {"李秀英", "王小明", "爱丁堡中文学校", false},
  };
  // The kinds whose text names the child, and those that also name the
  // school in the subject.
  const std::set<MessageKind> with_child = {MessageKind::kSecurityCode, MessageKind::kLinkRequested,
                                            MessageKind::kLinkApproved, MessageKind::kLinkRejected};
  const std::set<MessageKind> with_school = {
      MessageKind::kLinkRequested, MessageKind::kLinkApproved, MessageKind::kLinkRejected};
  for (const Names& row : rows) {
    auto in_text = [&](const char* name) {
      return row.right_to_left ? std::string("\u2068") + name + "\u2069" : std::string(name);
    };
    auto in_html = [](const char* name) {
      return absl::StrCat("<bdi>", absl::StrReplaceAll(name, {{"'", "&#39;"}}), "</bdi>");
    };
    for (int k = 1; k <= static_cast<int>(kLastMessageKind); ++k) {
      MessageKind kind = static_cast<MessageKind>(k);
      // The school reminder goes to a school office and names no family.
      if (kind == MessageKind::kSchoolReminder) continue;
      INFO(KindName(kind) << " / " << row.parent);
      std::map<std::string, std::string> data = {{"parent_name", row.parent},
                                                 {"child_name", row.child},
                                                 {"school_name", row.school},
                                                 {"one_time_password", "ABCD"},
                                                 {"username", "parent@example.com"},
                                                 {"security_code", "123456"},
                                                 {"expires_at", "2026-12-04T16:00:00Z"},
                                                 {"changed_at", "2026-12-04T16:00:00Z"},
                                                 {"due_at", "2026-12-04T16:00:00Z"},
                                                 {"reminder", "Bring a coat."}};
      absl::StatusOr<RenderedMessage> rendered = templates.Render(kind, data);
      REQUIRE(rendered.ok());
      CHECK(absl::StrContains(rendered->text, "Hello " + in_text(row.parent) + ","));
      CHECK(absl::StrContains(rendered->html, in_html(row.parent)));
      if (with_child.count(kind) > 0) {
        CHECK(absl::StrContains(rendered->text, in_text(row.child)));
        CHECK(absl::StrContains(rendered->html, in_html(row.child)));
        // The security code's text is kept short and names no one.
        if (kind != MessageKind::kSecurityCode) {
          CHECK(absl::StrContains(rendered->sms, in_text(row.child)));
        }
      }
      if (with_school.count(kind) > 0) {
        CHECK(absl::StrContains(rendered->subject, in_text(row.school)));
        CHECK(absl::StrContains(rendered->text, in_text(row.school)));
      }
      for (const std::string* part :
           {&rendered->subject, &rendered->text, &rendered->html, &rendered->sms}) {
        CHECK_FALSE(absl::StrContains(*part, "{{"));
      }
    }
  }
}

TEST_CASE("username reminder keeps the address whole") {
  Templates templates = Load();
  absl::StatusOr<RenderedMessage> rendered =
      templates.Render(MessageKind::kUsernameReminder,
                       {{"parent_name", "Ann"}, {"username", "ann.smith@example.com"}});
  REQUIRE(rendered.ok());
  // One line, so that a reader (or a test) finds the whole address there.
  CHECK(absl::StrContains(rendered->text,
                          "\nYour username is this email address: ann.smith@example.com\n"));
  CHECK(absl::StrContains(rendered->html, "<strong>ann.smith@example.com</strong>"));
  CHECK(rendered->sms == "Parents Portal: your username is ann.smith@example.com.");
}

TEST_CASE("times show in London time") {
  Templates templates = Load();
  // 16:30 UTC in summer is 17:30 in London; in winter it is 16:30.
  const std::pair<const char*, const char*> cases[] = {
      {"2026-07-03T16:30:00Z", "Friday 3 July 2026, 17:30"},
      {"2026-12-04T16:30:00+00:00", "Friday 4 December 2026, 16:30"},
      {"2026-03-29T00:30:00Z", "Sunday 29 March 2026, 00:30"},
      {"2026-03-29T01:30:00Z", "Sunday 29 March 2026, 02:30"},
  };
  for (const auto& [utc, local] : cases) {
    INFO(utc);
    absl::StatusOr<RenderedMessage> rendered = templates.Render(
        MessageKind::kPasswordChanged, {{"parent_name", "Ann"}, {"changed_at", utc}});
    REQUIRE(rendered.ok());
    CHECK(absl::StrContains(rendered->text, local));
  }
}

TEST_CASE("times ignore the host time zone") {
  Templates templates = Load();
  const char* old_zone = std::getenv("TZ");
  std::string saved = old_zone == nullptr ? "" : old_zone;
  for (const char* zone : {"UTC", "America/New_York", "Asia/Kolkata"}) {
    INFO("TZ=" << zone);
    setenv("TZ", zone, 1);
    tzset();
    absl::StatusOr<RenderedMessage> rendered =
        templates.Render(MessageKind::kPasswordChanged,
                         {{"parent_name", "Ann"}, {"changed_at", "2026-07-03T16:30:00Z"}});
    if (old_zone == nullptr) {
      unsetenv("TZ");
    } else {
      setenv("TZ", saved.c_str(), 1);
    }
    tzset();

    REQUIRE(rendered.ok());
    CHECK(absl::StrContains(rendered->text, "Friday 3 July 2026, 17:30"));
  }
}

TEST_CASE("bad template data is rejected") {
  Templates templates = Load();
  CHECK(templates.Render(MessageKind::kPasswordChanged, {{"parent_name", "Ann"}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(templates
            .Render(MessageKind::kPasswordChanged,
                    {{"parent_name", "Ann"}, {"changed_at", "yesterday"}})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(templates
            .Render(MessageKind::kUsernameReminder,
                    {{"parent_name", "Ann\nBcc: x"}, {"username", "a"}})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(templates
            .Render(MessageKind::kUsernameReminder,
                    {{"parent_name", std::string(201, 'a')}, {"username", "a"}})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("missing template fails to load") {
  pp::TempDir dir;
  dir.WriteFile("one_time_password.tmpl", "subject: x\n--- text\nx\n--- html\nx\n--- sms\nx\n");
  absl::StatusOr<Templates> templates = Templates::Load(dir.Path(""), London());
  CHECK(templates.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(templates.status().message(), "username_reminder.tmpl"));
}

}  // namespace pp::notification
