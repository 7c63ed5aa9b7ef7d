// sla-timerd: the SLA timer service (SPEC 6.1). Wiring only: builds the
// adapters from the config in dependency order, runs the daemon loop, and
// stops in reverse order on SIGTERM/SIGINT (SIGHUP reloads the policy).
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "config.hpp"
#include "daemon.hpp"
#include "demo.hpp"
#include "sla/services/json_log.hpp"
#include "sla/codec/codec.hpp"
#include "sla/http/server.hpp"
#include "sla/kafka/mock_cluster.hpp"
#include "sla/policy/loader.hpp"
#include "sla/services/policy_io.hpp"
#include "sla/store/memory_store.hpp"
#include "sla/store/redis_store.hpp"

namespace {

/// The policy, or nullptr after logging every load error (main exits 2).
std::shared_ptr<const sla::policy::Policy> load_policy_logged(const std::string& path) {
  std::vector<sla::policy::LoadError> errors;
  auto policy = sla::services::load_policy_path(path, errors);
  if (!policy) {
    for (const auto& e : errors) spdlog::critical("{}", sla::policy::format(e));
  }
  return policy;
}

// Where the policy is when its configured path is relative and not found
// from the working folder: by file name in the policies folder of the
// installation the binary belongs to (<prefix>/share/sla-timer/policies, so
// an installed tree, a package or an image works from any folder), and for a
// binary still in its build tree, the source tree it was built from. Returns
// `path` unchanged when nothing matches (the load then names it). SLA_*
// paths: compile definitions from cmake/SlaPackaging.cmake.
std::string resolve_policy_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (p.empty() || p.is_absolute() || fs::exists(p, ec)) return path;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return path;
  std::vector<fs::path> candidates{exe.parent_path().parent_path() / SLA_INSTALL_DATADIR / "sla-timer" / "policies" /
                                   p.filename()};
  const std::string build_dir = SLA_BUILD_DIR;
  if (exe.string().rfind(build_dir + "/", 0) == 0) {
    candidates.push_back(fs::path(SLA_SOURCE_DIR) / p);
    candidates.push_back(fs::path(SLA_SOURCE_DIR) / "deploy" / "policies" / p.filename());
  }
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c, ec)) {
      spdlog::info("policy '{}' is not in the working folder; using {}", path, c.lexically_normal().string());
      return c.lexically_normal().string();
    }
  }
  return path;
}

// Signals go to one thread (sigwait), so the daemon sees them as flags:
// blocked here for every thread started after.
sigset_t block_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

/// The in-process broker for --embedded, with the topics the config names;
/// points the config's Kafka settings at it.
sla::Result<std::unique_ptr<sla::kafka::MockCluster>> start_embedded_broker(sla::timerd::Config& cfg) {
  // The embedded broker runs on a librdkafka client that never connects
  // anywhere, so librdkafka's "No bootstrap.servers configured" notice at
  // its creation is noise here: the kafka logger shows warnings only
  // meanwhile. (Registered first here, the adapter's logger is this one.)
  auto kafka_log = spdlog::get("kafka");
  if (!kafka_log) {
    kafka_log = spdlog::default_logger()->clone("kafka");
    spdlog::register_logger(kafka_log);
  }
  const auto kafka_level = kafka_log->level();
  kafka_log->set_level(spdlog::level::warn);
  auto cluster = sla::kafka::MockCluster::start(1);
  kafka_log->set_level(kafka_level);
  if (!cluster) return cluster;
  for (const auto& [topic, parts] : std::vector<std::pair<std::string, int>>{
           {cfg.topics.input, cfg.embedded_partitions},
           {cfg.topics.escalations, 1},
           {cfg.topics.pages, 1},
           {cfg.topics.deadlines, 1},
           {cfg.topics.dlq, 1}}) {
    if (auto r = (*cluster)->create_topic(topic, parts); !r) spdlog::warn("create topic {}: {}", topic, r.error().message);
  }
  cfg.kafka.brokers = (*cluster)->bootstrap_servers();
  cfg.kafka.security_protocol = "plaintext";
  std::cout << "embedded Kafka-protocol broker: " << (*cluster)->bootstrap_servers() << std::endl;
  return cluster;
}

sla::http::ServerOptions http_options(const sla::timerd::Config& cfg) {
  sla::http::ServerOptions http_opts;
  http_opts.address = cfg.http.address;
  http_opts.port = cfg.http.port;
  http_opts.threads = std::max<std::size_t>(2, cfg.http.threads);
  http_opts.max_connections = cfg.http.max_connections;
  // Descriptors for Kafka, Redis, logs and the connections evicted meanwhile
  // are kept out of the HTTP cap.
  if (const std::uint64_t fds = sla::http::raise_fd_limit(); fds < http_opts.max_connections + 256) {
    const std::size_t cap = fds > 512 ? fds - 256 : 256;  // std::uint64_t is std::size_t (LP64)
    spdlog::warn("open file limit {}: http.max_connections lowered from {} to {}", fds, http_opts.max_connections, cap);
    http_opts.max_connections = cap;
  }
  return http_opts;
}

/// SIGHUP reloads the policy; SIGTERM or SIGINT stops the daemon (and ends
/// the thread).
std::thread watch_signals(sla::timerd::Daemon& daemon, const sigset_t& signals) {
  return std::thread([&daemon, &signals] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        daemon.request_reload();
        continue;
      }
      daemon.request_stop();
      return;
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sla-timerd: SLA timers and escalations from Kafka ticket events"};
  std::string config_path;
  std::string policy_override;
  int http_port = -1;
  bool embedded = false;
  bool demo = false;
  bool json_logs = true;
  app.set_version_flag("--version", std::string("sla-timerd ") + SLA_VERSION);
  app.add_option("--config", config_path, "service settings (YAML); every value also from SLA_* variables");
  app.add_option("--policy", policy_override, "policy file (overrides the config and SLA_POLICY)");
  app.add_option("--http-port", http_port, "HTTP port (overrides the config; 0 = any free port)");
  app.add_flag("--embedded", embedded, "in-process Kafka-protocol broker on loopback and an in-memory store");
  app.add_flag("--demo", demo, "generate realistic ticket traffic against the policy");
  app.add_flag("!--plain-logs", json_logs, "human-readable logs instead of JSON lines");
  CLI11_PARSE(app, argc, argv);

  if (json_logs) {
    spdlog::set_formatter(sla::services::json_log_formatter());
  }
  sla::codec::quiet_protobuf_logging();
  const sigset_t signals = block_signals();

  auto cfg = sla::timerd::load_config(config_path, sla::kafka::process_environment());
  if (!cfg) {
    spdlog::critical("{}", cfg.error().message);
    return 2;
  }
  if (!policy_override.empty()) cfg->policy_path = policy_override;
  cfg->policy_path = resolve_policy_path(cfg->policy_path);
  if (http_port >= 0) cfg->http.port = static_cast<std::uint16_t>(http_port);
  auto policy = load_policy_logged(cfg->policy_path);
  if (!policy) return 2;
  spdlog::info("policy loaded: {}", policy->summary());

  std::unique_ptr<sla::kafka::MockCluster> cluster;
  std::unique_ptr<sla::store::StateStore> store;
  if (embedded) {
    auto c = start_embedded_broker(*cfg);
    if (!c) {
      spdlog::critical("embedded broker: {}", c.error().message);
      return 1;
    }
    cluster = std::move(*c);
    store = std::make_unique<sla::store::InMemoryStore>();
  } else {
    store = std::make_unique<sla::store::RedisStore>(cfg->redis);
  }

  sla::timerd::Daemon daemon(*cfg, policy, std::move(store));
  if (auto r = daemon.start(); !r) {
    spdlog::critical("kafka: {}", r.error().message);
    return 1;
  }
  sla::http::Server server(http_options(*cfg), daemon.http_deps());
  if (auto r = server.start(); !r) {
    spdlog::critical("http: {}", r.error().message);
    return 1;
  }
  std::cout << "HTTP: http://" << cfg->http.address << ":" << server.port()
            << "/  (dashboard; also /healthz /readyz /metrics /v1/tickets?at_risk_within=1h)" << std::endl;

  std::thread signal_thread = watch_signals(daemon, signals);
  std::unique_ptr<sla::timerd::Demo> traffic;
  if (demo) traffic = std::make_unique<sla::timerd::Demo>(cfg->kafka, cfg->topics.input, policy);

  auto result = daemon.run();
  traffic.reset();
  server.stop();
  if (signal_thread.joinable()) {
    if (!result) pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  }
  if (!result) {
    spdlog::critical("{}", result.error().message);
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}
