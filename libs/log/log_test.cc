#include "log/log.h"

#include <catch2/catch.hpp>

TEST_CASE("log values with spaces or quotes are quoted") {
  CHECK(pp::log::FormatValue("127.0.0.1:50051") == "127.0.0.1:50051");
  CHECK(pp::log::FormatValue("") == "\"\"");
  CHECK(pp::log::FormatValue("two words") == "\"two words\"");
  CHECK(pp::log::FormatValue("a=b") == "\"a=b\"");
  CHECK(pp::log::FormatValue("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(pp::log::FormatValue("line\nbreak") == "\"line\\nbreak\"");
}
