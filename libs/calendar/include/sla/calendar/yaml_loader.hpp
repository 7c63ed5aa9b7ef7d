// YAML loader for the `calendars:` section of a policy file (SPEC 2.1).
// Parses text already in memory (yaml-cpp) into a CalendarSet; it does no
// I/O itself: files referenced by `ics:` are read through an injected
// callback. Collects every error with file, line and column instead of
// stopping at the first.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sla/base/result.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/yaml/reader.hpp"

namespace sla::calendar {

/// One load error: the shared YAML reader's (file, 1-based line and column,
/// message naming the key path); `format` gives "file:line:col: message".
using LoadError = sla::yaml::Error;
using sla::yaml::format;

struct LoadOptions {
  std::string file;  ///< used in error messages
  /// Reads a file referenced by `ics:`; receives the path exactly as written
  /// in the YAML (the caller resolves it relative to the policy file's
  /// directory). Unset: `ics:` is a load error.
  std::function<sla::Result<std::string>(const std::string& path)> read_file;
  /// False for a policy that does not come from a file of the operator's
  /// (one posted to the HTTP API): `ics:` is then a load error and read_file
  /// is never called. When true, `ics:` paths must still stay inside the
  /// policy's folder: relative, with no ".." component (a load error otherwise).
  bool allow_files = true;
};

/// Parses the `calendars:` mapping node of a policy file (SPEC 2.1 shape).
/// Collects ALL errors (unknown time zone, overlapping intervals, 25:00,
/// unknown weekday, bad holiday rule, unknown key, unknown include, include
/// cycle, bad ics) into `errors`. Returns nullptr iff errors were added. A
/// null/absent node yields a set with only 24x7.
[[nodiscard]] std::shared_ptr<const CalendarSet> load_calendars(const YAML::Node& calendars,
                                                                const LoadOptions& opts,
                                                                std::vector<LoadError>& errors);

/// Parses a whole document and loads its `calendars:` key; other top-level
/// keys are ignored here, `version` must be 1 if present. YAML syntax errors
/// are reported with their position.
[[nodiscard]] std::shared_ptr<const CalendarSet> load_calendars_from_text(std::string_view yaml_text,
                                                                          const LoadOptions& opts,
                                                                          std::vector<LoadError>& errors);

}  // namespace sla::calendar
