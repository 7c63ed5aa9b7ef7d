// The "http" spdlog logger of the HTTP adapter. Not a log configuration: the
// daemon sets sinks and pattern on the default logger before first use.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}

namespace sla::http {

/// The library's named logger ("http"), created on first use. Thread-safe.
[[nodiscard]] std::shared_ptr<spdlog::logger> logger();

}  // namespace sla::http
