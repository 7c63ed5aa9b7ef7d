// Signatures both ways: HMAC-SHA256 of outbound webhook bodies (with a
// timestamp against replay) and verification of PagerDuty v3 webhook
// signatures on inbound calls. Pure functions over bytes (OpenSSL's
// libcrypto HMAC); no clock: `now` is handed in.
#pragma once

#include <string>
#include <string_view>

#include "sla/base/clock.hpp"

namespace sla::notify {

/// Header names of signed outbound webhooks.
inline constexpr std::string_view kTimestampHeader = "X-SLA-Timestamp";   ///< Unix seconds, decimal
inline constexpr std::string_view kSignatureHeader = "X-SLA-Signature";   ///< "v1=<hex>"
/// PagerDuty v3 webhooks: "v1=<hex>[,v1=<hex>...]" (several while a secret rotates).
inline constexpr std::string_view kPagerDutySignatureHeader = "X-PagerDuty-Signature";

/// HMAC-SHA256(key, data) as 64 lower-case hex digits.
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// The outbound signature: "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body),
/// `timestamp_s` being the decimal Unix seconds sent in kTimestampHeader.
/// Signing the timestamp with the body is what makes a replayed old request
/// detectable by the receiver.
[[nodiscard]] std::string sign_webhook(std::string_view secret, std::int64_t timestamp_s, std::string_view body);

/// What a receiver does with a signed webhook: true iff `signature` is
/// sign_webhook(secret, timestamp, body) and `timestamp` (decimal seconds) is
/// within `tolerance_s` of `now`. Constant-time comparison.
[[nodiscard]] bool verify_webhook(std::string_view secret, std::string_view timestamp, std::string_view signature,
                                  std::string_view body, EpochMillis now, std::int64_t tolerance_s = 300);

/// PagerDuty v3: true iff one of the comma-separated "v1=<hex>" entries of
/// `header` equals HMAC-SHA256(secret, body). Constant-time per entry.
[[nodiscard]] bool verify_pagerduty_signature(std::string_view secret, std::string_view header,
                                              std::string_view body);

}  // namespace sla::notify
