#include "sandbox_provider.h"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "testing/temp_dir.h"

namespace pp::payments {
namespace {

const char kReturnUrl[] = "http://127.0.0.1:8080/?payment=complete";

class SandboxFixture {
 public:
  SandboxFixture() : clock_(absl::FromUnixSeconds(1780272000)) {
    auto store = HandoffStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    auto service = HandoffService::Load(*store_, clock_, HandoffOptions{});
    REQUIRE(service.ok());
    service_ = std::move(*service);
    sandbox_ = std::make_unique<SandboxProvider>(*service_, kReturnUrl);
    absl::StatusOr<int> port = sandbox_->Start("127.0.0.1:0");
    REQUIRE(port.ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }

  api::CreateResponse Create() {
    api::CreateRequest request;
    request.set_account_id("account-17");
    request.set_parent_name("Siobhán O'Neill");
    request.set_parent_email("siobhan@example.org");
    request.set_seed_code("5300011");
    request.set_school_name("St Mary's <Primary> & Nursery");
    request.set_child_id("child-42");
    request.set_child_name("Seán O'Neill");
    request.set_stage("P3");
    absl::StatusOr<api::CreateResponse> created = service_->Create(request);
    REQUIRE(created.ok());
    return *created;
  }

  api::HandoffStatus Status(const std::string& id) {
    api::GetStatusRequest request;
    request.set_handoff_id(id);
    absl::StatusOr<api::HandoffStatus> status = service_->GetStatus(request);
    REQUIRE(status.ok());
    return *status;
  }

  httplib::Result Post(const std::string& path, const httplib::Params& form) {
    return client_->Post(path.c_str(), form);
  }

  FakeClock& clock() { return clock_; }

 private:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<HandoffStore> store_;
  std::unique_ptr<HandoffService> service_;
  std::unique_ptr<SandboxProvider> sandbox_;
  std::unique_ptr<httplib::Client> client_;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("sandbox pays a redeemed hand-off and redirects") {
  SandboxFixture fixture;
  api::CreateResponse created = fixture.Create();

  httplib::Result page = fixture.Post("/pay", {{"token", created.token()}});
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->get_header_value("Cache-Control") == "no-store");
  const std::string& html = page->body;
  CHECK(Contains(html, "<html lang=\"en\">"));
  CHECK(Contains(html, "<h1>Sandbox payment provider</h1>"));
  CHECK(Contains(html, "St Mary&#39;s &lt;Primary&gt; &amp; Nursery"));
  CHECK(Contains(html, "Seán O&#39;Neill (P3)"));
  CHECK(Contains(html, "Siobhán O&#39;Neill"));
  CHECK_FALSE(Contains(html, "<Primary>"));
  CHECK(Contains(html, "aria-labelledby=\"pay-heading\""));
  CHECK(Contains(html, "name=\"handoff_id\" value=\"" + created.handoff_id() + "\""));
  CHECK(Contains(html, "Pay £0.00 (sandbox)"));

  httplib::Result paid = fixture.Post("/pay/complete", {{"handoff_id", created.handoff_id()}});
  REQUIRE(paid);
  CHECK(paid->status == 303);
  CHECK(paid->get_header_value("Location") == kReturnUrl);
  api::HandoffStatus status = fixture.Status(created.handoff_id());
  CHECK(status.state() == api::COMPLETED);
  CHECK(status.outcome() == "paid");
  CHECK(status.provider_reference().rfind("sandbox-", 0) == 0);
  CHECK_FALSE(status.holds_personal_data());

  // Submitting the page twice goes back to the portal again.
  httplib::Result twice = fixture.Post("/pay/complete", {{"handoff_id", created.handoff_id()}});
  REQUIRE(twice);
  CHECK(twice->status == 303);
  CHECK(fixture.Status(created.handoff_id()).provider_reference() == status.provider_reference());
}

TEST_CASE("sandbox cannot complete a hand-off never redeemed") {
  SandboxFixture fixture;
  api::CreateResponse created = fixture.Create();

  httplib::Result rejected = fixture.Post("/pay/complete", {{"handoff_id", created.handoff_id()}});
  REQUIRE(rejected);
  CHECK(rejected->status == 400);
  CHECK(Contains(rejected->body, "has not been redeemed"));
  api::HandoffStatus status = fixture.Status(created.handoff_id());
  CHECK(status.state() == api::CREATED);
  CHECK(status.holds_personal_data());

  httplib::Result unknown = fixture.Post("/pay/complete", {{"handoff_id", "no-such-handoff"}});
  REQUIRE(unknown);
  CHECK(unknown->status == 400);
}

TEST_CASE("sandbox rejects bad, used and expired tokens") {
  SandboxFixture fixture;
  api::CreateResponse used = fixture.Create();
  api::CreateResponse late = fixture.Create();
  REQUIRE(fixture.Post("/pay", {{"token", used.token()}})->status == 200);
  httplib::Result reused = fixture.Post("/pay", {{"token", used.token()}});
  REQUIRE(reused);
  CHECK(reused->status == 400);
  CHECK(Contains(reused->body, "already redeemed"));

  struct Case {
    const char* name;
    httplib::Params form;
    const char* message;
  };
  fixture.clock().Advance(absl::Minutes(5));
  for (const Case& test : {
           Case{"missing token", {}, "has no payment token"},
           Case{"bad token", {{"token", "AAAA.AAAA"}}, "signature is not valid"},
           Case{"expired token", {{"token", late.token()}}, "expired"},
       }) {
    INFO(test.name);
    httplib::Result page = fixture.Post("/pay", test.form);
    REQUIRE(page);
    CHECK(page->status == 400);
    CHECK(Contains(page->body, test.message));
    CHECK(Contains(page->body, "<html lang=\"en\">"));
  }
}

TEST_CASE("escaping covers every HTML special character") {
  CHECK(EscapeHtml("<a href=\"x\">Tom & Jerry's</a>") ==
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
}

}  // namespace
}  // namespace pp::payments
