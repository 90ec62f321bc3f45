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
