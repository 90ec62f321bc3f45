#include "provider_registry.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "handoff_test_support.h"
#include "testing/temp_dir.h"

namespace pp::payments {
namespace {

TEST_CASE("providers file maps schools to providers") {
  absl::StatusOr<ProviderTable> table = ParseProviders(testing::ProvidersJson());
  REQUIRE(table.ok());
  ProviderRegistry registry(std::move(*table));
  REQUIRE(registry.ForSchool("5300011", "trips").has_value());
  CHECK(registry.ForSchool("5300011", "trips")->id() == "sandbox");
  CHECK(registry.ForSchool("5300028", "school-meals")->id() == "other");
  CHECK_FALSE(registry.ForSchool("5300028", "trips").has_value());
  CHECK(registry.ById("other")->display_name() == "Other Pay");
  CHECK_FALSE(registry.ById("nobody").has_value());
}

TEST_CASE("providers file errors name the fault") {
  struct Case {
    const char* from;
    const char* to;
    const char* message;
  };
  Case cases[] = {
      {"\"id\": \"other\"", "\"id\": \"Other Pay\"", "`id` must be"},
      {"\"id\": \"other\"", "\"id\": \"sandbox\"", "appears twice"},
      {"https://other.example.test/sso", "http://other.example.test/sso", "`handoff_url`"},
      {"http://127.0.0.1:8090/pay", "http://127.0.0.1:1@evil.test/pay", "`handoff_url`"},
      {"other-callback-secret-of-at-least-32-chars", "short", "`callback_secret`"},
      {"[\"5300028\"]", "[\"53000\"]", "7-digit SEED code"},
      {"[\"school-meals\"]}]", "[\"uniforms\"]}]", "not one of"},
      {"[\"5300028\"]", "[\"5300011\"]", "two providers"},
      {"\"providers\"", "\"providerz\"", "not valid"},
  };
  for (const Case& c : cases) {
    INFO(c.to);
    std::string json = absl::StrReplaceAll(testing::ProvidersJson(), {{c.from, c.to}});
    REQUIRE(json != testing::ProvidersJson());
    absl::StatusOr<ProviderTable> table = ParseProviders(json);
    REQUIRE_FALSE(table.ok());
    CHECK(absl::StrContains(table.status().message(), c.message));
  }
}

TEST_CASE("reload keeps old table on error") {
  TempDir dir;
  dir.WriteFile("providers.json", testing::ProvidersJson());
  auto registry = ProviderRegistry::Load(dir.Path("providers.json"));
  REQUIRE(registry.ok());

  dir.WriteFile("providers.json", "{\"providers\": [");
  CHECK_FALSE((*registry)->Reload().ok());
  CHECK((*registry)->ById("sandbox").has_value());

  dir.WriteFile("providers.json",
                absl::StrReplaceAll(testing::ProvidersJson(), {{"Sandbox Pay", "Sandbox Pay 2"}}));
  REQUIRE((*registry)->Reload().ok());
  CHECK((*registry)->ById("sandbox")->display_name() == "Sandbox Pay 2");
}

}  // namespace
}  // namespace pp::payments
