#include "sla/calendar/duration.hpp"

#include <gtest/gtest.h>

namespace sla::calendar {
namespace {

constexpr std::int64_t kS = 1000;

TEST(Duration, ParsesFixedUnits) {
  EXPECT_EQ(parse_duration("15m").value(), Duration::fixed(15 * 60 * kS));
  EXPECT_EQ(parse_duration("4h").value(), Duration::fixed(4 * 3600 * kS));
  EXPECT_EQ(parse_duration("1h30m").value(), Duration::fixed(90 * 60 * kS));
  EXPECT_EQ(parse_duration("90s").value(), Duration::fixed(90 * kS));
  EXPECT_EQ(parse_duration("2d").value(), Duration::fixed(48 * 3600 * kS));
  EXPECT_EQ(parse_duration("1d2h3m4s").value(), Duration::fixed(((24 + 2) * 3600 + 3 * 60 + 4) * kS));
  EXPECT_EQ(parse_duration("0m").value(), Duration::fixed(0));
  EXPECT_EQ(parse_duration("250ms").value(), Duration::fixed(250));
}

TEST(Duration, ParsesBusinessDays) {
  EXPECT_EQ(parse_duration("2bd").value(), Duration::bd(2));
  EXPECT_EQ(parse_duration("1bd").value(), Duration::bd(1));
  EXPECT_EQ(parse_duration("nbd").value(), Duration::nbd());
}

TEST(Duration, RejectsWithClearMessages) {
  for (const char* bad : {"", "15", "m", "15x", "1h2h", "30m1h", "-5m", "1.5h", "2bd1h", "1h2bd", "bd", " 5m", "5m ",
                          "nbd2", "1 h"}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find("invalid duration"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(parse_duration("15x").error().message.find("unknown unit 'x'"), std::string::npos);
  EXPECT_EQ(parse_duration("999999999999999999d").error().code, ErrorCode::kOutOfRange);
}

TEST(Duration, CanonicalTextRoundTrips) {
  EXPECT_EQ(to_string(Duration::fixed(90 * 60 * kS)), "1h30m");
  EXPECT_EQ(to_string(Duration::fixed(0)), "0s");
  EXPECT_EQ(to_string(Duration::fixed(48 * 3600 * kS)), "2d");
  EXPECT_EQ(to_string(Duration::fixed(1500)), "1s500ms");
  EXPECT_EQ(to_string(Duration::bd(3)), "3bd");
  EXPECT_EQ(to_string(Duration::nbd()), "nbd");
  for (const char* text : {"15m", "4h", "1h30m", "90s", "2d", "2bd", "nbd", "1d2h3m4s"}) {
    const Duration d = parse_duration(text).value();
    EXPECT_EQ(parse_duration(to_string(d)).value(), d) << text;
  }
  EXPECT_EQ(to_string(parse_duration("90s").value()), "1m30s");
}

}  // namespace
}  // namespace sla::calendar
