// Structured logs: one JSON object per line, for log shippers. sla-timerd and
// sla-notify both write this shape, so one log pipeline reads both.
#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace sla::services {

/// A formatter writing {"ts","level","logger","msg"} lines: UTC time with
/// milliseconds, and the message escaped as a JSON string (quotes, control
/// characters, invalid UTF-8 replaced), so every line parses whatever a
/// ticket id or an error from a library contains.
[[nodiscard]] std::unique_ptr<spdlog::formatter> json_log_formatter();

}  // namespace sla::services
