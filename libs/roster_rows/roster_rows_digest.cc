#include "roster_rows/roster_rows_digest.h"

#include <charconv>
#include <cstdint>
#include <string_view>

namespace pp::roster_rows {
namespace {

namespace v1 = parentsportal::link::v1;

// Names the encoding. A change to it must change this text, so that a
// digest stored by an older build never matches a new one.
constexpr char kEncoding[] = "parentsportal roster rows v1";
constexpr size_t kDigestBytes = 32;

}  // namespace

RowsDigest::RowsDigest() {
  crypto_generichash_init(&state_, nullptr, 0, kDigestBytes);
  AddValue(kEncoding);
  Flush();
}

void RowsDigest::AddValue(std::string_view value) {
  uint64_t size = value.size();
  for (int i = 0; i < 8; ++i) {
    pending_.push_back(static_cast<char>(size & 0xff));
    size >>= 8;
  }
  pending_.append(value);
}

void RowsDigest::Flush() {
  crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(pending_.data()),
                            pending_.size());
  pending_.clear();
}

void RowsDigest::Add(const v1::RosterRecord& record) {
  char row[16];
  const std::to_chars_result written = std::to_chars(row, row + sizeof(row), record.row());
  AddValue(std::string_view(row, written.ptr - row));

  // The fields in field number order. The test "rows digest covers every
  // pupil and contact field" fails when a field is missing here.
  switch (record.record_case()) {
    case v1::RosterRecord::kPupil: {
      const v1::Pupil& pupil = record.pupil();
      AddValue("pupil");
      for (const std::string* value :
           {&pupil.seed_code(), &pupil.school_name(), &pupil.pupil_ref(), &pupil.forename(),
            &pupil.preferred_forename(), &pupil.surname(), &pupil.date_of_birth(), &pupil.stage(),
            &pupil.address_line1(), &pupil.address_line2(), &pupil.town(), &pupil.postcode(),
            &pupil.restricted()}) {
        AddValue(*value);
      }
    } break;
    case v1::RosterRecord::kContact: {
      const v1::Contact& contact = record.contact();
      AddValue("contact");
      for (const std::string* value :
           {&contact.seed_code(), &contact.pupil_ref(), &contact.contact_ref(), &contact.title(),
            &contact.forename(), &contact.surname(), &contact.relationship(),
            &contact.parental_responsibility(), &contact.lives_with_pupil(), &contact.email(),
            &contact.mobile(), &contact.address_line1(), &contact.address_line2(), &contact.town(),
            &contact.postcode(), &contact.priority(), &contact.restricted()}) {
        AddValue(*value);
      }
    } break;
    case v1::RosterRecord::RECORD_NOT_SET:
      AddValue("");
      break;
  }
  Flush();
}

std::string RowsDigest::Finish() {
  unsigned char digest[kDigestBytes];
  crypto_generichash_final(&state_, digest, sizeof(digest));
  char hex[kDigestBytes * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::string(hex, kDigestBytes * 2);
}

std::string DigestOfRows(const std::vector<v1::RosterRecord>& records) {
  RowsDigest digest;
  for (const v1::RosterRecord& record : records) digest.Add(record);
  return digest.Finish();
}

}  // namespace pp::roster_rows
