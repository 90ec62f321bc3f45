#include "roster.h"

#include <catch2/catch.hpp>

using pp::schoolctl::BuildRosterRecords;
using pp::schoolctl::ParseCsv;

namespace {

constexpr char kPupils[] =
    "seed_code,school_name,pupil_ref,forename,preferred_forename,surname,date_of_birth,stage,"
    "address_line1,address_line2,town,postcode\r\n"
    "5300011,Tayside Primary School,0700000001,Noah,,McDonald,01/10/2020,P3,19 Burghmuir Drive,,"
    "Auchterarder,PH3 2QY\r\n"
    "5300028,Balhousie High School,0700000002,Harris,,Ó Briain,06/02/2015,S2,237 Crieff Road,,"
    "Pitlochry,PH16 6NJ\r\n";

constexpr char kContacts[] =
    "seed_code,pupil_ref,contact_ref,title,forename,surname,relationship,parental_responsibility,"
    "lives_with_pupil,email,mobile,address_line1,address_line2,town,postcode,priority\r\n"
    "5300011,0700000001,C00000001,Mrs,Karen,Taylor,Mother,Y,Y,karen@example.com,07294 053474,"
    "19 Burghmuir Drive,,Auchterarder,PH3 2QY,1\r\n";

}  // namespace

TEST_CASE("roster sends only the school's rows, with their row numbers") {
  auto pupils = ParseCsv(kPupils);
  auto contacts = ParseCsv(kContacts);
  REQUIRE(pupils.ok());
  REQUIRE(contacts.ok());
  auto roster = BuildRosterRecords(*pupils, *contacts, "5300011");
  REQUIRE(roster.ok());
  CHECK(roster->other_school_rows == 1);
  REQUIRE(roster->records.size() == 2);
  CHECK(roster->records[0].row() == 2);
  CHECK(roster->records[0].pupil().surname() == "McDonald");
  CHECK(roster->records[0].pupil().date_of_birth() == "01/10/2020");
  CHECK(roster->records[1].contact().mobile() == "07294 053474");
  CHECK(roster->records[1].contact().parental_responsibility() == "Y");
}

TEST_CASE("roster names every missing column") {
  auto pupils = ParseCsv("seed_code,pupil_ref\n5300011,1\n");
  auto contacts = ParseCsv(kContacts);
  REQUIRE(pupils.ok());
  REQUIRE(contacts.ok());
  auto roster = BuildRosterRecords(*pupils, *contacts, "5300011");
  REQUIRE_FALSE(roster.ok());
  CHECK(roster.status().code() == absl::StatusCode::kInvalidArgument);
  std::string message(roster.status().message());
  CHECK(message.find("the pupils file lacks the column(s) school_name, forename") == 0);
}
