// Structured logs: one JSON object per line, for log shippers.
#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace sla::timerd {

/// A formatter writing {"ts","level","logger","msg"} lines: UTC time with
/// milliseconds, and the message escaped as a JSON string (quotes, control
/// characters, invalid UTF-8 replaced), so every line parses whatever a
/// ticket id or an error from a library contains.
[[nodiscard]] std::unique_ptr<spdlog::formatter> json_log_formatter();

}  // namespace sla::timerd
