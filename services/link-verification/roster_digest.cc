#include "roster_digest.h"

#include <sodium.h>

#include <cstdint>
#include <string_view>

namespace pp::link {
namespace {

// Names the encoding below. A change to what the digest covers must change
// it, so that digests stored by an older build never match.
constexpr std::string_view kEncoding = "roster rows 1";

class Hasher {
 public:
  Hasher() {
    // sodium_init picks the fastest implementation for the processor, and
    // later calls return at once.
    static const int initialised = sodium_init();
    (void)initialised;
    crypto_generichash_init(&state_, nullptr, 0, kDigestBytes);
  }

  void Add(std::string_view value) {
    AddLength(value.size());
    Absorb(value.data(), value.size());
  }

  void Add(bool value) {
    const char byte = value ? 1 : 0;
    Absorb(&byte, 1);
  }

  void AddLength(uint64_t length) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(length >> (8 * i));
    Absorb(bytes, sizeof(bytes));
  }

  std::string Finish() {
    unsigned char digest[kDigestBytes];
    crypto_generichash_final(&state_, digest, sizeof(digest));
    char hex[kDigestBytes * 2 + 1];
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    return hex;
  }

 private:
  static constexpr size_t kDigestBytes = 32;

  void Absorb(const void* data, size_t size) {
    crypto_generichash_update(&state_, static_cast<const unsigned char*>(data), size);
  }

  crypto_generichash_state state_;
};

}  // namespace

std::string RosterDigest(const std::vector<RosterPupil>& pupils,
                         const std::vector<RosterContact>& contacts,
                         const std::set<std::string>& kept_pupils,
                         const std::set<std::pair<std::string, std::string>>& kept_contacts) {
  Hasher hasher;
  hasher.Add(kEncoding);

  // Each list starts with its length, so rows cannot move between lists.
  hasher.AddLength(pupils.size());
  for (const RosterPupil& p : pupils) {
    hasher.Add(p.pupil_ref);
    hasher.Add(p.forename);
    hasher.Add(p.preferred_forename);
    hasher.Add(p.surname);
    hasher.Add(p.date_of_birth);
    hasher.Add(p.stage);
    hasher.Add(p.postcode);
    hasher.Add(p.restricted);
  }
  hasher.AddLength(contacts.size());
  for (const RosterContact& c : contacts) {
    hasher.Add(c.pupil_ref);
    hasher.Add(c.contact_ref);
    hasher.Add(c.forename);
    hasher.Add(c.surname);
    hasher.Add(c.parental_responsibility);
    hasher.Add(c.email);
    hasher.Add(c.mobile);
    hasher.Add(c.landline);
    hasher.Add(c.postcode);
    hasher.Add(c.restricted);
  }
  hasher.AddLength(kept_pupils.size());
  for (const std::string& pupil_ref : kept_pupils) hasher.Add(pupil_ref);
  hasher.AddLength(kept_contacts.size());
  for (const auto& [pupil_ref, contact_ref] : kept_contacts) {
    hasher.Add(pupil_ref);
    hasher.Add(contact_ref);
  }
  return hasher.Finish();
}

}  // namespace pp::link
