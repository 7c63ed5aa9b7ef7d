// notify_load: deliveries per second through sla-notify's daemon, in one
// process: N PageEvents produced to librdkafka's mock cluster, consumed by
// the daemon, delivered over TLS (keep-alive) to the test receiver on
// loopback, which answers 202 at once. Reports the start-up (group join to
// the first delivery) and the deliveries per second from the first delivery
// to the last. Not a test.
//   notify_load [--pages N] [--concurrency C] [--partitions P] [--io-threads T] [--destinations D]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "daemon.hpp"
#include "receiver.hpp"
#include "sla/kafka/mock_cluster.hpp"
#include "sla/kafka/producer.hpp"
#include "wire.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  int pages = 20000, concurrency = 8, partitions = 4, io_threads = 2, destinations = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int v = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--pages")) pages = v;
    else if (!std::strcmp(argv[i], "--concurrency")) concurrency = v;
    else if (!std::strcmp(argv[i], "--partitions")) partitions = v;
    else if (!std::strcmp(argv[i], "--io-threads")) io_threads = v;
    else if (!std::strcmp(argv[i], "--destinations")) destinations = v;
  }
  const std::string ca = sla::testing::make_test_ca("/tmp/sla-notify-test-ca-" + std::to_string(::getuid()));
  sla::testing::Receiver rx(ca + "/server.pem", ca + "/server.key", {});
  auto cluster = sla::kafka::MockCluster::start(1);
  if (!cluster) return 1;
  (void)(*cluster)->create_topic("sla.pages", partitions);
  (void)(*cluster)->create_topic("sla.notify.dlq", 1);
  sla::notify_service::Config cfg;
  cfg.kafka.brokers = (*cluster)->bootstrap_servers();
  cfg.kafka.group_id = "notify-load";
  cfg.ca_file = ca + "/ca.pem";
  cfg.io_threads = io_threads;
  cfg.poll_ms = 20;
  cfg.commit_interval_ms = 200;
  std::string text = "destinations:\n";
  std::string to;
  for (int d = 0; d < destinations; ++d) {
    text += "  - {name: pd" + std::to_string(d) + ", type: pagerduty, url: \"" + rx.url("/pd" + std::to_string(d)) +
            "\", routing_key: R, rate_per_second: 100000, burst: 100000, concurrency: " + std::to_string(concurrency) +
            ", max_queue: 1000000}\n";
    to += (to.empty() ? "" : ", ") + std::string("pd") + std::to_string(d);
  }
  text += "routes:\n  - to: [" + to + "]\n";
  std::vector<sla::notify::LoadError> errors;
  auto routes = sla::notify::load_routes(text, "load.yaml", {}, errors);
  if (!routes) {
    std::fprintf(stderr, "%s\n", sla::notify::format(errors.at(0)).c_str());
    return 1;
  }
  {
    auto producer = sla::kafka::Producer::create(cfg.kafka);
    if (!producer) return 1;
    for (int i = 0; i < pages; ++i) {
      sla::notify::Page p;
      p.ticket_id = "T-" + std::to_string(i);
      p.dedup_key = p.ticket_id + "/response/0/page/s1/db";
      p.page_id = p.dedup_key + "/0/0";
      p.tenant_id = "acme";
      p.severity = "P1";
      p.metric = "response";
      p.target = "db";
      p.high_urgency = true;
      (void)(*producer)->produce("sla.pages", p.ticket_id, sla::notify_service::encode_page(p));
    }
    if (!(*producer)->flush(30s)) return 1;
  }
  sla::notify_service::Daemon daemon(cfg, std::move(*routes));
  if (!daemon.start()) return 1;
  const auto t0 = std::chrono::steady_clock::now();
  std::thread run([&] { (void)daemon.run(); });
  const std::size_t want = static_cast<std::size_t>(pages) * static_cast<std::size_t>(destinations);
  // From the first delivery (the group join, ~3 s on the mock broker, is
  // not the bridge's throughput) to the last.
  (void)rx.wait_for([&](const auto& rs) { return !rs.empty(); }, 60s);
  const auto t1 = std::chrono::steady_clock::now();
  const std::size_t first = rx.count();
  const bool ok = rx.wait_for([&](const auto& rs) { return rs.size() >= want; }, 600s);
  const auto t2 = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(t2 - t1).count();
  const double startup = std::chrono::duration<double>(t1 - t0).count();
  daemon.request_stop();
  run.join();
  std::printf(
      "{\"pages\":%d,\"destinations\":%d,\"concurrency\":%d,\"partitions\":%d,\"io_threads\":%d,\"delivered\":%zu,"
      "\"startup_seconds\":%.3f,\"seconds\":%.3f,\"deliveries_per_second\":%.0f,\"tls_connections\":%llu,\"ok\":%s}\n",
      pages, destinations, concurrency, partitions, io_threads, rx.count(), startup, secs,
      static_cast<double>(rx.count() - first) / secs,
      static_cast<unsigned long long>(rx.connections()), ok ? "true" : "false");
  return ok ? 0 : 1;
}
