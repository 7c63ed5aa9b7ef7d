// The pipeline's logger ("pipeline"): the one the service registered, else a
// clone of the default logger (its sinks and format).
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace sla::pipeline::detail {

inline std::shared_ptr<spdlog::logger> log() {
  static const auto l = [] {
    auto existing = spdlog::get("pipeline");
    return existing ? existing : spdlog::default_logger()->clone("pipeline");
  }();
  return l;
}

}  // namespace sla::pipeline::detail
