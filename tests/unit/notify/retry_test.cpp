#include "sla/notify/retry.hpp"

#include <gtest/gtest.h>

namespace sla::notify {
namespace {

Destination dest() {
  Destination d;
  d.backoff_initial_ms = 1000;
  d.backoff_max_ms = 16'000;
  d.retry_deadline_ms = 60'000;
  return d;
}

TEST(RetryAfter, SecondsAndHttpDates) {
  const EpochMillis now = 1445412480'000;  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(parse_retry_after("120", now), 120'000);
  EXPECT_EQ(parse_retry_after(" 0 ", now), 0);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30'000);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);  // in the past
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("-5", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 32 Oct 2015 07:28:30 GMT", now), std::nullopt);
}

TEST(Backoff, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  const Destination d = dest();
  for (std::uint64_t r : {0ULL, 1ULL, 499ULL, 500ULL, 0xffffffffffffULL}) {
    std::int64_t step = 1000;
    for (std::uint32_t n = 1; n <= 10; ++n) {
      const auto delay = backoff_delay(d, n, r);
      EXPECT_GE(delay, step / 2) << n;
      EXPECT_LE(delay, step) << n;
      step = std::min<std::int64_t>(step * 2, 16'000);
    }
  }
  EXPECT_EQ(backoff_delay(d, 1, 0), 500);
  EXPECT_EQ(backoff_delay(d, 1, 500), 1000);
  EXPECT_EQ(backoff_delay(d, 30, 0), 8000);  // capped: no overflow after many failures
}

TEST(Decide, ClassifiesOutcomes) {
  const Destination d = dest();
  const EpochMillis t0 = 1'000'000;
  auto status = [&](int s) {
    AttemptResult r;
    r.status = s;
    return decide(d, t0, 1, r, t0, 0);
  };
  EXPECT_EQ(status(200).verdict, Verdict::kDelivered);
  EXPECT_EQ(status(202).verdict, Verdict::kDelivered);
  EXPECT_EQ(status(500).verdict, Verdict::kRetry);
  EXPECT_EQ(status(500).reason, "http_5xx");
  EXPECT_EQ(status(500).retry_at, t0 + 500);
  EXPECT_EQ(status(408).verdict, Verdict::kRetry);
  EXPECT_EQ(status(400).verdict, Verdict::kDeadLetter);
  EXPECT_EQ(status(400).reason, "rejected");
  EXPECT_EQ(status(404).verdict, Verdict::kDeadLetter);
  EXPECT_EQ(status(301).verdict, Verdict::kDeadLetter);
  AttemptResult timeout;
  timeout.timed_out = true;
  EXPECT_EQ(decide(d, t0, 1, timeout, t0, 0).reason, "timeout");
  AttemptResult reset;
  reset.error = "connection reset";
  EXPECT_EQ(decide(d, t0, 1, reset, t0, 0).reason, "transport");
  AttemptResult bad;
  bad.permanent = true;
  EXPECT_EQ(decide(d, t0, 1, bad, t0, 0).verdict, Verdict::kDeadLetter);
}

TEST(Decide, HonoursRetryAfterOn429) {
  const Destination d = dest();
  AttemptResult r;
  r.status = 429;
  r.retry_after = "7";
  const auto dec = decide(d, 0, 1, r, 100, 0);
  EXPECT_EQ(dec.verdict, Verdict::kRetry);
  EXPECT_EQ(dec.reason, "http_429");
  EXPECT_EQ(dec.retry_at, 7100);  // exactly as asked, not the 500 ms backoff
  r.retry_after = "";
  EXPECT_EQ(decide(d, 0, 1, r, 100, 0).retry_at, 600);  // no header: backoff
}

TEST(Decide, DeadLettersPastTheRetryDeadline) {
  const Destination d = dest();
  AttemptResult r;
  r.status = 503;
  EXPECT_EQ(decide(d, 0, 3, r, 50'000, 0).verdict, Verdict::kRetry);  // 50 s + 2 s <= 60 s
  const auto late = decide(d, 0, 3, r, 59'000, 0);                     // 59 s + 2 s > 60 s
  EXPECT_EQ(late.verdict, Verdict::kDeadLetter);
  EXPECT_EQ(late.reason, "retry_deadline");
  r.status = 429;
  r.retry_after = "3600";  // an hour: past the deadline at once
  EXPECT_EQ(decide(d, 0, 1, r, 0, 0).reason, "retry_deadline");
}

TEST(TokenBucket, BurstThenSustainedRate) {
  TokenBucket b(10.0, 3.0);  // 10/s, burst 3
  EXPECT_TRUE(b.try_take(0));
  EXPECT_TRUE(b.try_take(0));
  EXPECT_TRUE(b.try_take(0));
  EXPECT_FALSE(b.try_take(0));
  EXPECT_EQ(b.ready_at(0), 100);
  EXPECT_FALSE(b.try_take(99));
  EXPECT_TRUE(b.try_take(100));
  EXPECT_EQ(b.ready_at(100), 200);
  // Over ten seconds of constant demand, ~10/s get through (plus the burst).
  int taken = 0;
  for (EpochMillis t = 100; t <= 10'100; ++t) taken += b.try_take(t) ? 1 : 0;
  EXPECT_EQ(taken, 100);
}

}  // namespace
}  // namespace sla::notify
