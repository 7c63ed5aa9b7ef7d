#include "config.hpp"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "sla/calendar/duration.hpp"

namespace sla::timerd {
namespace {

using Env = kafka::Environment;

std::string where(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
}

// Copies a scalar into `out`, or fails naming file:line:col and the key.
template <typename T>
sla::Result<void> get(const YAML::Node& parent, const char* key, T& out, const std::string& file) {
  const YAML::Node n = parent[key];
  if (!n) return {};
  try {
    out = n.as<T>();
  } catch (const YAML::Exception&) {
    return sla::fail(ErrorCode::kInvalidArgument, where(file, n) + ": bad value for '" + key + "'");
  }
  return {};
}

sla::Result<void> check_keys(const YAML::Node& map, std::initializer_list<const char*> allowed,
                             const std::string& file, const std::string& section) {
  if (!map.IsMap()) return sla::fail(ErrorCode::kInvalidArgument, where(file, map) + ": '" + section + "' must be a mapping");
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) {
      return sla::fail(ErrorCode::kInvalidArgument,
                       where(file, kv.first) + ": unknown key '" + key + "' in '" + section + "'");
    }
  }
  return {};
}

// A fixed duration ("7d", "36h", "90m") in ms, for max_lateness.
sla::Result<std::int64_t> lateness_millis(const std::string& text) {
  auto d = calendar::parse_duration(text);
  if (!d || d->kind != calendar::Duration::Kind::kFixed || d->millis <= 0) {
    return sla::fail(ErrorCode::kInvalidArgument, "not a positive fixed duration");
  }
  return d->millis;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

sla::Result<void> from_yaml(const YAML::Node& root, const std::string& file, Config& c) {
  if (!root || root.IsNull()) return {};
  if (auto r = check_keys(root, {"policy", "kafka", "redis", "topics", "http", "poll_ms", "flush_timeout_ms",
                                 "embedded_partitions", "max_events_per_second", "poll_batch",
                                 "commit_interval_ms", "bulk_linger_ms", "apply_threads", "dlq_max_bytes",
                                 "assign_timeout_ms", "max_lateness"},
                          file, "top level");
      !r) {
    return r;
  }
#define SLA_GET(node, key, field) \
  if (auto got_ = get(node, key, field, file); !got_) return got_
  SLA_GET(root, "policy", c.policy_path);
  SLA_GET(root, "poll_ms", c.poll_ms);
  SLA_GET(root, "flush_timeout_ms", c.flush_timeout_ms);
  SLA_GET(root, "embedded_partitions", c.embedded_partitions);
  SLA_GET(root, "max_events_per_second", c.max_events_per_second);
  SLA_GET(root, "poll_batch", c.poll_batch);
  SLA_GET(root, "commit_interval_ms", c.commit_interval_ms);
  SLA_GET(root, "bulk_linger_ms", c.bulk_linger_ms);
  SLA_GET(root, "apply_threads", c.apply_threads);
  SLA_GET(root, "dlq_max_bytes", c.dlq_max_bytes);
  SLA_GET(root, "assign_timeout_ms", c.assign_timeout_ms);
  if (const auto n = root["max_lateness"]) {
    const auto ms = lateness_millis(n.IsScalar() ? n.Scalar() : std::string());
    if (!ms) return sla::fail(ErrorCode::kInvalidArgument, where(file, n) + ": bad value for 'max_lateness' (a duration such as 7d or 36h)");
    c.max_lateness_ms = *ms;
  }
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
  if (const auto rd = root["redis"]) {
    if (auto e = check_keys(rd, {"host", "port", "cluster", "db", "username", "password", "key_prefix", "connect_timeout_ms",
                                "command_timeout_ms"},
                            file, "redis");
        !e) {
      return e;
    }
    SLA_GET(rd, "host", c.redis.host);
    SLA_GET(rd, "port", c.redis.port);
    SLA_GET(rd, "cluster", c.redis.cluster);
    SLA_GET(rd, "db", c.redis.db);
    SLA_GET(rd, "username", c.redis.username);
    SLA_GET(rd, "password", c.redis.password);
    SLA_GET(rd, "key_prefix", c.redis.key_prefix);
    std::int64_t ms = c.redis.connect_timeout.count();
    SLA_GET(rd, "connect_timeout_ms", ms);
    c.redis.connect_timeout = std::chrono::milliseconds(ms);
    ms = c.redis.command_timeout.count();
    SLA_GET(rd, "command_timeout_ms", ms);
    c.redis.command_timeout = std::chrono::milliseconds(ms);
  }
  if (const auto t = root["topics"]) {
    if (auto r = check_keys(t, {"input", "escalations", "pages", "deadlines", "dlq"}, file, "topics"); !r) return r;
    SLA_GET(t, "input", c.topics.input);
    SLA_GET(t, "escalations", c.topics.escalations);
    SLA_GET(t, "pages", c.topics.pages);
    SLA_GET(t, "deadlines", c.topics.deadlines);
    SLA_GET(t, "dlq", c.topics.dlq);
  }
  if (const auto h = root["http"]) {
    if (auto r = check_keys(h, {"address", "port", "tokens", "threads", "max_connections"}, file, "http"); !r) return r;
    SLA_GET(h, "address", c.http.address);
    SLA_GET(h, "port", c.http.port);
    SLA_GET(h, "tokens", c.http.tokens);
    SLA_GET(h, "threads", c.http.threads);
    SLA_GET(h, "max_connections", c.http.max_connections);
  }
#undef SLA_GET
  return {};
}

sla::Result<void> from_env(const Env& env, Config& c) {
  auto str = [&](const char* name, std::string& out) {
    if (auto it = env.find(name); it != env.end()) out = it->second;
  };
  auto num = [&](const char* name, auto& out) -> sla::Result<void> {
    auto it = env.find(name);
    if (it == env.end()) return {};
    try {
      std::size_t used = 0;
      const long long v = std::stoll(it->second, &used);
      if (used != it->second.size()) throw std::invalid_argument("trailing");
      out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    } catch (const std::exception&) {
      return sla::fail(ErrorCode::kInvalidArgument, std::string(name) + ": not a number: '" + it->second + "'");
    }
    return {};
  };
  str("SLA_POLICY", c.policy_path);
  str("SLA_HTTP_ADDRESS", c.http.address);
  if (auto r = num("SLA_HTTP_PORT", c.http.port); !r) return r;
  if (auto r = num("SLA_HTTP_THREADS", c.http.threads); !r) return r;
  if (auto r = num("SLA_HTTP_MAX_CONNECTIONS", c.http.max_connections); !r) return r;
  if (auto it = env.find("SLA_HTTP_TOKENS"); it != env.end()) c.http.tokens = split_commas(it->second);
  str("SLA_TOPIC_INPUT", c.topics.input);
  str("SLA_TOPIC_ESCALATIONS", c.topics.escalations);
  str("SLA_TOPIC_PAGES", c.topics.pages);
  str("SLA_TOPIC_DEADLINES", c.topics.deadlines);
  str("SLA_TOPIC_DLQ", c.topics.dlq);
  str("SLA_REDIS_HOST", c.redis.host);
  if (auto r = num("SLA_REDIS_PORT", c.redis.port); !r) return r;
  if (auto r = num("SLA_REDIS_CLUSTER", c.redis.cluster); !r) return r;
  if (auto r = num("SLA_REDIS_DB", c.redis.db); !r) return r;
  str("SLA_REDIS_USERNAME", c.redis.username);
  str("SLA_REDIS_PASSWORD", c.redis.password);
  str("SLA_REDIS_KEY_PREFIX", c.redis.key_prefix);
  if (auto r = num("SLA_POLL_MS", c.poll_ms); !r) return r;
  if (auto r = num("SLA_FLUSH_TIMEOUT_MS", c.flush_timeout_ms); !r) return r;
  if (auto r = num("SLA_MAX_EVENTS_PER_SECOND", c.max_events_per_second); !r) return r;
  if (auto r = num("SLA_POLL_BATCH", c.poll_batch); !r) return r;
  if (auto r = num("SLA_COMMIT_INTERVAL_MS", c.commit_interval_ms); !r) return r;
  if (auto r = num("SLA_BULK_LINGER_MS", c.bulk_linger_ms); !r) return r;
  if (auto r = num("SLA_APPLY_THREADS", c.apply_threads); !r) return r;
  if (auto r = num("SLA_DLQ_MAX_BYTES", c.dlq_max_bytes); !r) return r;
  if (auto r = num("SLA_ASSIGN_TIMEOUT_MS", c.assign_timeout_ms); !r) return r;
  if (auto it = env.find("SLA_MAX_LATENESS"); it != env.end()) {
    auto ms = lateness_millis(it->second);
    if (!ms) return sla::fail(ErrorCode::kInvalidArgument, "SLA_MAX_LATENESS: not a duration: '" + it->second + "'");
    c.max_lateness_ms = *ms;
  }
  c.kafka = kafka::with_env(c.kafka, env);
  return {};
}

}  // namespace

sla::Result<Config> load_config(const std::string& path, const Env& env) {
  Config c;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return sla::fail(ErrorCode::kNotFound, path + ": cannot open the config file");
    std::stringstream ss;
    ss << in.rdbuf();
    YAML::Node root;
    try {
      root = YAML::Load(ss.str());
    } catch (const YAML::Exception& e) {
      return sla::fail(ErrorCode::kInvalidArgument, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                        std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    if (auto r = from_yaml(root, path, c); !r) return tl::unexpected(r.error());
  }
  if (auto r = from_env(env, c); !r) return tl::unexpected(r.error());
  if (c.poll_ms <= 0 || c.poll_ms > 10'000) return sla::fail(ErrorCode::kInvalidArgument, "poll_ms must be in 1..10000");
  if (c.flush_timeout_ms < 100 || c.flush_timeout_ms > 3'600'000) {
    return sla::fail(ErrorCode::kInvalidArgument, "flush_timeout_ms must be in 100..3600000");
  }
  if (c.poll_batch < 1 || c.poll_batch > 100'000) {
    return sla::fail(ErrorCode::kInvalidArgument, "poll_batch must be in 1..100000");
  }
  if (c.commit_interval_ms < 1 || c.commit_interval_ms > 60'000) {
    return sla::fail(ErrorCode::kInvalidArgument, "commit_interval_ms must be in 1..60000");
  }
  if (c.bulk_linger_ms < 0 || c.bulk_linger_ms > 5'000) {
    return sla::fail(ErrorCode::kInvalidArgument, "bulk_linger_ms must be in 0..5000");
  }
  if (c.apply_threads < 0 || c.apply_threads > 64) {
    return sla::fail(ErrorCode::kInvalidArgument, "apply_threads must be in 0..64 (0: one per core, at most 8)");
  }
  if (c.max_events_per_second < 0) {
    return sla::fail(ErrorCode::kInvalidArgument, "max_events_per_second must be 0 (no limit) or more");
  }
  if (c.dlq_max_bytes < 4096 || c.dlq_max_bytes > 1'000'000'000) {
    return sla::fail(ErrorCode::kInvalidArgument, "dlq_max_bytes must be in 4096..1000000000");
  }
  if (c.assign_timeout_ms < 1000 || c.assign_timeout_ms > 3'600'000) {
    return sla::fail(ErrorCode::kInvalidArgument, "assign_timeout_ms must be in 1000..3600000");
  }
  if (c.embedded_partitions < 1 || c.embedded_partitions > 256) {
    return sla::fail(ErrorCode::kInvalidArgument, "embedded_partitions must be in 1..256");
  }
  return c;
}

}  // namespace sla::timerd
