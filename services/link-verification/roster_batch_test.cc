#include "roster_batch.h"

#include <catch2/catch.hpp>

#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::ContactRow;
using testing::kBalhousie;
using testing::kTayside;
using testing::PupilRow;

struct RowCase {
  const char* name;
  v1::RosterRecord record;
  const char* file;
  const char* column;
  const char* reason;
};

v1::RosterRecord Restricted(v1::RosterRecord record, const std::string& value) {
  if (record.has_pupil()) record.mutable_pupil()->set_restricted(value);
  if (record.has_contact()) record.mutable_contact()->set_restricted(value);
  return record;
}

TEST_CASE("malformed rows reported with reason") {
  const RowCase cases[] = {
      {"another school's pupil",
       PupilRow(2, kBalhousie, "P1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"), "pupils",
       "seed_code", "seed_code is 5300028, but the token is for school 5300011"},
      {"missing school", PupilRow(2, "", "P1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"),
       "pupils", "seed_code", "seed_code is missing"},
      {"missing pupil_ref",
       PupilRow(2, kTayside, " ", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"), "pupils",
       "pupil_ref", "pupil_ref is missing"},
      {"missing forename",
       PupilRow(2, kTayside, "P1", "", "McDonald", "01/10/2020", "P3", "PH3 2QY"), "pupils",
       "forename", "forename is missing"},
      {"missing surname", PupilRow(2, kTayside, "P1", "Noah", "  ", "01/10/2020", "P3", "PH3 2QY"),
       "pupils", "surname", "surname is missing"},
      {"impossible date",
       PupilRow(2, kTayside, "P1", "Noah", "McDonald", "31/02/2015", "P3", "PH3 2QY"), "pupils",
       "date_of_birth",
       "date_of_birth \"31/02/2015\" is not a real date written DD/MM/YYYY or YYYY-MM-DD"},
      {"american date",
       PupilRow(2, kTayside, "P1", "Noah", "McDonald", "10/31/2015", "P3", "PH3 2QY"), "pupils",
       "date_of_birth",
       "date_of_birth \"10/31/2015\" is not a real date written DD/MM/YYYY or YYYY-MM-DD"},
      {"future date",
       PupilRow(2, kTayside, "P1", "Noah", "McDonald", "2027-01-01", "P3", "PH3 2QY"), "pupils",
       "date_of_birth", "date_of_birth 2027-01-01 is in the future"},
      {"unknown stage",
       PupilRow(2, kTayside, "P1", "Noah", "McDonald", "01/10/2020", "P8", "PH3 2QY"), "pupils",
       "stage", "stage \"P8\" is not one of P1-P7 or S1-S6"},
      {"foreign postcode",
       PupilRow(2, kTayside, "P1", "Noah", "McDonald", "01/10/2020", "P3", "75001"), "pupils",
       "postcode", "postcode \"75001\" is not a UK postcode"},
      {"another school's contact",
       ContactRow(2, kBalhousie, "P1", "C1", "Karen", "Taylor", "Y", "", "", "PH3 2QY"), "contacts",
       "seed_code", "seed_code is 5300028, but the token is for school 5300011"},
      {"missing contact_ref",
       ContactRow(2, kTayside, "P1", "", "Karen", "Taylor", "Y", "", "", "PH3 2QY"), "contacts",
       "contact_ref", "contact_ref is missing"},
      {"responsibility neither yes nor no",
       ContactRow(2, kTayside, "P1", "C1", "Karen", "Taylor", "Parent", "", "", "PH3 2QY"),
       "contacts", "parental_responsibility",
       "parental_responsibility must be Y, N, Yes or No, not \"Parent\""},
      {"email without domain",
       ContactRow(2, kTayside, "P1", "C1", "Karen", "Taylor", "Y", "karen@", "", "PH3 2QY"),
       "contacts", "email", "email \"karen@\" is not an email address"},
      {"too few digits for a phone",
       ContactRow(2, kTayside, "P1", "C1", "Karen", "Taylor", "Y", "", "0744210668", "PH3 2QY"),
       "contacts", "mobile", "mobile \"0744210668\" is not a telephone number"},
      {"blank date of birth", PupilRow(2, kTayside, "P1", "Noah", "McDonald", " ", "P3", "PH3 2QY"),
       "pupils", "date_of_birth", "date_of_birth is missing"},
      {"garbled name from a Windows-1252 export read as UTF-8",
       PupilRow(2, kTayside, "P1", "ZoÃ«", "McDonald", "01/10/2020", "P3", "PH3 2QY"), "pupils",
       "forename", "forename \"ZoÃ«\" is garbled text; export the file again as UTF-8"},
      {"replacement character in a surname",
       ContactRow(2, kTayside, "P1", "C1", "Karen", "Tayl\uFFFDr", "Y", "", "", "PH3 2QY"),
       "contacts", "surname",
       "surname \"Tayl\uFFFDr\" is garbled text; export the file again as UTF-8"},
      {"line break in a quoted forename",
       PupilRow(2, kTayside, "P1", "Ann\nMarie", "McDonald", "01/10/2020", "P3", "PH3 2QY"),
       "pupils", "forename",
       "forename \"Ann\\nMarie\" contains a line break; names and other roster values cannot "
       "contain line breaks, so remove it in the school's system and export the file again"},
      {"Windows line break in a contact's surname",
       ContactRow(2, kTayside, "P1", "C1", "Karen", "Tay\r\nlor", "Y", "", "", "PH3 2QY"),
       "contacts", "surname",
       "surname \"Tay\\r\\nlor\" contains a line break; names and other roster values cannot "
       "contain line breaks, so remove it in the school's system and export the file again"},
      {"escape character in a forename",
       PupilRow(2, kTayside, "P1", "No\x1b[2Jah", "McDonald", "01/10/2020", "P3", "PH3 2QY"),
       "pupils", "forename",
       "forename \"No\\x1B[2Jah\" is garbled text; export the file again as UTF-8"},
      {"restricted neither yes nor no",
       Restricted(PupilRow(2, kTayside, "P1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"),
                  "1"),
       "pupils", "restricted", "restricted must be Y, N, Yes or No, not \"1\""},
  };
  for (const RowCase& test : cases) {
    INFO(test.name);
    RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
    REQUIRE(batch.Add(test.record).ok());
    batch.Finish();
    REQUIRE(batch.errors().size() == 1);
    CHECK(batch.errors()[0].file() == test.file);
    CHECK(batch.errors()[0].row() == 2);
    CHECK(batch.errors()[0].reason() == test.reason);
    REQUIRE(batch.errors()[0].columns_size() == 1);
    CHECK(batch.errors()[0].columns(0) == test.column);
    CHECK(batch.pupils().empty());
    CHECK(batch.contacts().empty());
  }
}

TEST_CASE("one row lists all its problems") {
  RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
  REQUIRE(
      batch.Add(PupilRow(7, kTayside, "P1", "", "McDonald", "2020-02-30", "P3", "PH3 2QY")).ok());
  batch.Finish();
  REQUIRE(batch.errors().size() == 1);
  CHECK(batch.errors()[0].reason() ==
        "forename is missing; date_of_birth \"2020-02-30\" is not a real date written DD/MM/YYYY "
        "or YYYY-MM-DD");
  REQUIRE(batch.errors()[0].columns_size() == 2);
  CHECK(batch.errors()[0].columns(0) == "forename");
  CHECK(batch.errors()[0].columns(1) == "date_of_birth");
}

TEST_CASE("valid rows load beside malformed ones") {
  RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows.push_back(
      PupilRow(4, kTayside, "0700000001", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"));
  rows.push_back(
      ContactRow(6, kTayside, "0700009999", "C9", "Ann", "Smith", "Y", "", "", "PH1 1AA"));
  rows.push_back(ContactRow(7, kTayside, "0700000001", "C00000001", "Karen", "Taylor", "Y", "", "",
                            "PH3 2QY"));
  for (const v1::RosterRecord& row : rows) REQUIRE(batch.Add(row).ok());
  batch.Finish();

  CHECK(batch.pupils().size() == 2);
  CHECK(batch.contacts().size() == 4);
  REQUIRE(batch.errors().size() == 3);
  CHECK(batch.errors()[0].file() == "contacts");
  CHECK(batch.errors()[0].row() == 6);
  CHECK(batch.errors()[0].reason() == "pupil_ref 0700009999 is not a valid pupil row of this sync");
  CHECK(batch.errors()[1].row() == 7);
  CHECK(batch.errors()[1].reason() ==
        "contact_ref C00000001 of pupil_ref 0700000001 appears again (first at row 2)");
  CHECK(batch.errors()[2].file() == "pupils");
  CHECK(batch.errors()[2].row() == 4);
  CHECK(batch.errors()[2].reason() == "pupil_ref 0700000001 appears again (first at row 2)");
}

TEST_CASE("roster values are kept as sent") {
  RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
  REQUIRE(batch
              .Add(PupilRow(2, kTayside, "R1", "Eòin", "Ó Briain-D’Arcy", "09/03/2018", "p4",
                            "ph2 1ew", "Eoinín"))
              .ok());
  REQUIRE(batch
              .Add(ContactRow(2, kTayside, "R1", "C1", "Siobhán", "Mac an tSaoir", "y", "",
                              "+44 7476 001182", "PH2 1EW"))
              .ok());
  batch.Finish();
  REQUIRE(batch.pupils().size() == 1);
  CHECK(batch.pupils()[0].forename == "Eòin");
  CHECK(batch.pupils()[0].surname == "Ó Briain-D’Arcy");
  CHECK(batch.pupils()[0].preferred_forename == "Eoinín");
  CHECK(batch.pupils()[0].date_of_birth == "2018-03-09");
  CHECK(batch.pupils()[0].stage == "P4");
  REQUIRE(batch.contacts().size() == 1);
  CHECK(batch.contacts()[0].surname == "Mac an tSaoir");
  CHECK(batch.contacts()[0].parental_responsibility);
  CHECK(batch.contacts()[0].mobile == "+447476001182");
  CHECK(batch.contacts()[0].landline.empty());
  CHECK(batch.school_name() == "Tayside Primary School");
}

TEST_CASE("yes and no read as Y and N") {
  RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
  REQUIRE(
      batch
          .Add(Restricted(
              PupilRow(2, kTayside, "R1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"), "No"))
          .ok());
  REQUIRE(batch
              .Add(Restricted(
                  ContactRow(2, kTayside, "R1", "C1", "Karen", "Taylor", "yes", "", "", "PH3 2QY"),
                  "YES"))
              .ok());
  REQUIRE(
      batch.Add(ContactRow(3, kTayside, "R1", "C2", "David", "McDonald", " no ", "", "", "PH3 1YY"))
          .ok());
  batch.Finish();
  CHECK(batch.errors().empty());
  REQUIRE(batch.pupils().size() == 1);
  CHECK_FALSE(batch.pupils()[0].restricted);
  REQUIRE(batch.contacts().size() == 2);
  CHECK(batch.contacts()[0].parental_responsibility);
  CHECK(batch.contacts()[0].restricted);
  CHECK_FALSE(batch.contacts()[1].parental_responsibility);
  CHECK_FALSE(batch.contacts()[1].restricted);
}

TEST_CASE("repeat of a rejected row is unidentified") {
  RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
  // The first copy of each reference is rejected, and the second is valid.
  REQUIRE(batch.Add(PupilRow(2, kTayside, "R1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2Q"))
              .ok());
  REQUIRE(batch.Add(PupilRow(3, kTayside, "R1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"))
              .ok());
  REQUIRE(
      batch
          .Add(ContactRow(2, kTayside, "R1", "C1", "Karen", "Taylor", "Y", "karen@", "", "PH3 2QY"))
          .ok());
  REQUIRE(batch.Add(ContactRow(3, kTayside, "R1", "C1", "Karen", "Taylor", "Y", "", "", "PH3 2QY"))
              .ok());
  batch.Finish();
  REQUIRE(batch.unidentified().size() == 2);
  CHECK(batch.unidentified()[0].file() == "contacts");
  CHECK(batch.unidentified()[0].row() == 3);
  CHECK(batch.unidentified()[0].reason() ==
        "contact_ref C1 of pupil_ref R1 appears again (first at row 2)");
  CHECK(batch.unidentified()[1].file() == "pupils");
  CHECK(batch.unidentified()[1].row() == 3);
  CHECK(batch.unidentified()[1].reason() == "pupil_ref R1 appears again (first at row 2)");
  CHECK(batch.pupils().empty());
}

TEST_CASE("rejected row with a hold is listed") {
  const v1::RosterRecord noah =
      PupilRow(2, kTayside, "R1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY");
  const v1::RosterRecord karen =
      ContactRow(2, kTayside, "R1", "C1", "Karen", "Taylor", "Y", "", "", "PH3 2QY");
  v1::RosterRecord bad_postcode = Restricted(noah, "Y");
  bad_postcode.mutable_pupil()->set_postcode("PH3 2Q");
  v1::RosterRecord bad_email = Restricted(karen, "Y");
  bad_email.mutable_contact()->set_email("karen@example");
  v1::RosterRecord unreadable_hold = Restricted(karen, "R");
  v1::RosterRecord rejected_pupil = noah;
  rejected_pupil.mutable_pupil()->set_stage("P9");
  v1::RosterRecord missing_pupil = Restricted(karen, "Y");
  missing_pupil.mutable_contact()->set_pupil_ref("R2");

  struct HoldCase {
    const char* name;
    std::vector<v1::RosterRecord> records;
    const char* file;
  };
  const HoldCase cases[] = {
      {"pupil hold with a bad postcode", {bad_postcode, karen}, "pupils"},
      {"contact hold with a bad email", {noah, bad_email}, "contacts"},
      {"unreadable restricted value", {noah, unreadable_hold}, "contacts"},
      {"contact hold of a rejected pupil", {rejected_pupil, Restricted(karen, "Y")}, "contacts"},
      {"contact hold of an absent pupil", {noah, missing_pupil}, "contacts"},
  };

  for (const HoldCase& test : cases) {
    INFO(test.name);
    RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
    for (const v1::RosterRecord& record : test.records) REQUIRE(batch.Add(record).ok());
    batch.Finish();
    REQUIRE(batch.holds().size() == 1);
    CHECK(batch.holds()[0].file() == test.file);
    CHECK(batch.holds()[0].row() == 2);
    CHECK_FALSE(batch.holds()[0].kept_as_before());
    CHECK(batch.unidentified().empty());
  }
}

TEST_CASE("landline is kept but not as a mobile") {
  RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
  REQUIRE(batch.Add(PupilRow(2, kTayside, "R1", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"))
              .ok());
  REQUIRE(batch
              .Add(ContactRow(2, kTayside, "R1", "C1", "Karen", "Taylor", "Y", "", "01738 123456",
                              "PH3 2QY"))
              .ok());
  batch.Finish();
  REQUIRE(batch.contacts().size() == 1);
  CHECK(batch.contacts()[0].mobile.empty());
  CHECK(batch.contacts()[0].landline == "+441738123456");
}

TEST_CASE("record without pupil or contact is an error") {
  RosterBatch batch(kTayside, absl::CivilDay(2026, 3, 4));
  v1::RosterRecord empty;
  empty.set_row(9);
  REQUIRE(batch.Add(empty).ok());
  batch.Finish();
  REQUIRE(batch.errors().size() == 1);
  CHECK(batch.errors()[0].row() == 9);
  CHECK(batch.errors()[0].reason() == "the record contains neither a pupil nor a contact");
}

}  // namespace
}  // namespace pp::link
