#include "gateway/address_limit.h"

#include <catch2/catch.hpp>

namespace pp::gateway {

TEST_CASE("address limit allows a burst then one a minute") {
  FakeClock clock(absl::FromUnixSeconds(1796400000));
  AddressLimit limit(clock, 3, absl::Minutes(1));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(limit.WaitFor("192.0.2.1") == absl::ZeroDuration());
    limit.RecordFailure("192.0.2.1");
  }
  CHECK(limit.WaitFor("192.0.2.1") == absl::Minutes(1));
  // Another address is not affected.
  CHECK(limit.WaitFor("192.0.2.2") == absl::ZeroDuration());

  clock.Advance(absl::Seconds(30));
  CHECK(limit.WaitFor("192.0.2.1") == absl::Seconds(30));
  clock.Advance(absl::Seconds(30));
  CHECK(limit.WaitFor("192.0.2.1") == absl::ZeroDuration());
  limit.RecordFailure("192.0.2.1");
  CHECK(limit.WaitFor("192.0.2.1") == absl::Minutes(1));
}

TEST_CASE("address limit forgets refilled addresses") {
  FakeClock clock(absl::FromUnixSeconds(1796400000));
  AddressLimit limit(clock, 1, absl::Minutes(1), 2);
  limit.RecordFailure("192.0.2.1");
  limit.RecordFailure("192.0.2.2");
  clock.Advance(absl::Minutes(1));
  // A third address sweeps out the two that are full again.
  limit.RecordFailure("192.0.2.3");
  CHECK(limit.WaitFor("192.0.2.3") == absl::Minutes(1));
  CHECK(limit.WaitFor("192.0.2.1") == absl::ZeroDuration());
}

}  // namespace pp::gateway
