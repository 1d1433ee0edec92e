#include "hubspot/signature.hpp"

#include <gtest/gtest.h>

namespace revlens::hubspot {
namespace {

// Test vectors from HubSpot's Python client (tests/spec/utils/test_signature.py),
// hubspot-api-notes.md section 8.
constexpr std::string_view kSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
constexpr std::string_view kBody = "{'example_field':'example_value'}";
constexpr std::string_view kUri = "https://www.example.com/webhook_uri";
constexpr int64_t kTimestamp = 1693657560000;
constexpr std::string_view kV3 = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=";

TEST(Signature, V1MatchesHubSpotVector) {
  const std::string sig = SignatureV1(kSecret, kBody);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_EQ(sig.substr(0, 8), "69fc6631");
  EXPECT_EQ(sig.substr(sig.size() - 10), "c1fa57f750");
  EXPECT_TRUE(VerifyV1(kSecret, kBody, sig));
}

TEST(Signature, V2MatchesHubSpotVector) {
  const std::string sig = SignatureV2(kSecret, "POST", kUri, kBody);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_EQ(sig.substr(0, 8), "4fe4e3a7");
  EXPECT_EQ(sig.substr(sig.size() - 10), "a689a1c383");
  EXPECT_TRUE(VerifyV2(kSecret, "POST", kUri, kBody, sig));
}

TEST(Signature, V3MatchesHubSpotVector) {
  EXPECT_EQ(SignatureV3(kSecret, "POST", kUri, kBody, kTimestamp), kV3);
  EXPECT_TRUE(VerifyV3(kSecret, "POST", kUri, kBody, kTimestamp, kV3, kTimestamp + 1000));
  EXPECT_TRUE(VerifyV3(kSecret, "POST", kUri, kBody, std::string_view("1693657560000"), kV3, kTimestamp));
}

TEST(Signature, HexComparisonIgnoresCase) {
  std::string upper = SignatureV1(kSecret, kBody);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyV1(kSecret, kBody, upper));
}

TEST(Signature, TamperedInputsAreRejected) {
  const std::string v1 = SignatureV1(kSecret, kBody);
  const std::string v2 = SignatureV2(kSecret, "POST", kUri, kBody);
  const std::string tampered = "{'example_field':'example_valuf'}";
  EXPECT_FALSE(VerifyV1(kSecret, tampered, v1));
  EXPECT_FALSE(VerifyV1("other-secret", kBody, v1));
  EXPECT_FALSE(VerifyV1(kSecret, kBody, v1.substr(0, 63)));
  EXPECT_FALSE(VerifyV2(kSecret, "POST", kUri, tampered, v2));
  EXPECT_FALSE(VerifyV2(kSecret, "GET", kUri, kBody, v2));
  EXPECT_FALSE(VerifyV2(kSecret, "POST", "https://www.example.com/other", kBody, v2));
  EXPECT_FALSE(VerifyV3(kSecret, "POST", kUri, tampered, kTimestamp, kV3, kTimestamp));
  EXPECT_FALSE(VerifyV3(kSecret, "POST", kUri, kBody, kTimestamp + 1, kV3, kTimestamp));
  EXPECT_FALSE(VerifyV3("other-secret", "POST", kUri, kBody, kTimestamp, kV3, kTimestamp));
  EXPECT_FALSE(VerifyV3(kSecret, "POST", kUri, kBody, kTimestamp, "", kTimestamp));
}

TEST(Signature, V3TimestampWindowIsFiveMinutesEitherWay) {
  const int64_t five_min = 5 * 60 * 1000;
  EXPECT_TRUE(VerifyV3(kSecret, "POST", kUri, kBody, kTimestamp, kV3, kTimestamp + five_min));
  EXPECT_FALSE(VerifyV3(kSecret, "POST", kUri, kBody, kTimestamp, kV3, kTimestamp + five_min + 1));
  EXPECT_TRUE(VerifyV3(kSecret, "POST", kUri, kBody, kTimestamp, kV3, kTimestamp - five_min));
  EXPECT_FALSE(VerifyV3(kSecret, "POST", kUri, kBody, kTimestamp, kV3, kTimestamp - five_min - 1));
}

TEST(Signature, V3RejectsMalformedTimestampHeader) {
  for (std::string_view bad : {"", "abc", "1693657560000x", " 1693657560000", "-"}) {
    EXPECT_FALSE(VerifyV3(kSecret, "POST", kUri, kBody, bad, kV3, kTimestamp)) << bad;
  }
}

TEST(Signature, V3SignsEveryPart) {
  // A fresh signature round-trips and changes with each input.
  const std::string a = SignatureV3("s", "POST", "http://127.0.0.1:1/x", "[]", 1);
  EXPECT_NE(a, SignatureV3("s", "POST", "http://127.0.0.1:1/x", "[]", 2));
  EXPECT_NE(a, SignatureV3("s", "PUT", "http://127.0.0.1:1/x", "[]", 1));
  EXPECT_NE(a, SignatureV3("s", "POST", "http://127.0.0.1:1/y", "[]", 1));
  EXPECT_NE(a, SignatureV3("t", "POST", "http://127.0.0.1:1/x", "[]", 1));
  EXPECT_EQ(a.size(), 44u);
}

}  // namespace
}  // namespace revlens::hubspot
