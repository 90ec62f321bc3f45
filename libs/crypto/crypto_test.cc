#include "crypto/crypto.h"

#include <catch2/catch.hpp>
#include <set>

using namespace std::string_literals;

TEST_CASE("random tokens are long and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(pp::crypto::RandomToken());
  CHECK(seen.size() == 100);
  CHECK(seen.begin()->size() == 43);
}

TEST_CASE("random digits are digits of the asked length") {
  std::string code = pp::crypto::RandomDigits(6);
  CHECK(code.size() == 6);
  CHECK(code.find_first_not_of("0123456789") == std::string::npos);
}

TEST_CASE("random strings use only the alphabet") {
  std::string text = pp::crypto::RandomString(200, "abc");
  CHECK(text.size() == 200);
  CHECK(text.find_first_not_of("abc") == std::string::npos);
  CHECK(text.find('a') != std::string::npos);
  CHECK(text.find('b') != std::string::npos);
  CHECK(text.find('c') != std::string::npos);
  CHECK(pp::crypto::RandomString(40, "abc") != pp::crypto::RandomString(40, "abc"));
}

TEST_CASE("token hashes are stable SHA-256 hex") {
  CHECK(pp::crypto::HashToken("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("content tags are 128 bits of BLAKE2b") {
  // Python: hashlib.blake2b(b"...", digest_size=16).hexdigest()
  CHECK(pp::crypto::ContentTag("") == "cae66941d9efbd404e4d88758ea67670");
  CHECK(pp::crypto::ContentTag("BEGIN:VCALENDAR") == "8a949fc44d5d8eff3f18a867e49e7f2e");
}

TEST_CASE("password hashes are Argon2id and verify only the right password") {
  auto hash = pp::crypto::HashPassword("correct horse", pp::crypto::PasswordCost::kFastForTests);
  REQUIRE(hash.ok());
  CHECK(hash->rfind("$argon2id$", 0) == 0);
  CHECK(pp::crypto::VerifyPassword(*hash, "correct horse"));
  CHECK_FALSE(pp::crypto::VerifyPassword(*hash, "correct horsE"));
  CHECK_FALSE(pp::crypto::VerifyPassword("not a hash", "correct horse"));
}

TEST_CASE("signatures verify only the signed message and key") {
  pp::crypto::SigningKey key = pp::crypto::NewSigningKey();
  std::string signature = pp::crypto::Sign(key, "handoff=1");
  CHECK(pp::crypto::VerifySignature(key.public_key, "handoff=1", signature));
  CHECK_FALSE(pp::crypto::VerifySignature(key.public_key, "handoff=2", signature));
  CHECK_FALSE(
      pp::crypto::VerifySignature(pp::crypto::NewSigningKey().public_key, "handoff=1", signature));
}

TEST_CASE("base64url round-trips binary and rejects junk") {
  std::string bytes = "\x00\xff\x10 binary"s;
  auto decoded = pp::crypto::Base64UrlDecode(pp::crypto::Base64UrlEncode(bytes));
  REQUIRE(decoded.ok());
  CHECK(*decoded == bytes);
  CHECK_FALSE(pp::crypto::Base64UrlDecode("not*base64").ok());
}

TEST_CASE("hmac sha256 matches RFC 4231 test case 2") {
  CHECK(pp::crypto::HmacSha256("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
