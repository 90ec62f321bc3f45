#include "server/grpc_status.h"

#include <catch2/catch.hpp>

TEST_CASE("status conversion keeps code and message both ways") {
  absl::Status original = absl::NotFoundError("no such request");
  grpc::Status wire = pp::ToGrpcStatus(original);
  CHECK(wire.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(wire.error_message() == "no such request");
  CHECK(pp::FromGrpcStatus(wire) == original);
  CHECK(pp::ToGrpcStatus(absl::OkStatus()).ok());
  CHECK(pp::ToGrpcStatus(absl::UnauthenticatedError("x")).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("retry delay crosses the status conversion") {
  absl::Status limited = pp::WithRetryDelay(absl::ResourceExhaustedError("wait"),
                                            absl::Seconds(90) + absl::Milliseconds(250));
  REQUIRE(pp::RetryDelay(limited).has_value());
  CHECK(*pp::RetryDelay(limited) == absl::Seconds(90) + absl::Milliseconds(250));

  grpc::Status wire = pp::ToGrpcStatus(limited);
  CHECK(wire.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(wire.error_message() == "wait");
  CHECK_FALSE(wire.error_details().empty());
  absl::Status back = pp::FromGrpcStatus(wire);
  CHECK(back.code() == absl::StatusCode::kResourceExhausted);
  CHECK(back.message() == "wait");
  REQUIRE(pp::RetryDelay(back).has_value());
  CHECK(*pp::RetryDelay(back) == absl::Seconds(90) + absl::Milliseconds(250));
}

TEST_CASE("status without details has no retry delay") {
  CHECK_FALSE(pp::RetryDelay(absl::ResourceExhaustedError("wait")).has_value());
  CHECK(pp::ToGrpcStatus(absl::ResourceExhaustedError("wait")).error_details().empty());
  // Details that are not ours are ignored, not an error.
  grpc::Status foreign(grpc::StatusCode::RESOURCE_EXHAUSTED, "wait", "\xff\xff not a message");
  absl::Status converted = pp::FromGrpcStatus(foreign);
  CHECK(converted.message() == "wait");
  CHECK_FALSE(pp::RetryDelay(converted).has_value());
  // An OK status stays OK, with no delay to carry.
  CHECK(pp::WithRetryDelay(absl::OkStatus(), absl::Seconds(5)).ok());
}
