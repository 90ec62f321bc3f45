#include "csv.h"

#include <catch2/catch.hpp>

using pp::schoolctl::ParseCsv;

TEST_CASE("csv strips the byte-order mark and CRLF line ends") {
  auto table = ParseCsv("\xEF\xBB\xBFseed_code,forename\r\n5300011,Noah\r\n5300028,Harris\r\n");
  REQUIRE(table.ok());
  CHECK(table->header == std::vector<std::string>{"seed_code", "forename"});
  REQUIRE(table->records.size() == 2);
  CHECK(table->records[0].row == 2);
  CHECK(table->Value(table->records[1], "forename") == "Harris");
}

TEST_CASE("csv keeps quoted commas, quotes and newlines") {
  auto table = ParseCsv("name,note\n\"O'Brien, Siobhán\",\"said \"\"hi\"\"\nthen left\"\nNext,x\n");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 2);
  CHECK(table->Value(table->records[0], "name") == "O'Brien, Siobhán");
  CHECK(table->Value(table->records[0], "note") == "said \"hi\"\nthen left");
  CHECK(table->records[1].row == 3);
}

TEST_CASE("csv keeps empty fields and reads a last line without a line end") {
  auto table = ParseCsv("a,b,c\n1,,3\n,,");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 2);
  CHECK(table->records[0].fields == std::vector<std::string>{"1", "", "3"});
  CHECK(table->records[1].fields == std::vector<std::string>{"", "", ""});
}

TEST_CASE("csv skips blank lines but counts them as rows") {
  auto table = ParseCsv("a\r\n\r\nx\r\n");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 1);
  CHECK(table->records[0].row == 3);
}

TEST_CASE("csv reports a quote left open with its row") {
  auto table = ParseCsv("a,b\n1,\"open\n");
  REQUIRE_FALSE(table.ok());
  CHECK(table.status().message() ==
        "row 2: a quoted field is not closed before the end of the file");
}

TEST_CASE("csv of an empty file has no header and no records") {
  auto table = ParseCsv("");
  REQUIRE(table.ok());
  CHECK(table->header.empty());
  CHECK(table->records.empty());
  CHECK(table->Value(pp::schoolctl::CsvRecord{}, "a").empty());
}

TEST_CASE("windows-1252 export is decoded") {
  // "Zoë O’Neill" as a Windows spreadsheet saves it: ë is 0xEB, ’ is 0x92.
  auto table = ParseCsv("forename,surname\r\nZo\xEB,O\x92Neill\r\n");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 1);
  CHECK(table->Value(table->records[0], "forename") == "Zoë");
  CHECK(table->Value(table->records[0], "surname") == "O’Neill");
}

TEST_CASE("utf-8 export is kept as sent") {
  auto table = ParseCsv(
      "\xEF\xBB\xBF"
      "forename\nZoë\n");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 1);
  CHECK(table->Value(table->records[0], "forename") == "Zoë");
  CHECK(table->header[0] == "forename");
}
