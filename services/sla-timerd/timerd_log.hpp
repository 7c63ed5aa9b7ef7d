// The daemon's logger ("timerd"): the one main() registered, else a clone of
// the default logger (tests).
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace sla::timerd {

inline std::shared_ptr<spdlog::logger> log() {
  static auto l = [] {
    auto existing = spdlog::get("timerd");
    return existing ? existing : spdlog::default_logger()->clone("timerd");
  }();
  return l;
}

}  // namespace sla::timerd
