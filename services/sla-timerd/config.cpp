// Settings from YAML (sla::yaml::Reader) with the SLA_* environment laid over
// them. Every problem is collected (the file's with file:line:col, the
// environment's with the variable's name) and reported together; each number
// is checked against its range where its final value comes from.
#include "config.hpp"

#include <fstream>
#include <limits>
#include <sstream>

#include "sla/calendar/duration.hpp"
#include "sla/yaml/reader.hpp"

namespace sla::timerd {
namespace {

using Env = kafka::Environment;
constexpr std::int64_t kAny = std::numeric_limits<std::int64_t>::max();

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  // Blanks around an item are dropped ("a, b" is what people write).
  while (std::getline(ss, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
  }
  return out;
}

/// One section of the file (absent: no entries) and the environment, read
/// setting by setting: the variable, when set, wins over the file's value.
class Settings {
 public:
  Settings(yaml::Reader& file, yaml::Reader& env_errors, const Env& env)
      : file_(file), env_errors_(env_errors), env_(env) {}

  /// The entries of `key` in `parent` (a section), or none.
  std::optional<yaml::Entries> section(const yaml::Entries* parent, const char* key,
                                       std::initializer_list<std::string_view> allowed) {
    const yaml::Entry* e = parent == nullptr ? nullptr : yaml::find(*parent, key);
    if (e == nullptr) return std::nullopt;
    return file_.mapping(e->value, key, allowed);
  }

  void text(const std::optional<yaml::Entries>& s, const std::string& path, const char* var, std::string& out) {
    if (const yaml::Entry* e = entry(s, path)) {
      if (e->value.IsNull()) out.clear();  // `key:` with nothing: empty
      else if (auto v = file_.scalar(e->value, path)) out = *v;
    }
    if (auto it = var == nullptr ? env_.end() : env_.find(var); it != env_.end()) out = it->second;
  }

  template <typename T>
  void number(const std::optional<yaml::Entries>& s, const std::string& path, const char* var, T& out,
              std::int64_t lo, std::int64_t hi) {
    const auto it = var == nullptr ? env_.end() : env_.find(var);
    const bool from_env = it != env_.end();
    if (const yaml::Entry* e = entry(s, path)) {
      // Overridden by the environment: only the type is checked here.
      auto v = from_env ? file_.integer(e->value, path, std::numeric_limits<std::int64_t>::min(), kAny)
                        : file_.integer(e->value, path, lo, hi);
      if (v && !from_env) out = static_cast<T>(*v);
    }
    if (!from_env) return;
    if (auto v = yaml::parse_integer(it->second, lo, hi)) out = static_cast<T>(*v);
    else env_errors_.error_here(std::string(var) + ": " + v.error().message);
  }

  /// A positive fixed duration ("7d", "36h", "90m") in ms.
  void fixed_duration(const std::optional<yaml::Entries>& s, const std::string& path, const char* var,
                      std::int64_t& out) {
    auto parse = [](const std::string& text) -> std::optional<std::int64_t> {
      auto d = calendar::parse_duration(text);
      if (!d || d->kind != calendar::Duration::Kind::kFixed || d->millis <= 0) return std::nullopt;
      return d->millis;
    };
    if (const yaml::Entry* e = entry(s, path)) {
      if (auto v = file_.scalar(e->value, path)) {
        if (auto ms = parse(*v)) out = *ms;
        else file_.error(e->value, path + ": bad value '" + *v + "' (a duration such as 7d or 36h)");
      }
    }
    if (auto it = env_.find(var); it != env_.end()) {
      if (auto ms = parse(it->second)) out = *ms;
      else env_errors_.error_here(std::string(var) + ": not a duration: '" + it->second + "'");
    }
  }

  /// true/false in the file; 1/0 (or true/false) in the environment.
  void flag(const std::optional<yaml::Entries>& s, const std::string& path, const char* var, bool& out) {
    if (const yaml::Entry* e = entry(s, path)) {
      if (auto v = file_.boolean(e->value, path)) out = *v;
    }
    if (auto it = env_.find(var); it != env_.end()) {
      if (it->second == "1" || it->second == "true") out = true;
      else if (it->second == "0" || it->second == "false") out = false;
      else env_errors_.error_here(std::string(var) + ": expected 1 or 0, got '" + it->second + "'");
    }
  }

  void list(const std::optional<yaml::Entries>& s, const std::string& path, const char* var,
            std::vector<std::string>& out) {
    if (const yaml::Entry* e = entry(s, path)) {
      if (auto l = file_.string_list(e->value, path)) out = std::move(*l);
    }
    if (auto it = env_.find(var); it != env_.end()) out = split_commas(it->second);
  }

  void map(const std::optional<yaml::Entries>& s, const std::string& path, std::map<std::string, std::string>& out) {
    if (const yaml::Entry* e = entry(s, path)) {
      if (auto m = file_.string_map(e->value, path)) out.insert(m->begin(), m->end());
    }
  }

 private:
  /// The entry of the last path component in `s`.
  static const yaml::Entry* entry(const std::optional<yaml::Entries>& s, const std::string& path) {
    if (!s) return nullptr;
    const auto dot = path.rfind('.');
    return yaml::find(*s, dot == std::string::npos ? path : path.substr(dot + 1));
  }

  yaml::Reader& file_;
  yaml::Reader& env_errors_;
  const Env& env_;
};

void read_kafka(Settings& s, const yaml::Entries* top, Config& c) {
  const auto k = s.section(top, "kafka", {"brokers", "security_protocol", "sasl_mechanism", "sasl_username",
                                          "sasl_password", "group_id", "group_instance_id", "client_id",
                                          "session_timeout_ms", "heartbeat_interval_ms", "assignment_strategy",
                                          "properties"});
  // SLA_KAFKA_* are laid over these by kafka::with_env.
  s.text(k, "kafka.brokers", nullptr, c.kafka.brokers);
  s.text(k, "kafka.security_protocol", nullptr, c.kafka.security_protocol);
  s.text(k, "kafka.sasl_mechanism", nullptr, c.kafka.sasl_mechanism);
  s.text(k, "kafka.sasl_username", nullptr, c.kafka.sasl_username);
  s.text(k, "kafka.sasl_password", nullptr, c.kafka.sasl_password);
  s.text(k, "kafka.group_id", nullptr, c.kafka.group_id);
  s.text(k, "kafka.group_instance_id", nullptr, c.kafka.group_instance_id);
  s.text(k, "kafka.client_id", nullptr, c.kafka.client_id);
  s.map(k, "kafka.properties", c.kafka.properties);
  // The broker bounds the session timeout (group.min/max.session.timeout.ms,
  // 6 s and 30 min by default); these ranges only catch nonsense.
  s.number(k, "kafka.session_timeout_ms", "SLA_KAFKA_SESSION_TIMEOUT_MS", c.group.session_timeout_ms, 1000, 3'600'000);
  s.number(k, "kafka.heartbeat_interval_ms", "SLA_KAFKA_HEARTBEAT_INTERVAL_MS", c.group.heartbeat_interval_ms, 100,
           3'600'000);
  s.text(k, "kafka.assignment_strategy", "SLA_KAFKA_ASSIGNMENT_STRATEGY", c.group.assignment_strategy);
}

/// Checks between settings, once every value is final.
void check_group(const GroupSettings& g, yaml::Reader& errors) {
  if (g.heartbeat_interval_ms >= g.session_timeout_ms) {
    errors.error_here("kafka.heartbeat_interval_ms (" + std::to_string(g.heartbeat_interval_ms) +
                      ") must be below kafka.session_timeout_ms (" + std::to_string(g.session_timeout_ms) + ")");
  }
  const auto& a = g.assignment_strategy;
  if (a != "cooperative-sticky" && a != "roundrobin" && a != "range") {
    errors.error_here("kafka.assignment_strategy: '" + a + "' is not cooperative-sticky, roundrobin or range");
  }
}

void check_topics(const Topics& t, yaml::Reader& errors) {
  if (t.encoding != "protobuf" && t.encoding != "json") {
    errors.error_here("topics.encoding: '" + t.encoding + "' is not protobuf or json");
  }
}

void read_redis(Settings& s, const yaml::Entries* top, Config& c) {
  const auto r = s.section(top, "redis", {"host", "port", "cluster", "db", "username", "password", "key_prefix",
                                          "connect_timeout_ms", "command_timeout_ms"});
  s.text(r, "redis.host", "SLA_REDIS_HOST", c.redis.host);
  s.number(r, "redis.port", "SLA_REDIS_PORT", c.redis.port, 1, 65'535);
  s.flag(r, "redis.cluster", "SLA_REDIS_CLUSTER", c.redis.cluster);
  s.number(r, "redis.db", "SLA_REDIS_DB", c.redis.db, 0, std::numeric_limits<int>::max());
  s.text(r, "redis.username", "SLA_REDIS_USERNAME", c.redis.username);
  s.text(r, "redis.password", "SLA_REDIS_PASSWORD", c.redis.password);
  s.text(r, "redis.key_prefix", "SLA_REDIS_KEY_PREFIX", c.redis.key_prefix);
  std::int64_t ms = c.redis.connect_timeout.count();
  s.number(r, "redis.connect_timeout_ms", nullptr, ms, 1, 3'600'000);
  c.redis.connect_timeout = std::chrono::milliseconds(ms);
  ms = c.redis.command_timeout.count();
  s.number(r, "redis.command_timeout_ms", nullptr, ms, 1, 3'600'000);
  c.redis.command_timeout = std::chrono::milliseconds(ms);
}

void read_topics_and_http(Settings& s, const yaml::Entries* top, Config& c) {
  const auto t = s.section(top, "topics", {"input", "escalations", "pages", "deadlines", "dlq", "encoding"});
  s.text(t, "topics.input", "SLA_TOPIC_INPUT", c.topics.input);
  s.text(t, "topics.escalations", "SLA_TOPIC_ESCALATIONS", c.topics.escalations);
  s.text(t, "topics.pages", "SLA_TOPIC_PAGES", c.topics.pages);
  s.text(t, "topics.deadlines", "SLA_TOPIC_DEADLINES", c.topics.deadlines);
  s.text(t, "topics.dlq", "SLA_TOPIC_DLQ", c.topics.dlq);
  s.text(t, "topics.encoding", "SLA_TOPIC_ENCODING", c.topics.encoding);
  const auto h = s.section(top, "http", {"address", "port", "tokens", "threads", "max_connections", "allowed_hosts"});
  s.text(h, "http.address", "SLA_HTTP_ADDRESS", c.http.address);
  s.number(h, "http.port", "SLA_HTTP_PORT", c.http.port, 0, 65'535);  // 0: any free port
  s.list(h, "http.tokens", "SLA_HTTP_TOKENS", c.http.tokens);
  s.list(h, "http.allowed_hosts", "SLA_HTTP_ALLOWED_HOSTS", c.http.allowed_hosts);
  s.number(h, "http.threads", "SLA_HTTP_THREADS", c.http.threads, 1, 256);
  s.number(h, "http.max_connections", "SLA_HTTP_MAX_CONNECTIONS", c.http.max_connections, 1, 1'048'576);
}

void read_loop(Settings& s, const std::optional<yaml::Entries>& top, Config& c) {
  s.text(top, "policy", "SLA_POLICY", c.policy_path);
  s.number(top, "poll_ms", "SLA_POLL_MS", c.poll_ms, 1, 10'000);
  s.number(top, "flush_timeout_ms", "SLA_FLUSH_TIMEOUT_MS", c.flush_timeout_ms, 100, 3'600'000);
  s.number(top, "embedded_partitions", nullptr, c.embedded_partitions, 1, 256);
  s.number(top, "max_events_per_second", "SLA_MAX_EVENTS_PER_SECOND", c.max_events_per_second, 0, kAny);
  s.number(top, "poll_batch", "SLA_POLL_BATCH", c.poll_batch, 1, 100'000);
  s.number(top, "commit_interval_ms", "SLA_COMMIT_INTERVAL_MS", c.commit_interval_ms, 1, 60'000);
  s.number(top, "bulk_linger_ms", "SLA_BULK_LINGER_MS", c.bulk_linger_ms, 0, 5'000);
  s.number(top, "apply_threads", "SLA_APPLY_THREADS", c.apply_threads, 0, 64);  // 0: one per core, at most 8
  s.number(top, "dlq_max_bytes", "SLA_DLQ_MAX_BYTES", c.dlq_max_bytes, 4096, 1'000'000'000);
  s.number(top, "assign_timeout_ms", "SLA_ASSIGN_TIMEOUT_MS", c.assign_timeout_ms, 1000, 3'600'000);
  s.fixed_duration(top, "max_lateness", "SLA_MAX_LATENESS", c.max_lateness_ms);
  s.number(top, "report_max_clocks", "SLA_REPORT_MAX_CLOCKS", c.report_max_clocks, 0, 100'000'000);
  s.number(top, "views_nice", "SLA_VIEWS_NICE", c.views_nice, 0, 19);
}

}  // namespace

sla::Result<Config> load_config(const std::string& path, const Env& env) {
  Config c;
  yaml::Reader file(path);
  yaml::Reader env_errors("environment");
  YAML::Node root;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return sla::fail(ErrorCode::kNotFound, path + ": cannot open the config file");
    std::stringstream ss;
    ss << in.rdbuf();
    root = file.parse(ss.str(), "");
  }
  std::optional<yaml::Entries> top;
  if (root.IsDefined() && !root.IsNull()) {
    top = file.mapping(root, "the settings",
                       {"policy", "kafka", "redis", "topics", "http", "poll_ms", "flush_timeout_ms",
                        "embedded_partitions", "max_events_per_second", "poll_batch", "commit_interval_ms",
                        "bulk_linger_ms", "apply_threads", "dlq_max_bytes", "assign_timeout_ms", "max_lateness",
                        "report_max_clocks", "views_nice"});
  }
  const yaml::Entries* sections = top ? &*top : nullptr;
  Settings s(file, env_errors, env);
  read_loop(s, top, c);
  read_kafka(s, sections, c);
  read_redis(s, sections, c);
  read_topics_and_http(s, sections, c);
  c.kafka = kafka::with_env(c.kafka, env);
  yaml::Reader checks("settings");
  check_group(c.group, checks);
  check_topics(c.topics, checks);

  std::string problems;
  for (auto* r : {&file, &env_errors, &checks}) {
    for (const auto& e : r->take_sorted_errors()) problems += (problems.empty() ? "" : "\n") + yaml::format(e);
  }
  if (!problems.empty()) return sla::fail(ErrorCode::kInvalidArgument, problems);
  return c;
}

}  // namespace sla::timerd
