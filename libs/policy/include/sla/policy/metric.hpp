// sla::policy::Metric: the four built-in SLA clock kinds (SPEC 1, 3) and
// their names as they appear in policy files and on the wire. Not a clock:
// the engine owns clock state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sla::policy {

/// One SLA clock kind. The numeric values index per-metric arrays
/// (`static_cast<std::size_t>(metric)`) and are stable.
enum class Metric : std::uint8_t {
  kResponse = 0,    ///< first response: starts at open, met by `responded`
  kUpdate = 1,      ///< agent update cadence: restarts at every `agent_updated`
  kWorkaround = 2,  ///< met by `workaround_provided` or resolve
  kResolution = 3,  ///< met by resolve
};

/// Number of metrics; the size of per-metric arrays.
inline constexpr std::size_t kMetricCount = 4;

/// Every metric in declaration order, for iteration.
inline constexpr std::array<Metric, kMetricCount> kAllMetrics{
    Metric::kResponse, Metric::kUpdate, Metric::kWorkaround, Metric::kResolution};

/// Array index of `m` (0..kMetricCount-1).
[[nodiscard]] constexpr std::size_t index(Metric m) noexcept { return static_cast<std::size_t>(m); }

/// "response" | "update" | "workaround" | "resolution". Never fails.
[[nodiscard]] std::string_view to_string(Metric m) noexcept;

/// Inverse of to_string (exact, lower case); nullopt for anything else.
[[nodiscard]] std::optional<Metric> parse_metric(std::string_view name) noexcept;

}  // namespace sla::policy
