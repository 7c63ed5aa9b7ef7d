// sla-notify: the pager bridge (SPEC 6.4). Wiring only: reads the settings
// and the routes file, builds the daemon (Kafka, HTTPS client) and the HTTP
// server, runs until SIGTERM/SIGINT, and stops in reverse order.
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "config.hpp"
#include "daemon.hpp"
#include "sla/services/json_log.hpp"
#include "sla/http/server.hpp"
#include "sla/notify/routes.hpp"

namespace {

/// The routes file, or nullopt after logging why (main exits 2).
std::optional<sla::notify::Routes> read_routes(const std::string& path, const sla::kafka::Environment& env) {
  std::ifstream in(path);
  if (!in) {
    spdlog::critical("{}: cannot open the routes file", path);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<sla::notify::LoadError> errors;
  auto routes = sla::notify::load_routes(text.str(), path, env, errors);
  if (!routes) {
    for (const auto& e : errors) {
      spdlog::critical("{}", sla::notify::format(e));
      std::cerr << sla::notify::format(e) << "\n";
    }
  }
  return routes;
}

/// Runs the daemon and its HTTP server until SIGTERM/SIGINT (blocked in
/// `signals`) or a fatal error; the exit code.
int serve(const sla::notify_service::Config& cfg, sla::notify::Routes routes, sigset_t& signals) {
  std::unique_ptr<sla::notify_service::Daemon> daemon;
  try {
    daemon = std::make_unique<sla::notify_service::Daemon>(cfg, std::move(routes));
    if (auto r = daemon->start(); !r) {
      spdlog::critical("start: {}", r.error().message);
      return 1;
    }
  } catch (const std::exception& e) {
    spdlog::critical("start: {}", e.what());
    return 1;
  }

  sla::http::ServerOptions http_opts;
  http_opts.address = cfg.http.address;
  http_opts.port = cfg.http.port;
  sla::http::Server server(http_opts, [d = daemon.get()](const sla::http::Request& req) { return d->handle(req); });
  if (auto r = server.start(); !r) {
    spdlog::critical("http: {}", r.error().message);
    return 1;
  }
  std::cout << "HTTP: http://" << cfg.http.address << ":" << server.port()
            << "/ (/healthz /readyz /metrics /v1/pagerduty/webhook)" << std::endl;

  std::thread signal_thread([&daemon, &signals] {
    int sig = 0;
    while (sigwait(&signals, &sig) != 0) {
    }
    spdlog::info("signal {}: draining", sig);
    daemon->request_stop();
  });
  auto result = daemon->run();
  server.stop();
  if (signal_thread.joinable()) {
    // run() may also end on a fatal error: wake the signal thread.
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  }
  daemon.reset();
  if (!result) {
    spdlog::critical("{}", result.error().message);
    return 1;
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sla-notify: delivers SLA pages and notices to PagerDuty, Slack and signed webhooks"};
  std::string config_path;
  std::string routes_override;
  int http_port = -1;
  bool json_logs = true;
  bool check_only = false;
  app.add_option("--config", config_path, "service settings (YAML); every value also from SLA_NOTIFY_* variables");
  app.add_option("--routes", routes_override, "routes file (overrides the config and SLA_NOTIFY_ROUTES)");
  app.add_option("--http-port", http_port, "HTTP port (overrides the config; 0 = any free port)");
  app.add_flag("--check", check_only, "validate the settings and the routes file, then exit");
  app.add_flag("!--plain-logs", json_logs, "human-readable logs instead of JSON lines");
  CLI11_PARSE(app, argc, argv);
  if (json_logs) spdlog::set_formatter(sla::services::json_log_formatter());

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const auto env = sla::kafka::process_environment();
  auto cfg = sla::notify_service::load_config(config_path, env);
  if (!cfg) {
    spdlog::critical("{}", cfg.error().message);
    return 2;
  }
  if (!routes_override.empty()) cfg->routes_path = routes_override;
  if (http_port >= 0) cfg->http.port = static_cast<std::uint16_t>(http_port);

  auto routes = read_routes(cfg->routes_path, env);
  if (!routes) return 2;
  spdlog::info("routes: {} destinations, {} routes from {}", routes->destinations.size(), routes->routes.size(),
               cfg->routes_path);
  if (check_only) {
    std::cout << cfg->routes_path << ": ok (" << routes->destinations.size() << " destinations, "
              << routes->routes.size() << " routes)" << std::endl;
    return 0;
  }

  return serve(*cfg, std::move(*routes), signals);
}
