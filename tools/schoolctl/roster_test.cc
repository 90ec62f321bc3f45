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

TEST_CASE("roster reads headers in any case") {
  auto pupils = ParseCsv(
      "SEED_CODE,School_Name,Pupil_Ref,Forename,Preferred_Forename,Surname,Date_Of_Birth,Stage,"
      "Address_Line1,Address_Line2,Town,Postcode,Restricted,Form_Tutor\r\n"
      "5300011,Tayside Primary School,0700000001,Noah,,McDonald,01/10/2020,P3,19 Burghmuir "
      "Drive,,Auchterarder,PH3 2QY,Y,Mr Reid\r\n");
  auto contacts = ParseCsv(std::string(kContacts));
  REQUIRE(pupils.ok());
  REQUIRE(contacts.ok());
  auto roster = BuildRosterRecords(*pupils, *contacts, "5300011");
  REQUIRE(roster.ok());
  REQUIRE(roster->records.size() == 2);
  CHECK(roster->records[0].pupil().surname() == "McDonald");
  // A safeguarding hold under a capitalised header still reaches the service.
  CHECK(roster->records[0].pupil().restricted() == "Y");
  CHECK(roster->ignored_columns == std::vector<std::string>{"pupils file: Form_Tutor"});
}

TEST_CASE("roster lists rows over the byte limit") {
  const std::string large(pp::schoolctl::kMaxRowBytes, 'x');
  auto pupils = ParseCsv(std::string(kPupils) +
                         "5300011,Tayside Primary School,0700000003,Ava,,McDonald,02/03/2019,P4," +
                         large + ",,Auchterarder,PH3 2QY\r\n");
  auto contacts = ParseCsv(std::string(kContacts) +
                           "5300011,0700000003,C00000002,Mr,Ian,McDonald,Father,Y,Y,,," + large +
                           ",,Auchterarder,PH3 2QY,2\r\n");
  REQUIRE(pupils.ok());
  REQUIRE(contacts.ok());
  auto roster = BuildRosterRecords(*pupils, *contacts, "5300011");
  REQUIRE(roster.ok());
  REQUIRE(roster->records.size() == 2);
  CHECK(roster->records[0].pupil().pupil_ref() == "0700000001");
  CHECK(roster->records[1].contact().contact_ref() == "C00000001");
  REQUIRE(roster->too_large.size() == 2);
  CHECK(roster->too_large[0].file == "pupils");
  CHECK(roster->too_large[0].row == 4);
  CHECK(roster->too_large[1].file == "contacts");
  CHECK(roster->too_large[1].row == 3);
  CHECK(roster->unreadable.empty());
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

TEST_CASE("rows grouped in order within limits") {
  namespace link = parentsportal::link::v1;
  std::vector<link::RosterRecord> records;
  for (int row = 2; row < 2 + 2 * pp::schoolctl::kMaxRowsPerMessage + 5; ++row) {
    link::RosterRecord record;
    record.set_row(row);
    record.mutable_pupil()->set_pupil_ref(std::to_string(row));
    records.push_back(record);
  }
  // A row over the byte limit travels alone, between its neighbours.
  link::RosterRecord large;
  large.set_row(9999);
  large.mutable_pupil()->set_school_name(
      std::string(pp::schoolctl::kMaxRowBytesPerMessage + 1, 'x'));
  records.insert(records.begin() + 3, large);
  const size_t total = records.size();

  std::vector<link::RosterRows> messages = pp::schoolctl::GroupRows(records);
  REQUIRE(messages.size() == 5);
  CHECK(messages[0].records_size() == 3);
  CHECK(messages[1].records_size() == 1);
  CHECK(messages[1].records(0).row() == 9999);
  CHECK(messages[2].records_size() == pp::schoolctl::kMaxRowsPerMessage);
  CHECK(messages[3].records_size() == pp::schoolctl::kMaxRowsPerMessage);
  CHECK(messages[4].records_size() == 2);
  size_t sent = 0;
  for (const link::RosterRows& message : messages) {
    for (const link::RosterRecord& record : message.records()) {
      CHECK(record.row() == records[sent].row());
      ++sent;
    }
  }
  CHECK(sent == total);
}
