#include "roster_rows/roster_rows_digest.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace pp::roster_rows {
namespace {

namespace v1 = parentsportal::link::v1;

std::vector<v1::RosterRecord> SampleRows() {
  std::vector<v1::RosterRecord> records(2);
  records[0].set_row(2);
  v1::Pupil& pupil = *records[0].mutable_pupil();
  pupil.set_seed_code("5300011");
  pupil.set_school_name("Ashgrove Primary");
  pupil.set_pupil_ref("P100");
  pupil.set_forename("Ailsa");
  pupil.set_surname("Mac Donald");
  pupil.set_date_of_birth("01/02/2015");
  pupil.set_stage("P5");
  pupil.set_address_line1("1 High St");
  pupil.set_town("Perth");
  pupil.set_postcode("PH1 1AA");
  records[1].set_row(2);
  v1::Contact& contact = *records[1].mutable_contact();
  contact.set_seed_code("5300011");
  contact.set_pupil_ref("P100");
  contact.set_contact_ref("C1");
  contact.set_title("Mrs");
  contact.set_forename("Morag");
  contact.set_surname("Mac Donald");
  contact.set_relationship("Mother");
  contact.set_parental_responsibility("Y");
  contact.set_lives_with_pupil("Y");
  contact.set_email("morag@example.org");
  contact.set_mobile("07700 900123");
  contact.set_address_line1("1 High St");
  contact.set_town("Perth");
  contact.set_postcode("PH1 1AA");
  contact.set_priority("1");
  contact.set_restricted("N");
  return records;
}

TEST_CASE("rows digest matches the documented encoding") {
  // Computed apart from this code, with Python's hashlib.blake2b
  // (digest_size=32) over the encoding link.proto describes.
  CHECK(DigestOfRows({}) == "506f60597ebbb2d77210054fc0deb178d2a0857b1017b4034afc26c28a4a0b3d");
  CHECK(DigestOfRows(SampleRows()) ==
        "b5c1f0a6a93ef22b33e092adb499f48d0fac4bbe8a16dd9a6dcb670bc1112233");
}

TEST_CASE("rows digest covers every pupil and contact field") {
  const std::string before = DigestOfRows(SampleRows());
  for (int record = 0; record < 2; ++record) {
    std::vector<v1::RosterRecord> probe = SampleRows();
    google::protobuf::Message* fields =
        record == 0 ? static_cast<google::protobuf::Message*>(probe[0].mutable_pupil())
                    : probe[1].mutable_contact();
    const google::protobuf::Descriptor* descriptor = fields->GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = descriptor->field(i);
      INFO(field->full_name());
      // The digest reads each field as one string, in field number order.
      REQUIRE(field->type() == google::protobuf::FieldDescriptor::TYPE_STRING);
      REQUIRE_FALSE(field->is_repeated());
      if (i > 0) REQUIRE(descriptor->field(i - 1)->number() < field->number());

      std::vector<v1::RosterRecord> changed = SampleRows();
      google::protobuf::Message* target =
          record == 0 ? static_cast<google::protobuf::Message*>(changed[0].mutable_pupil())
                      : changed[1].mutable_contact();
      const std::string value = target->GetReflection()->GetString(*target, field);
      target->GetReflection()->SetString(target, field, value + "x");
      CHECK(DigestOfRows(changed) != before);
    }
  }
}

TEST_CASE("rows digest depends on order and row numbers") {
  const std::vector<v1::RosterRecord> rows = SampleRows();
  const std::string before = DigestOfRows(rows);

  std::vector<v1::RosterRecord> swapped = {rows[1], rows[0]};
  CHECK(DigestOfRows(swapped) != before);

  std::vector<v1::RosterRecord> renumbered = rows;
  renumbered[1].set_row(3);
  CHECK(DigestOfRows(renumbered) != before);

  // A value moved from the end of one field to the start of the next
  // gives another digest, because each value carries its length.
  std::vector<v1::RosterRecord> shifted = rows;
  shifted[0].mutable_pupil()->set_forename("Ails");
  shifted[0].mutable_pupil()->set_preferred_forename("a");
  CHECK(DigestOfRows(shifted) != before);
}

TEST_CASE("rows digest of a record with neither pupil nor contact") {
  std::vector<v1::RosterRecord> rows = SampleRows();
  const std::string before = DigestOfRows(rows);
  rows[1].clear_contact();
  CHECK(DigestOfRows(rows) != before);
  CHECK(DigestOfRows(rows).size() == 64);
}

}  // namespace
}  // namespace pp::roster_rows
