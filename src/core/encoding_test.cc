#include "core/encoding.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

TEST(Base64Url, Rfc4648Vectors) {
  // RFC 4648 §10, without padding.
  const std::pair<const char*, const char*> cases[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Url, RejectsWhatNoEncoderProduces) {
  for (const char* bad : {"Zm9v=", "Zm+v", "Z", "Zm9vYh", "a b"}) {
    EXPECT_FALSE(Base64UrlDecode(bad)) << bad;
  }
}

TEST(Fingerprint64, StableAndSensitive) {
  EXPECT_EQ(Fingerprint64(""), 14695981039346656037ull);
  EXPECT_EQ(Fingerprint64("a"), 0xaf63dc4c8601ec8cull);  // FNV-1a 64 test vector
  EXPECT_NE(Fingerprint64("userName"), Fingerprint64("username"));
}

}  // namespace
}  // namespace scim::core
