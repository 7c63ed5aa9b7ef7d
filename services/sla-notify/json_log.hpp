// JSON-lines log format for sla-notify: {"ts","level","logger","msg"}, one
// object per line, the message escaped as a JSON string (the same shape as
// sla-timerd's logs, so one log pipeline reads both).
#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace sla::notify_service {

[[nodiscard]] std::unique_ptr<spdlog::formatter> json_log_formatter();

}  // namespace sla::notify_service
