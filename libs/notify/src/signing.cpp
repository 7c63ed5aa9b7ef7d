#include "sla/notify/signing.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace sla::notify {
namespace {

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() (one-shot) over SHA-256; keys longer than INT_MAX do not occur.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{len} * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xf]);
  }
  return out;
}

std::string sign_webhook(std::string_view secret, std::int64_t timestamp_s, std::string_view body) {
  std::string signed_text = std::to_string(timestamp_s);
  signed_text.append(1, '.').append(body);
  return "v1=" + hmac_sha256_hex(secret, signed_text);
}

bool verify_webhook(std::string_view secret, std::string_view timestamp, std::string_view signature,
                    std::string_view body, EpochMillis now, std::int64_t tolerance_s) {
  std::int64_t ts = 0;
  const auto* end = timestamp.data() + timestamp.size();
  if (timestamp.empty() || std::from_chars(timestamp.data(), end, ts).ptr != end) return false;
  const std::int64_t now_s = now / 1000;
  if (ts > now_s + tolerance_s || ts < now_s - tolerance_s) return false;
  return equal_ct(sign_webhook(secret, ts, body), trim(signature));
}

bool verify_pagerduty_signature(std::string_view secret, std::string_view header, std::string_view body) {
  const std::string expected = "v1=" + hmac_sha256_hex(secret, body);
  bool ok = false;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto entry = trim(header.substr(0, comma));
    ok = equal_ct(entry, expected) || ok;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return ok;
}

}  // namespace sla::notify
