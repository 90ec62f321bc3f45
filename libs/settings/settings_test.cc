#include "settings/settings.h"

#include <catch2/catch.hpp>
#include <map>

#include "absl/strings/match.h"

namespace {

pp::Settings::EnvLookup FakeEnv(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

pp::Settings MakeSettings() {
  pp::Settings settings("test", "a test binary");
  settings.AddString("data_dir", "var/test", "where the store lives");
  settings.AddInt("port", 50051, "gRPC port");
  return settings;
}

}  // namespace

TEST_CASE("settings use defaults when nothing is given") {
  pp::Settings settings = MakeSettings();
  REQUIRE(settings.Parse({}, FakeEnv({})).ok());
  CHECK(settings.GetString("data_dir") == "var/test");
  CHECK(settings.GetInt("port") == 50051);
}

TEST_CASE("settings read the PP_ environment variable") {
  pp::Settings settings = MakeSettings();
  REQUIRE(settings.Parse({}, FakeEnv({{"PP_DATA_DIR", "/srv/data"}})).ok());
  CHECK(settings.GetString("data_dir") == "/srv/data");
}

TEST_CASE("settings prefer a flag over the environment") {
  pp::Settings settings = MakeSettings();
  REQUIRE(settings
              .Parse({"--port=6000", "--data_dir", "/tmp/x"},
                     FakeEnv({{"PP_PORT", "7000"}, {"PP_DATA_DIR", "/srv"}}))
              .ok());
  CHECK(settings.GetInt("port") == 6000);
  CHECK(settings.GetString("data_dir") == "/tmp/x");
}

TEST_CASE("settings tell a given value from the default") {
  pp::Settings settings = MakeSettings();
  REQUIRE(settings.Parse({"--data_dir="}, FakeEnv({{"PP_PORT", "50051"}})).ok());
  CHECK(settings.IsGiven("data_dir"));
  CHECK(settings.GetString("data_dir").empty());
  // The environment's value counts even when it equals the default.
  CHECK(settings.IsGiven("port"));

  pp::Settings defaults = MakeSettings();
  REQUIRE(defaults.Parse({}, FakeEnv({})).ok());
  CHECK_FALSE(defaults.IsGiven("data_dir"));
  CHECK_FALSE(defaults.IsGiven("port"));
}

TEST_CASE("settings reject unknown flags and bad numbers") {
  pp::Settings unknown = MakeSettings();
  absl::Status status = unknown.Parse({"--colour=blue"}, FakeEnv({}));
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() == "unknown setting --colour");
  // An unknown flag at the end, with no value after it, is unknown too.
  status = MakeSettings().Parse({"--colour"}, FakeEnv({}));
  CHECK(status.message() == "unknown setting --colour");
  status = MakeSettings().Parse({"--data-dir"}, FakeEnv({}));
  CHECK(status.message() == "missing value for --data-dir");

  pp::Settings bad_number = MakeSettings();
  status = bad_number.Parse({}, FakeEnv({{"PP_PORT", "fifty"}}));
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "invalid value \"fifty\" for PP_PORT: expected a whole number from -2147483648 to "
        "2147483647");

  pp::Settings too_large = MakeSettings();
  status = too_large.Parse({"--port=99999999999"}, FakeEnv({}));
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(status.message(), "from -2147483648 to 2147483647"));

  pp::Settings missing = MakeSettings();
  CHECK(missing.Parse({"--port"}, FakeEnv({})).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("settings keep positional arguments in order") {
  pp::Settings settings = MakeSettings();
  REQUIRE(settings.Parse({"sync-roster", "--port=1", "pupils.csv"}, FakeEnv({})).ok());
  CHECK(settings.Positional() == std::vector<std::string>{"sync-roster", "pupils.csv"});
}

TEST_CASE("settings accept hyphens in flag names") {
  pp::Settings settings = MakeSettings();
  REQUIRE(settings.Parse({"--data-dir=/srv/hyphen"}, FakeEnv({})).ok());
  CHECK(settings.GetString("data_dir") == "/srv/hyphen");

  pp::Settings unknown = MakeSettings();
  CHECK(unknown.Parse({"--no-such-flag=1"}, FakeEnv({})).message() ==
        "unknown setting --no-such-flag");
}
