#include "demo.hpp"

#include <chrono>
#include <map>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon.hpp"
#include "sla/codec/codec.hpp"
#include "sla/kafka/producer.hpp"

namespace sla::timerd {
namespace {

struct Pending {
  EpochMillis at;  // wall time to send
  nlohmann::json event;
};

nlohmann::json base(const std::string& ticket, const std::string& tenant, EpochMillis t, std::uint64_t n) {
  return {{"eventId", ticket + "-" + std::to_string(n)},
          {"ticketId", ticket},
          {"tenantId", tenant},
          {"occurredAt", codec::format_rfc3339(t)}};
}

}  // namespace

Demo::Demo(kafka::KafkaConfig kafka, std::string topic, std::shared_ptr<const policy::Policy> policy,
           double tickets_per_second)
    : kafka_(std::move(kafka)), topic_(std::move(topic)), policy_(std::move(policy)), rate_(tickets_per_second) {
  thread_ = std::thread([this] { run(); });
}

Demo::~Demo() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void Demo::run() {
  auto producer = kafka::Producer::create(kafka_);
  if (!producer) {
    spdlog::error("demo: cannot create a producer: {}", producer.error().message);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kinds;  // (plan, severity)
  for (const auto& [name, plan] : policy_->plans()) {
    for (const auto& sev : plan.severity_order) kinds.emplace_back(name, sev);
  }
  if (kinds.empty()) return;
  std::mt19937_64 rng(42);
  std::multimap<EpochMillis, nlohmann::json> queue;
  const std::vector<kafka::Header> json_header = {{"content-type", "application/json"}};
  std::uint64_t ticket_no = 0;
  const auto interval = static_cast<EpochMillis>(1000.0 / rate_);
  EpochMillis next_open = wall_now();
  while (!stop_.load()) {
    const EpochMillis now = wall_now();
    if (now >= next_open) {
      next_open = now + interval;
      const auto& [plan, sev] = kinds[rng() % kinds.size()];
      const std::string id = "DEMO-" + std::to_string(++ticket_no);
      const std::string tenant = "tenant-" + std::to_string(rng() % 7);
      // Opened up to 3 hours ago (as if imported late), so some deadlines are near.
      const EpochMillis opened = now - static_cast<EpochMillis>(rng() % (3 * 3600)) * 1000;
      std::uint64_t n = 0;
      auto e = base(id, tenant, opened, n++);
      e["opened"] = {{"plan", plan}, {"severity", sev}, {"status", "open"}};
      queue.emplace(now, e);
      const auto story = rng() % 10;
      EpochMillis t = now + static_cast<EpochMillis>(5 + rng() % 60) * 1000;
      if (story < 7) {  // answered
        auto r = base(id, tenant, t, n++);
        r["responded"] = nlohmann::json::object();
        queue.emplace(t, r);
      }
      if (story < 3) {  // waits on the customer for a while
        t += static_cast<EpochMillis>(10 + rng() % 60) * 1000;
        auto s = base(id, tenant, t, n++);
        s["statusChanged"] = {{"status", "pending_customer"}};
        queue.emplace(t, s);
        t += static_cast<EpochMillis>(30 + rng() % 120) * 1000;
        auto b = base(id, tenant, t, n++);
        b["statusChanged"] = {{"status", "open"}};
        queue.emplace(t, b);
      }
      if (story < 6) {  // resolved
        t += static_cast<EpochMillis>(30 + rng() % 600) * 1000;
        auto r = base(id, tenant, t, n++);
        r["resolved"] = nlohmann::json::object();
        queue.emplace(t, r);
      }
    }
    while (!queue.empty() && queue.begin()->first <= now) {
      const auto& e = queue.begin()->second;
      const std::string payload = e.dump();
      // Demo traffic is best effort: a refused event is logged and skipped.
      if (auto sent = (*producer)->produce(topic_, e["ticketId"].get<std::string>(), payload, json_header); !sent) {
        spdlog::warn("demo: event not sent: {}", sent.error().message);
      }
      queue.erase(queue.begin());
    }
    (*producer)->poll(std::chrono::milliseconds(50));
  }
  if (auto flushed = (*producer)->flush(std::chrono::milliseconds(2000)); !flushed) {
    spdlog::warn("demo: events left unsent at stop: {}", flushed.error().message);
  }
}

}  // namespace sla::timerd
