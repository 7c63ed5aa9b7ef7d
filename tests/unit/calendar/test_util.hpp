// Helpers for the calendar unit tests: load calendars from YAML text and
// write instants readably.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/calendar/yaml_loader.hpp"

namespace sla::calendar::testing {

/// Loads `yaml` (a whole policy document); fails the test on errors.
inline std::shared_ptr<const CalendarSet> load_ok(const std::string& yaml,
                                                  std::map<std::string, std::string> files = {}) {
  LoadOptions opts;
  opts.file = "test.yaml";
  opts.read_file = [files](const std::string& p) -> sla::Result<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return sla::fail(ErrorCode::kNotFound, "no such file");
    return it->second;
  };
  std::vector<LoadError> errors;
  auto set = load_calendars_from_text(yaml, opts, errors);
  for (const auto& e : errors) ADD_FAILURE() << format(e);
  return set;
}

/// RFC 3339 -> epoch ms; aborts the test on a typo.
inline EpochMillis at(const std::string& rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(0);
}

inline std::string fmt(EpochMillis t) { return format_rfc3339(t); }

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 3'600'000;

}  // namespace sla::calendar::testing
