// A payments-handoff service over a real SQLite store in a temporary
// folder, with a fake clock, a fixed providers table and a fake
// link-verification, for the tests of this folder and the sandbox.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_TEST_SUPPORT_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_TEST_SUPPORT_H_

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "handoff_service.h"
#include "jwt.h"
#include "provider_crypto.h"
#include "testing/temp_dir.h"

namespace pp::payments::testing {

inline constexpr char kSecret[] = "sandbox-callback-secret-of-at-least-32-chars";
inline constexpr char kOtherSecret[] = "other-callback-secret-of-at-least-32-chars";
inline constexpr char kIssuer[] = "https://portal.example.test";
inline constexpr char kAudience[] = "https://sandbox.pay.example.test";
inline constexpr char kAccount[] = "account-17";
inline constexpr char kChild[] = "child-42";
inline constexpr char kPupilRef[] = "0700000042";

inline std::string ProvidersJson() {
  return absl::StrCat(R"({"providers": [
    {"id": "sandbox", "display_name": "Sandbox Pay", "handoff_url": "http://127.0.0.1:8090/pay",
     "audience": ")",
                      kAudience, R"(", "callback_secret": ")", kSecret, R"(",
     "schools": ["5300011"], "services": ["school-meals", "trips"]},
    {"id": "other", "display_name": "Other Pay", "handoff_url": "https://other.example.test/sso",
     "audience": "https://other.example.test", "callback_secret": ")",
                      kOtherSecret, R"(",
     "schools": ["5300028"], "services": ["school-meals"]}]})");
}

// Children linked by account, as link-verification would return them.
class FakeChildDirectory : public ChildDirectory {
 public:
  FakeChildDirectory() {
    parentsportal::link::v1::Child child;
    child.set_child_id(kChild);
    child.set_forename("Seán");
    child.set_surname("O'Neill");
    child.set_seed_code("5300011");
    child.set_school_name("Tayside Primary School");
    child.set_pupil_ref(kPupilRef);
    links[{kAccount, kChild}] = child;
  }
  absl::StatusOr<parentsportal::link::v1::Child> GetLinkedChild(
      const std::string& account_id, const std::string& child_id) override {
    if (unavailable) return absl::UnavailableError("link-verification is down");
    auto found = links.find({account_id, child_id});
    if (found == links.end()) return absl::NotFoundError("no such child");
    return found->second;
  }

  std::map<std::pair<std::string, std::string>, parentsportal::link::v1::Child> links;
  bool unavailable = false;
};

class ServiceFixture {
 public:
  ServiceFixture() : clock(absl::FromUnixSeconds(1780272000)) {
    auto table = ParseProviders(ProvidersJson());
    REQUIRE(table.ok());
    providers_ = std::make_unique<ProviderRegistry>(std::move(*table));
    Open();
  }

  // Opens the store and the service again, as a restart would.
  void Open() {
    service_.reset();
    store_.reset();
    auto store = HandoffStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    HandoffOptions options;
    options.issuer = kIssuer;
    auto service = HandoffService::Load(*store_, *providers_, children, clock, options);
    REQUIRE(service.ok());
    service_ = std::move(*service);
  }

  api::CreateResponse Create(const std::string& service = "school-meals") {
    api::CreateRequest request;
    request.set_account_id(kAccount);
    request.set_child_id(kChild);
    request.set_service(service);
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

  std::map<std::string, std::string> Keys() {
    absl::StatusOr<api::JsonWebKeySet> set = service_->GetJwks();
    REQUIRE(set.ok());
    absl::StatusOr<std::map<std::string, std::string>> keys = ParseJwks(JwksJson(*set));
    REQUIRE(keys.ok());
    return *keys;
  }

  std::string DatabasePath() const { return dir_.Path("data") + "/payments-handoff.db"; }

  HandoffService& service() { return *service_; }
  HandoffStore& store() { return *store_; }

  FakeClock clock;
  FakeChildDirectory children;

 private:
  TempDir dir_;
  std::unique_ptr<ProviderRegistry> providers_;
  std::unique_ptr<HandoffStore> store_;
  std::unique_ptr<HandoffService> service_;
};

// Returns a signed callback request for `body`, timestamped at `now`.
inline api::CallbackRequest SignedCallback(const std::string& body, absl::Time now,
                                           const std::string& provider = "sandbox",
                                           const std::string& secret = kSecret) {
  api::CallbackRequest request;
  request.set_provider_id(provider);
  request.set_timestamp(absl::StrCat(absl::ToUnixSeconds(now)));
  request.set_signature(CallbackSignature(secret, request.timestamp(), body));
  request.set_body(body);
  return request;
}

inline std::string EventBody(const std::string& event_id, const std::string& handoff_id,
                             const std::string& outcome = "paid",
                             const std::string& reference = "ref-1") {
  return absl::StrCat("{\"event_id\":\"", event_id, "\",\"handoff_id\":\"", handoff_id,
                      "\",\"outcome\":\"", outcome, "\",\"provider_reference\":\"", reference,
                      "\"}");
}

}  // namespace pp::payments::testing

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_TEST_SUPPORT_H_
