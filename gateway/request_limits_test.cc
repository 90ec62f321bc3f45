// Requests the gateway refuses or trims before any handler runs: bodies
// without a Content-Length, too many headers, multi-range requests, and
// child ids that are not ids. Each case is an input the hostile-HTTP fault
// test (tests/faults/hostile_http.py) found getting through.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

constexpr const char* kSession = kTestSession;

using Fakes = SignedInFakes;

TEST_CASE("chunked body is refused before it is read") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  // The content provider without a length makes httplib send the body chunked.
  std::string body = "username=a%40example.com&password=secret";
  httplib::Result result = client.Post(
      "/sign-in",
      [&](size_t offset, httplib::DataSink& sink) {
        sink.write(body.data() + offset, body.size() - offset);
        sink.done();
        return true;
      },
      "application/x-www-form-urlencoded");
  REQUIRE(result);
  CHECK(result->status == 411);
  CHECK(fakes.identity.calls == 0);
}

TEST_CASE("too many headers are refused") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Headers headers;
  for (int i = 0; i < 150; ++i) headers.emplace(absl::StrCat("X-Filler-", i), "x");
  httplib::Result result = client.Get("/sign-in", headers);
  REQUIRE(result);
  CHECK(result->status == 431);

  headers.clear();
  for (int i = 0; i < 50; ++i) headers.emplace(absl::StrCat("X-Filler-", i), "x");
  result = client.Get("/sign-in", headers);
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE("many ranges get the whole page once") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  std::string ranges = "bytes=0-";
  for (int i = 0; i < 499; ++i) ranges += ",0-";
  httplib::Result ranged = client.Get("/healthz", {{"Range", ranges}});
  REQUIRE(ranged);
  CHECK(ranged->status == 200);
  CHECK(ranged->body == "ok");
  CHECK_FALSE(ranged->has_header("Content-Range"));
}

TEST_CASE("child id that is not an id is not found") {
  Fakes fakes;
  // Any call reaching the service would answer 500.
  fakes.links.outage = absl::InternalError("the service was called");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Headers browser = {{"Cookie", absl::StrCat("pp_session=", kSession)}};

  for (const std::string& path : std::vector<std::string>{
           "/children/%c0%ae%c0%ae%c0%afetc%c0%afpasswd", "/children/%ff%fe",
           "/children/..%2f..%2fetc%2fpasswd", "/children/%c0%ae%c0%ae/calendar",
           "/children/" + std::string(65, 'a')}) {
    INFO(path);
    httplib::Result result = client.Get(path, browser);
    REQUIRE(result);
    CHECK(result->status == 404);
  }
}

}  // namespace
}  // namespace pp::gateway
