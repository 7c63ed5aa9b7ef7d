#include "config.hpp"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace sla::notify_service {
namespace {

std::string where(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
}

template <typename T>
Result<void> get(const YAML::Node& parent, const char* key, T& out, const std::string& file) {
  const YAML::Node n = parent[key];
  if (!n) return {};
  try {
    out = n.as<T>();
  } catch (const YAML::Exception&) {
    return fail(ErrorCode::kInvalidArgument, where(file, n) + ": bad value for '" + key + "'");
  }
  return {};
}

Result<void> check_keys(const YAML::Node& map, std::initializer_list<const char*> allowed, const std::string& file,
                        const std::string& section) {
  if (!map.IsMap()) return fail(ErrorCode::kInvalidArgument, where(file, map) + ": '" + section + "' must be a mapping");
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) {
      return fail(ErrorCode::kInvalidArgument, where(file, kv.first) + ": unknown key '" + key + "' in '" + section + "'");
    }
  }
  return {};
}

Result<void> from_yaml(const YAML::Node& root, const std::string& file, Config& c) {
  if (!root || root.IsNull()) return {};
  if (auto r = check_keys(root, {"routes", "kafka", "topics", "http", "tls", "pagerduty", "connect_timeout_ms",
                                 "request_timeout_ms", "io_threads", "poll_ms", "commit_interval_ms",
                                 "drain_timeout_ms"},
                          file, "top level");
      !r) {
    return r;
  }
#define SLA_GET(node, key, field) \
  if (auto got_ = get(node, key, field, file); !got_) return got_
  SLA_GET(root, "routes", c.routes_path);
  SLA_GET(root, "connect_timeout_ms", c.connect_timeout_ms);
  SLA_GET(root, "request_timeout_ms", c.request_timeout_ms);
  SLA_GET(root, "io_threads", c.io_threads);
  SLA_GET(root, "poll_ms", c.poll_ms);
  SLA_GET(root, "commit_interval_ms", c.commit_interval_ms);
  SLA_GET(root, "drain_timeout_ms", c.drain_timeout_ms);
  if (const auto k = root["kafka"]) {
    if (auto r = check_keys(k, {"brokers", "security_protocol", "sasl_mechanism", "sasl_username", "sasl_password",
                                "group_id", "client_id", "properties"},
                            file, "kafka");
        !r) {
      return r;
    }
    SLA_GET(k, "brokers", c.kafka.brokers);
    SLA_GET(k, "security_protocol", c.kafka.security_protocol);
    SLA_GET(k, "sasl_mechanism", c.kafka.sasl_mechanism);
    SLA_GET(k, "sasl_username", c.kafka.sasl_username);
    SLA_GET(k, "sasl_password", c.kafka.sasl_password);
    SLA_GET(k, "group_id", c.kafka.group_id);
    SLA_GET(k, "client_id", c.kafka.client_id);
    SLA_GET(k, "properties", c.kafka.properties);
  }
  if (const auto t = root["topics"]) {
    if (auto r = check_keys(t, {"pages", "escalations", "input", "dlq"}, file, "topics"); !r) return r;
    SLA_GET(t, "pages", c.topics.pages);
    SLA_GET(t, "escalations", c.topics.escalations);
    SLA_GET(t, "input", c.topics.input);
    SLA_GET(t, "dlq", c.topics.dlq);
  }
  if (const auto h = root["http"]) {
    if (auto r = check_keys(h, {"address", "port", "allowed_hosts"}, file, "http"); !r) return r;
    SLA_GET(h, "address", c.http.address);
    SLA_GET(h, "port", c.http.port);
    SLA_GET(h, "allowed_hosts", c.http.allowed_hosts);
  }
  if (const auto t = root["tls"]) {
    if (auto r = check_keys(t, {"ca_file"}, file, "tls"); !r) return r;
    SLA_GET(t, "ca_file", c.ca_file);
  }
  if (const auto p = root["pagerduty"]) {
    if (auto r = check_keys(p, {"webhook_secret"}, file, "pagerduty"); !r) return r;
    SLA_GET(p, "webhook_secret", c.pagerduty_webhook_secret);
  }
#undef SLA_GET
  return {};
}

Result<void> from_env(const kafka::Environment& env, Config& c) {
  auto str = [&](const char* name, std::string& out) {
    if (auto it = env.find(name); it != env.end()) out = it->second;
  };
  auto num = [&](const char* name, auto& out) -> Result<void> {
    auto it = env.find(name);
    if (it == env.end()) return {};
    try {
      std::size_t used = 0;
      const long long v = std::stoll(it->second, &used);
      if (used != it->second.size()) throw std::invalid_argument("trailing");
      out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    } catch (const std::exception&) {
      return fail(ErrorCode::kInvalidArgument, std::string(name) + ": not a number: '" + it->second + "'");
    }
    return {};
  };
  str("SLA_NOTIFY_ROUTES", c.routes_path);
  str("SLA_NOTIFY_HTTP_ADDRESS", c.http.address);
  if (auto r = num("SLA_NOTIFY_HTTP_PORT", c.http.port); !r) return r;
  if (auto it = env.find("SLA_NOTIFY_HTTP_ALLOWED_HOSTS"); it != env.end()) {
    c.http.allowed_hosts.clear();
    std::stringstream names(it->second);
    for (std::string name; std::getline(names, name, ',');) {
      const auto b = name.find_first_not_of(' ');
      if (b != std::string::npos) c.http.allowed_hosts.push_back(name.substr(b, name.find_last_not_of(' ') - b + 1));
    }
  }
  str("SLA_NOTIFY_TOPIC_PAGES", c.topics.pages);
  str("SLA_NOTIFY_TOPIC_ESCALATIONS", c.topics.escalations);
  str("SLA_NOTIFY_TOPIC_INPUT", c.topics.input);
  str("SLA_NOTIFY_TOPIC_DLQ", c.topics.dlq);
  str("SLA_NOTIFY_CA_FILE", c.ca_file);
  str("SLA_NOTIFY_PAGERDUTY_WEBHOOK_SECRET", c.pagerduty_webhook_secret);
  if (auto r = num("SLA_NOTIFY_CONNECT_TIMEOUT_MS", c.connect_timeout_ms); !r) return r;
  if (auto r = num("SLA_NOTIFY_REQUEST_TIMEOUT_MS", c.request_timeout_ms); !r) return r;
  if (auto r = num("SLA_NOTIFY_IO_THREADS", c.io_threads); !r) return r;
  if (auto r = num("SLA_NOTIFY_POLL_MS", c.poll_ms); !r) return r;
  if (auto r = num("SLA_NOTIFY_COMMIT_INTERVAL_MS", c.commit_interval_ms); !r) return r;
  if (auto r = num("SLA_NOTIFY_DRAIN_TIMEOUT_MS", c.drain_timeout_ms); !r) return r;
  c.kafka = kafka::with_env(c.kafka, env);
  return {};
}

}  // namespace

Result<Config> load_config(const std::string& path, const kafka::Environment& env) {
  Config c;
  c.kafka.group_id = "sla-notify";
  c.kafka.client_id = "sla-notify";
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return fail(ErrorCode::kNotFound, path + ": cannot open the config file");
    std::stringstream ss;
    ss << in.rdbuf();
    YAML::Node root;
    try {
      root = YAML::Load(ss.str());
    } catch (const YAML::Exception& e) {
      return fail(ErrorCode::kInvalidArgument,
                  path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    if (auto r = from_yaml(root, path, c); !r) return tl::unexpected(r.error());
  }
  if (auto r = from_env(env, c); !r) return tl::unexpected(r.error());
  auto range = [](std::int64_t v, std::int64_t lo, std::int64_t hi, const char* name) -> Result<void> {
    if (v < lo || v > hi) {
      return fail(ErrorCode::kInvalidArgument,
                  std::string(name) + " must be in " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return {};
  };
  for (auto r : {range(c.connect_timeout_ms, 100, 600'000, "connect_timeout_ms"),
                 range(c.request_timeout_ms, 100, 600'000, "request_timeout_ms"), range(c.io_threads, 1, 64, "io_threads"),
                 range(c.poll_ms, 1, 10'000, "poll_ms"), range(c.commit_interval_ms, 10, 600'000, "commit_interval_ms"),
                 range(c.drain_timeout_ms, 0, 3'600'000, "drain_timeout_ms")}) {
    if (!r) return tl::unexpected(r.error());
  }
  return c;
}

}  // namespace sla::notify_service
