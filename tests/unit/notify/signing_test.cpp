#include "sla/notify/signing.hpp"

#include <gtest/gtest.h>

namespace sla::notify {
namespace {

TEST(Signing, HmacSha256MatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signing, WebhookSignatureCoversTimestampAndBody) {
  const std::string sig = sign_webhook("k", 1700000000, R"({"a":1})");
  EXPECT_EQ(sig, "v1=" + hmac_sha256_hex("k", R"(1700000000.{"a":1})"));
  const EpochMillis now = 1700000010'000;
  EXPECT_TRUE(verify_webhook("k", "1700000000", sig, R"({"a":1})", now));
  EXPECT_FALSE(verify_webhook("k", "1700000000", sig, R"({"a":2})", now));        // body changed
  EXPECT_FALSE(verify_webhook("k", "1700000001", sig, R"({"a":1})", now));        // timestamp changed
  EXPECT_FALSE(verify_webhook("other", "1700000000", sig, R"({"a":1})", now));    // wrong key
  EXPECT_FALSE(verify_webhook("k", "1700000000", sig, R"({"a":1})", now + 600'000));  // replayed later
  EXPECT_FALSE(verify_webhook("k", "17e8", sig, R"({"a":1})", now));
}

TEST(Signing, PagerDutySignatureAcceptsAnyListedSecret) {
  const std::string body = R"({"event":{}})";
  const std::string good = "v1=" + hmac_sha256_hex("secret", body);
  const std::string other = "v1=" + hmac_sha256_hex("old", body);
  EXPECT_TRUE(verify_pagerduty_signature("secret", good, body));
  EXPECT_TRUE(verify_pagerduty_signature("secret", other + ", " + good, body));
  EXPECT_FALSE(verify_pagerduty_signature("secret", other, body));
  EXPECT_FALSE(verify_pagerduty_signature("secret", good, body + " "));
  EXPECT_FALSE(verify_pagerduty_signature("secret", "", body));
  EXPECT_FALSE(verify_pagerduty_signature("secret", good.substr(3), body));  // no "v1="
}

}  // namespace
}  // namespace sla::notify
