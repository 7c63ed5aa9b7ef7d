#include "sla/notify/routes.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>

#include <yaml-cpp/yaml.h>

namespace sla::notify {

std::string_view to_string(PageAction a) noexcept {
  switch (a) {
    case PageAction::kTrigger: return "trigger";
    case PageAction::kAcknowledge: return "acknowledge";
    case PageAction::kResolve: return "resolve";
  }
  return "trigger";
}

std::string_view to_string(DestinationKind k) noexcept {
  switch (k) {
    case DestinationKind::kPagerDuty: return "pagerduty";
    case DestinationKind::kSlack: return "slack";
    case DestinationKind::kWebhook: return "webhook";
  }
  return "webhook";
}

bool Matcher::matches(std::string_view v) const {
  if (values.empty()) return true;
  return std::any_of(values.begin(), values.end(), [&](const std::string& x) { return x == v; });
}

namespace {

bool contains(const std::vector<std::string>& xs, std::string_view v) {
  return std::find(xs.begin(), xs.end(), v) != xs.end();
}

void add_unique(std::vector<std::size_t>& out, const std::vector<std::size_t>& more) {
  for (const auto d : more) {
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
}

const std::set<std::string, std::less<>> kKinds{"page", "warning", "breached", "met", "escalated"};

class Loader {
 public:
  Loader(sla::yaml::Reader& reader, const Environment& env) : reader_(reader), env_(env) {}

  void error(const YAML::Mark& m, std::string message) { reader_.error_at(m, std::move(message)); }

  void check_keys(const YAML::Node& map, std::initializer_list<const char*> allowed, const std::string& where) {
    for (const auto& kv : map) {
      const auto key = kv.first.Scalar();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        error(kv.first.Mark(), "unknown key '" + key + "' in " + where);
      }
    }
  }

  std::optional<std::string> string(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      error(n.Mark(), what + " must be a string");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<double> number(const YAML::Node& n, const std::string& what, double lo, double hi) {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
      error(n.Mark(), what + " must be a number");
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      error(n.Mark(), what + " must be in " + trim(lo) + ".." + trim(hi));
      return std::nullopt;
    }
    return v;
  }

  static std::string trim(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    return std::to_string(v);
  }

  // A string or a list of strings.
  std::vector<std::string> strings(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
      for (const auto& x : n) {
        if (auto s = string(x, what + " entries")) out.push_back(*s);
      }
      if (out.empty() && n.size() == 0) error(n.Mark(), what + " must not be an empty list");
    } else {
      error(n.Mark(), what + " must be a string or a list of strings");
    }
    return out;
  }

  // `key` or `key_env` (the name of an environment variable holding it).
  std::string secret(const YAML::Node& d, const char* key, const std::string& name) {
    const std::string env_key = std::string(key) + "_env";
    if (d[key] && d[env_key]) {
      error(d[env_key].Mark(), "destination '" + name + "': give " + key + " or " + env_key + ", not both");
      return {};
    }
    if (const auto n = d[key]) return string(n, std::string(key)).value_or("");
    if (const auto n = d[env_key]) {
      const auto var = string(n, env_key);
      if (!var) return {};
      const auto it = env_.find(*var);
      if (it == env_.end() || it->second.empty()) {
        error(n.Mark(), "destination '" + name + "': environment variable " + *var + " is not set");
        return {};
      }
      return it->second;
    }
    return {};
  }

  void destination(const YAML::Node& d, Routes& out, std::set<std::string, std::less<>>& names) {
    if (!d.IsMap()) {
      error(d.Mark(), "a destination must be a mapping");
      return;
    }
    check_keys(d,
               {"name", "type", "url", "routing_key", "routing_key_env", "secret", "secret_env", "rate_per_second",
                "burst", "concurrency", "retry_deadline_ms", "backoff_initial_ms", "backoff_max_ms", "max_queue"},
               "a destination");
    Destination dest;
    if (const auto n = d["name"]) {
      dest.name = string(n, "name").value_or("");
      if (!dest.name.empty() && !names.insert(dest.name).second) {
        error(n.Mark(), "destination '" + dest.name + "' is defined twice");
      }
    } else {
      error(d.Mark(), "a destination needs a name");
    }
    bool typed = false;
    if (const auto n = d["type"]) {
      const auto t = string(n, "type").value_or("");
      typed = t == "pagerduty" || t == "slack" || t == "webhook";
      if (t == "pagerduty") {
        dest.kind = DestinationKind::kPagerDuty;
      } else if (t == "slack") {
        dest.kind = DestinationKind::kSlack;
      } else if (t == "webhook") {
        dest.kind = DestinationKind::kWebhook;
      } else {
        error(n.Mark(), "type must be pagerduty, slack or webhook, not '" + t + "'");
      }
    } else {
      error(d.Mark(), "destination '" + dest.name + "' needs a type");
    }
    if (const auto n = d["url"]) {
      dest.url = string(n, "url").value_or("");
      if (dest.url.rfind("https://", 0) != 0 || dest.url.size() <= 8) {
        error(n.Mark(), "url must start with https:// (certificates are always verified)");
      }
    } else {
      error(d.Mark(), "destination '" + dest.name + "' needs a url");
    }
    dest.routing_key = secret(d, "routing_key", dest.name);
    dest.secret = secret(d, "secret", dest.name);
    if (typed && dest.kind == DestinationKind::kPagerDuty && dest.routing_key.empty() && !d["routing_key_env"]) {
      error(d.Mark(), "pagerduty destination '" + dest.name + "' needs routing_key or routing_key_env");
    }
    if (typed && dest.kind == DestinationKind::kWebhook && dest.secret.empty() && !d["secret_env"]) {
      error(d.Mark(), "webhook destination '" + dest.name + "' needs secret or secret_env (bodies are signed)");
    }
    if (const auto n = d["rate_per_second"]) dest.rate_per_second = number(n, "rate_per_second", 0.01, 100000).value_or(dest.rate_per_second);
    if (const auto n = d["burst"]) dest.burst = number(n, "burst", 1, 100000).value_or(dest.burst);
    if (const auto n = d["concurrency"]) dest.concurrency = static_cast<std::uint32_t>(number(n, "concurrency", 1, 256).value_or(dest.concurrency));
    if (const auto n = d["retry_deadline_ms"]) dest.retry_deadline_ms = static_cast<std::int64_t>(number(n, "retry_deadline_ms", 1000, 7 * 86400e3).value_or(static_cast<double>(dest.retry_deadline_ms)));
    if (const auto n = d["backoff_initial_ms"]) dest.backoff_initial_ms = static_cast<std::int64_t>(number(n, "backoff_initial_ms", 1, 3600e3).value_or(static_cast<double>(dest.backoff_initial_ms)));
    if (const auto n = d["backoff_max_ms"]) dest.backoff_max_ms = static_cast<std::int64_t>(number(n, "backoff_max_ms", 1, 3600e3).value_or(static_cast<double>(dest.backoff_max_ms)));
    if (const auto n = d["max_queue"]) dest.max_queue = static_cast<std::size_t>(number(n, "max_queue", 1, 1e7).value_or(static_cast<double>(dest.max_queue)));
    if (dest.backoff_max_ms < dest.backoff_initial_ms) {
      error(d.Mark(), "destination '" + dest.name + "': backoff_max_ms is less than backoff_initial_ms");
    }
    out.destinations.push_back(std::move(dest));
  }

  void route(const YAML::Node& r, Routes& out) {
    if (!r.IsMap()) {
      error(r.Mark(), "a route must be a mapping");
      return;
    }
    check_keys(r, {"match", "to", "continue"}, "a route");
    Route route;
    route.line = r.Mark().line + 1;
    if (const auto m = r["match"]) {
      if (!m.IsMap()) {
        error(m.Mark(), "match must be a mapping");
      } else {
        check_keys(m, {"target", "rotation", "severity", "tenant", "metric", "kind"}, "match");
        if (const auto n = m["target"]) route.target.values = strings(n, "target");
        if (const auto n = m["rotation"]) route.rotation.values = strings(n, "rotation");
        if (const auto n = m["severity"]) route.severity.values = strings(n, "severity");
        if (const auto n = m["tenant"]) route.tenant.values = strings(n, "tenant");
        if (const auto n = m["metric"]) {
          route.metric.values = strings(n, "metric");
          for (const auto& v : route.metric.values) {
            if (v != "response" && v != "update" && v != "workaround" && v != "resolution") {
              error(n.Mark(), "metric must be response, update, workaround or resolution, not '" + v + "'");
            }
          }
        }
        if (const auto n = m["kind"]) {
          route.kinds = strings(n, "kind");
          for (const auto& k : route.kinds) {
            if (!kKinds.contains(k)) {
              error(n.Mark(), "kind must be page, warning, breached, met or escalated, not '" + k + "'");
            }
          }
        }
      }
    }
    const bool notices = std::any_of(route.kinds.begin(), route.kinds.end(), [](const auto& k) { return k != "page"; });
    if (notices && (!route.target.values.empty() || !route.rotation.values.empty())) {
      error(r["match"].Mark(), "target and rotation match pages only; this route also takes notices");
    }
    if (const auto t = r["to"]) {
      for (const auto& name : strings(t, "to")) {
        const auto idx = out.find(name);
        if (!idx) {
          error(t.Mark(), "unknown destination '" + name + "'");
          continue;
        }
        if (notices && out.destinations[*idx].kind == DestinationKind::kPagerDuty) {
          error(t.Mark(), "destination '" + name + "' is pagerduty, which takes pages only (match kind: page)");
        }
        if (std::find(route.destinations.begin(), route.destinations.end(), *idx) == route.destinations.end()) {
          route.destinations.push_back(*idx);
        }
      }
    } else {
      error(r.Mark(), "a route needs 'to' (one or more destinations)");
    }
    if (const auto c = r["continue"]) {
      bool v = false;
      if (!c.IsScalar() || !YAML::convert<bool>::decode(c, v)) error(c.Mark(), "continue must be true or false");
      route.continue_ = v;
    }
    out.routes.push_back(std::move(route));
  }

  void load(const YAML::Node& root, Routes& out) {
    if (!root.IsMap()) {
      error(root.Mark(), "the routes file must be a mapping with 'destinations' and 'routes'");
      return;
    }
    check_keys(root, {"dashboard_url", "destinations", "routes"}, "the top level");
    if (const auto n = root["dashboard_url"]) {
      out.dashboard_url = string(n, "dashboard_url").value_or("");
      while (!out.dashboard_url.empty() && out.dashboard_url.back() == '/') out.dashboard_url.pop_back();
    }
    std::set<std::string, std::less<>> names;
    if (const auto ds = root["destinations"]; ds && ds.IsSequence() && ds.size() > 0) {
      for (const auto& d : ds) destination(d, out, names);
    } else {
      error(ds ? ds.Mark() : root.Mark(), "'destinations' must be a non-empty list");
    }
    if (const auto rs = root["routes"]; rs && rs.IsSequence() && rs.size() > 0) {
      for (const auto& r : rs) route(r, out);
    } else {
      error(rs ? rs.Mark() : root.Mark(), "'routes' must be a non-empty list");
    }
  }

 private:
  sla::yaml::Reader& reader_;
  const Environment& env_;
};

}  // namespace

std::optional<std::size_t> Routes::find(std::string_view name) const {
  for (std::size_t i = 0; i < destinations.size(); ++i) {
    if (destinations[i].name == name) return i;
  }
  return std::nullopt;
}

std::vector<std::size_t> Routes::route(const Page& page) const {
  std::vector<std::size_t> out;
  for (const auto& r : routes) {
    if (!contains(r.kinds, "page")) continue;
    if (!r.target.matches(page.target) || !r.rotation.matches(page.rotation) || !r.severity.matches(page.severity) ||
        !r.tenant.matches(page.tenant_id) || !r.metric.matches(page.metric)) {
      continue;
    }
    add_unique(out, r.destinations);
    if (!r.continue_) break;
  }
  return out;
}

std::vector<std::size_t> Routes::route(const Notice& notice) const {
  std::vector<std::size_t> out;
  for (const auto& r : routes) {
    if (!contains(r.kinds, notice.kind)) continue;
    if (!r.target.values.empty() || !r.rotation.values.empty()) continue;
    if (!r.severity.matches(notice.severity) || !r.tenant.matches(notice.tenant_id) ||
        !r.metric.matches(notice.metric)) {
      continue;
    }
    add_unique(out, r.destinations);
    if (!r.continue_) break;
  }
  return out;
}

std::optional<Routes> load_routes(std::string_view yaml_text, const std::string& file, const Environment& env,
                                  std::vector<LoadError>& errors) {
  sla::yaml::Reader reader(file);
  Loader loader(reader, env);
  Routes out;
  const YAML::Node root = reader.parse(yaml_text, "");
  if (reader.error_count() == 0) {
    try {
      loader.load(root, out);
    } catch (const YAML::Exception& e) {
      loader.error(e.mark, e.msg);
    }
  }
  const bool failed = reader.error_count() != 0;
  for (auto& e : reader.take_sorted_errors()) errors.push_back(std::move(e));
  if (failed) return std::nullopt;
  return out;
}

}  // namespace sla::notify
