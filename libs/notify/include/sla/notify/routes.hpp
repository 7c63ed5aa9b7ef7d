// The routes file: destinations (PagerDuty, Slack, signed webhooks) and the
// rules sending pages and notices to them, matched on target, rotation,
// severity, tenant, metric and kind. Loading collects every problem with
// file:line:col, as the policy loader does, so a user fixes a file in one
// pass. Pure: the text and the environment (for secrets given by variable
// name) are handed in; no file is read here.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sla/notify/model.hpp"
#include "sla/yaml/reader.hpp"

namespace sla::notify {

/// One load problem: the shared YAML reader's (file, 1-based line and
/// column, message); `format` gives "file:line:col: message".
using LoadError = sla::yaml::Error;
using sla::yaml::format;

/// A condition on one field: empty `values` matches anything; otherwise the
/// field must equal one of them (exact, case-sensitive).
struct Matcher {
  std::vector<std::string> values;
  [[nodiscard]] bool matches(std::string_view v) const;
};

/// One rule. A page matches when every matcher holds and "page" is in
/// `kinds`; a notice when its kind is in `kinds` and every matcher holds
/// (`target` and `rotation` must be empty to match a notice: notices have
/// neither).
struct Route {
  Matcher target, rotation, severity, tenant, metric;
  std::vector<std::string> kinds{"page"};
  std::vector<std::size_t> destinations;  ///< indices into Routes::destinations
  bool continue_ = false;                 ///< keep matching later routes
  int line = 0;                           ///< where it was written (for logs)
};

struct Routes {
  std::vector<Destination> destinations;
  std::vector<Route> routes;
  /// Base URL of the dashboard; links point at `<dashboard_url>/v1/tickets/<id>`
  /// ("" = no links).
  std::string dashboard_url;

  /// Destinations for `page`: routes in file order, the first match wins
  /// unless it says `continue: true`; each destination at most once, in
  /// first-seen order.
  [[nodiscard]] std::vector<std::size_t> route(const Page& page) const;
  [[nodiscard]] std::vector<std::size_t> route(const Notice& notice) const;
  /// Index of the destination called `name`, if any.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const;
};

/// Environment variables as name -> value (secrets given as `*_env`).
using Environment = std::map<std::string, std::string>;

/// Parses and validates a routes file. Returns nullopt iff `errors` gained
/// an entry (errors are appended in file order). Never throws for bad input.
[[nodiscard]] std::optional<Routes> load_routes(std::string_view yaml_text, const std::string& file,
                                                const Environment& env, std::vector<LoadError>& errors);

}  // namespace sla::notify
