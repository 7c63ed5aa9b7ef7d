// The retry rules of one delivery attempt: what an HTTP outcome means
// (delivered, try again later, or give up into the DLQ), exponential backoff
// with jitter, `Retry-After` (seconds or an HTTP date), and the retry
// deadline. Pure: `now` and the random draw are handed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sla/base/clock.hpp"
#include "sla/notify/model.hpp"

namespace sla::notify {

/// What one HTTP attempt gave.
struct AttemptResult {
  int status = 0;           ///< HTTP status; 0 when no response arrived
  std::string error;        ///< transport/TLS error text; "" when a response arrived
  bool timed_out = false;   ///< the request exceeded its timeout
  bool permanent = false;   ///< the request could not be built or sent for a reason retrying won't fix
  std::string retry_after;  ///< the `Retry-After` header value, "" if none
  std::string body;         ///< the response body (the client truncates it)
};

enum class Verdict : std::uint8_t { kDelivered, kRetry, kDeadLetter };

struct Decision {
  Verdict verdict = Verdict::kDelivered;
  EpochMillis retry_at = 0;  ///< kRetry: not before this
  /// Why: kRetry "http_5xx", "http_429", "timeout", "transport"; kDeadLetter
  /// "rejected" (a 4xx other than 408/429), "retry_deadline", "permanent".
  std::string reason;
};

/// `Retry-After` as a delay in ms from `now`: delta-seconds ("120") or an
/// IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT"; a past date gives 0).
/// nullopt when absent or unparsable.
[[nodiscard]] std::optional<std::int64_t> parse_retry_after(std::string_view value, EpochMillis now);

/// Backoff before retry number `failures` (1 = after the first failure):
/// d = min(backoff_max, backoff_initial * 2^(failures-1)), and the delay is
/// d/2 + (random mod (d/2 + 1)): in [d/2, d] ("equal jitter", so retries of
/// many deliveries spread out but never come sooner than half the step).
[[nodiscard]] std::int64_t backoff_delay(const Destination& dest, std::uint32_t failures, std::uint64_t random);

/// Decides what follows an attempt. `failures` counts failed attempts
/// including this one; `first_try` is when the delivery was first attempted.
/// 2xx: delivered. 429 and 503 honour Retry-After (else backoff); 408, 5xx,
/// timeouts and transport errors back off; other statuses (4xx, and 1xx/3xx,
/// which a webhook endpoint never legitimately answers) are dead-lettered
/// at once ("rejected"). A retry that would start after first_try +
/// retry_deadline_ms is dead-lettered instead ("retry_deadline").
[[nodiscard]] Decision decide(const Destination& dest, EpochMillis first_try, std::uint32_t failures,
                              const AttemptResult& result, EpochMillis now, std::uint64_t random);

/// A token bucket: `rate` tokens a second up to `burst`, starting full.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst), tokens_(burst) {}
  /// When the next token is available (`now` if it is).
  [[nodiscard]] EpochMillis ready_at(EpochMillis now) const;
  /// Takes a token if one is available at `now`; false otherwise.
  bool try_take(EpochMillis now);

 private:
  void refill(EpochMillis now);
  double rate_;
  double burst_;
  double tokens_;
  EpochMillis last_ = 0;
  bool started_ = false;
};

}  // namespace sla::notify
