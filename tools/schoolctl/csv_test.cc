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

TEST_CASE("csv names the row where an unclosed quote opens") {
  auto table = ParseCsv("a,b\n1,\"open\n2,x\n3,y\n");
  REQUIRE_FALSE(table.ok());
  CHECK(table.status().message() ==
        "row 2: a quoted field is not closed before the end of the file");
}

TEST_CASE("csv stray quote is an error of its row") {
  // The quote in row 3 must not open a quoted field that takes in rows 4
  // and 5.
  auto table = ParseCsv(
      "ref,address_line1,town\n"
      "P1,\"Rose\" Cottage,Crieff\n"
      "P2,19 Burghmuir Drive\",Auchterarder\n"
      "P3,168 Rose Crescent,Perth\n"
      "P4,2 \"The Neuk\",Scone\n");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 4);
  CHECK(table->records[0].row == 2);
  CHECK(table->records[0].error ==
        "address_line1: text after the closing quote; quote the whole field and double each "
        "quote in it");
  CHECK(table->records[0].fields == std::vector<std::string>{"P1", "Rose Cottage", "Crieff"});
  CHECK(table->records[1].row == 3);
  CHECK(table->records[1].error ==
        "address_line1: a quote inside an unquoted field; quote the whole field and double each "
        "quote in it");
  CHECK(table->records[1].fields ==
        std::vector<std::string>{"P2", "19 Burghmuir Drive\"", "Auchterarder"});
  CHECK(table->records[2].row == 4);
  CHECK(table->records[2].error.empty());
  CHECK(table->Value(table->records[2], "town") == "Perth");
  CHECK(table->records[3].row == 5);
  CHECK_FALSE(table->records[3].error.empty());
  CHECK(table->Value(table->records[3], "town") == "Scone");
}

TEST_CASE("csv row of the wrong width is an error") {
  auto table = ParseCsv(
      "ref,address_line1,town,postcode\n"
      "P1,Flat 2, 19 Burghmuir Drive,Auchterarder,PH3 2QY\n"
      "P2,19 Burghmuir Drive,Auchterarder\n"
      "P3,\"Flat 2, 19 Burghmuir Drive\",Auchterarder,PH3 2QY\n");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 3);
  CHECK(table->records[0].error ==
        "the row has 5 fields but the header has 4; quote any value that contains a comma");
  CHECK(table->records[1].error ==
        "the row has 3 fields but the header has 4; quote any value that contains a comma");
  CHECK(table->records[2].error.empty());
  CHECK(table->Value(table->records[2], "postcode") == "PH3 2QY");
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

TEST_CASE("csv reads plain runs beside quoted fields") {
  auto table = ParseCsv("a,b,c,d\nplain text,\"x, \"\"y\"\"\",tail\r,ab\"c\n");
  REQUIRE(table.ok());
  REQUIRE(table->records.size() == 1);
  CHECK(table->records[0].fields ==
        std::vector<std::string>{"plain text", "x, \"y\"", "tail", "ab\"c"});
  CHECK(table->records[0].error ==
        "d: a quote inside an unquoted field; quote the whole field and double each quote in it");
}
