// The daemon end to end in one process: events produced to librdkafka's mock
// cluster (loopback), consumed by the daemon, SLA events and dead letters read
// back from the output topics, state checked in the store, and a second
// daemon resuming from that state.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "daemon.hpp"
#include "sla/codec/codec.hpp"
#include "sla/kafka/consumer.hpp"
#include "sla/kafka/mock_cluster.hpp"
#include "sla/kafka/producer.hpp"
#include "sla/kafka/reader.hpp"
#include "sla/policy/loader.hpp"
#include "sla/store/memory_store.hpp"
#include "sla/v1/sla_event.pb.h"

namespace {

using namespace std::chrono_literals;
using sla::EpochMillis;

constexpr const char* kPolicy = R"(
version: 1
policy_id: daemon-test
plans:
  gold:
    severities:
      P1:
        response:   {within: 1m, calendar: 24x7}
        resolution: {within: 1h, calendar: 24x7}
)";

// The value of an unlabelled series in a Prometheus text scrape; -1 when absent.
double gauge(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 2));
}

struct Received {
  std::map<std::string, int> escalation_ids;  // event id -> times seen
  std::vector<std::pair<std::string, std::string>> dlq;  // (reason, error)
};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = sla::kafka::MockCluster::start(1);
    ASSERT_TRUE(c) << c.error().message;
    cluster_ = std::move(*c);
    cfg_.topics.input = "tickets.events";
    ASSERT_TRUE(cluster_->create_topic(cfg_.topics.input, 2));
    for (const auto* t : {"sla.escalations", "sla.pages", "sla.deadlines", "sla.dlq"}) {
      ASSERT_TRUE(cluster_->create_topic(t, 1));
    }
    cfg_.kafka.brokers = cluster_->bootstrap_servers();
    cfg_.kafka.group_id = "timerd-test";
    cfg_.kafka.properties["session.timeout.ms"] = "3000";
    cfg_.kafka.properties["heartbeat.interval.ms"] = "250";
    cfg_.poll_ms = 20;
    policy_file_ = std::filesystem::temp_directory_path() / ("daemon-test-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(policy_file_) << kPolicy;
    cfg_.policy_path = policy_file_.string();
    std::vector<sla::policy::LoadError> errors;
    sla::policy::LoadOptions o;
    o.file = cfg_.policy_path;
    policy_ = sla::policy::load_policy(kPolicy, o, errors);
    ASSERT_TRUE(policy_);
    auto p = sla::kafka::Producer::create(cfg_.kafka);
    ASSERT_TRUE(p);
    producer_ = std::move(*p);
  }
  void TearDown() override { std::filesystem::remove(policy_file_); }

  // Runs a daemon on its own thread until stop().
  struct Running {
    std::unique_ptr<sla::timerd::Daemon> daemon;
    std::thread thread;
    sla::Result<void> result;
    void stop() {
      daemon->request_stop();
      if (thread.joinable()) thread.join();
    }
  };
  std::unique_ptr<Running> run_daemon() {
    auto r = std::make_unique<Running>();
    r->daemon = std::make_unique<sla::timerd::Daemon>(cfg_, policy_, std::make_unique<SharedStore>(store_));
    EXPECT_TRUE(r->daemon->start());
    r->thread = std::thread([raw = r.get()] { raw->result = raw->daemon->run(); });
    return r;
  }

  void send_json(const std::string& ticket, const std::string& json) {
    const std::vector<sla::kafka::Header> h = {{"content-type", "application/json"}};
    ASSERT_TRUE(producer_->produce(cfg_.topics.input, ticket, json, h));
    ASSERT_TRUE(producer_->flush(10s));
  }
  void send_raw(const std::string& ticket, const std::string& bytes) {
    ASSERT_TRUE(producer_->produce(cfg_.topics.input, ticket, bytes));
    ASSERT_TRUE(producer_->flush(10s));
  }

  // Reads the output topics until `done` or the timeout.
  Received read_until(const std::function<bool(const Received&)>& done, std::chrono::seconds timeout) {
    sla::kafka::KafkaConfig kc = cfg_.kafka;
    kc.group_id = "reader-" + std::to_string(readers_++);
    auto c = sla::kafka::Consumer::create(kc, {"sla.escalations", "sla.dlq"});
    EXPECT_TRUE(c);
    Received got;
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end && !done(got)) {
      auto batch = (*c)->poll(200ms);
      if (!batch) break;
      for (const auto& m : *batch) {
        if (m.topic == "sla.dlq") {
          got.dlq.emplace_back(std::string(m.header("sla-dlq-reason").value_or("")),
                               std::string(m.header("sla-dlq-error").value_or("")));
        } else {
          // Every output says what it holds (docs/topics.md).
          EXPECT_EQ(m.header("content-type").value_or(""), "application/x-protobuf");
          EXPECT_EQ(m.header("sla-type").value_or(""), "sla.v1.SlaEvent");
          EXPECT_EQ(m.header("sla-schema").value_or(""), "1");
          sla::v1::SlaEvent e;
          EXPECT_TRUE(e.ParseFromString(m.payload));
          got.escalation_ids[e.event_id()] += 1;
        }
      }
    }
    return got;
  }

  std::string event(const std::string& id, const std::string& ticket, EpochMillis at, const std::string& kind) {
    return R"({"eventId":")" + id + R"(","ticketId":")" + ticket + R"(","tenantId":"acme","occurredAt":")" +
           sla::codec::format_rfc3339(at) + R"(",)" + kind + "}";
  }

  // The daemon owns its store; tests share one InMemoryStore through this.
  class SharedStore final : public sla::store::StateStore {
   public:
    explicit SharedStore(std::shared_ptr<sla::store::InMemoryStore> s) : s_(std::move(s)) {}
    sla::Result<sla::store::PartitionState> load_partition(std::string_view t, std::int32_t p) override {
      return s_->load_partition(t, p);
    }
    sla::Result<void> commit(std::string_view t, std::int32_t p, const sla::store::Batch& b) override {
      return s_->commit(t, p, b);
    }
    sla::Result<void> clear_partition(std::string_view t, std::int32_t p) override { return s_->clear_partition(t, p); }
    sla::Result<void> ping() override { return s_->ping(); }

   private:
    std::shared_ptr<sla::store::InMemoryStore> s_;
  };

  std::unique_ptr<sla::kafka::MockCluster> cluster_;
  sla::timerd::Config cfg_;
  std::filesystem::path policy_file_;
  std::shared_ptr<const sla::policy::Policy> policy_;
  std::unique_ptr<sla::kafka::Producer> producer_;
  std::shared_ptr<sla::store::InMemoryStore> store_ = std::make_shared<sla::store::InMemoryStore>();
  int readers_ = 0;
};

TEST_F(DaemonTest, LifecycleDeadLettersStateAndRestart) {
  auto first = run_daemon();
  const EpochMillis now = sla::timerd::wall_now();
  // T1: opened 59.5 s ago with a 1 min response target -> breach in ~0.5 s.
  send_json("T1", event("t1-open", "T1", now - 59'500, R"("opened":{"plan":"gold","severity":"P1"})"));
  // T2: opened and answered at once -> met.
  send_json("T2", event("t2-open", "T2", now, R"("opened":{"plan":"gold","severity":"P1"})"));
  send_json("T2", event("t2-resp", "T2", now + 10, R"("responded":{})"));
  // Poison: undecodable bytes, and an unknown plan. The partition continues.
  send_raw("T3", std::string("\xff\xfe garbage", 10));
  send_json("T4", event("t4-open", "T4", now, R"("opened":{"plan":"platinum","severity":"P1"})"));
  send_json("T5", event("t5-open", "T5", now, R"("opened":{"plan":"gold","severity":"P1"})"));
  send_json("T5", event("t5-resp", "T5", now + 20, R"("responded":{})"));

  auto got = read_until(
      [](const Received& r) {
        return r.escalation_ids.count("T1/response/0/breached/0") && r.escalation_ids.count("T2/response/0/met/0") &&
               r.escalation_ids.count("T5/response/0/met/0") && r.dlq.size() >= 2;
      },
      40s);
  EXPECT_EQ(got.escalation_ids.count("T1/response/0/breached/0"), 1u);
  EXPECT_EQ(got.escalation_ids.count("T2/response/0/met/0"), 1u);
  EXPECT_EQ(got.escalation_ids.count("T5/response/0/met/0"), 1u) << "the partition went on after the poison";
  ASSERT_EQ(got.dlq.size(), 2u);
  std::multiset<std::string> reasons = {got.dlq[0].first, got.dlq[1].first};
  EXPECT_EQ(reasons, (std::multiset<std::string>{"undecodable", "unknown_plan_or_severity"}));
  EXPECT_GE(first->daemon->probe().dlq_count("undecodable"), 1.0);

  first->stop();
  ASSERT_TRUE(first->result) << first->result.error().message;

  // The state and offsets are in the store: T1 is there with its clocks.
  std::size_t tickets = 0;
  for (std::int32_t p = 0; p < 2; ++p) {
    auto st = store_->load_partition(cfg_.topics.input, p);
    ASSERT_TRUE(st);
    tickets += st->tickets.size();
    if (!st->tickets.empty()) {
      EXPECT_TRUE(st->next_offset.has_value());
    }
  }
  EXPECT_EQ(tickets, 3u);  // T1, T2, T5 (the rejected ones leave no state)

  // A second daemon resumes from the store: resolving T1 meets its
  // resolution clock, which only exists in the restored state; nothing
  // already consumed is applied again.
  auto second = run_daemon();
  send_json("T1", event("t1-res", "T1", sla::timerd::wall_now(), R"("resolved":{})"));
  auto after = read_until([](const Received& r) { return r.escalation_ids.count("T1/resolution/0/met/0") > 0; }, 40s);
  EXPECT_EQ(after.escalation_ids.count("T1/resolution/0/met/0"), 1u);
  second->stop();
  ASSERT_TRUE(second->result) << second->result.error().message;
}

// A store that never answers an assignment's load: the daemon retries it for
// assign_timeout_ms (inside librdkafka's rebalance callback, so not for
// ever), /readyz says why meanwhile, and then it stops with an error, so
// that the group gives the partitions to a member that can load them and the
// orchestrator restarts this one.
TEST_F(DaemonTest, PartitionStateNotLoadedWithinTheBoundStopsTheDaemon) {
  class DownStore final : public sla::store::StateStore {
   public:
    sla::Result<sla::store::PartitionState> load_partition(std::string_view, std::int32_t) override {
      loads.fetch_add(1);
      return sla::fail(sla::ErrorCode::kUnavailable, "connection refused");
    }
    sla::Result<void> commit(std::string_view, std::int32_t, const sla::store::Batch&) override {
      return sla::fail(sla::ErrorCode::kUnavailable, "connection refused");
    }
    sla::Result<void> clear_partition(std::string_view, std::int32_t) override {
      return sla::fail(sla::ErrorCode::kUnavailable, "connection refused");
    }
    sla::Result<void> ping() override { return sla::fail(sla::ErrorCode::kUnavailable, "connection refused"); }
    std::atomic<int> loads{0};
  };
  cfg_.assign_timeout_ms = 1500;
  auto store = std::make_unique<DownStore>();
  auto* down = store.get();
  sla::timerd::Daemon daemon(cfg_, policy_, std::move(store));
  ASSERT_TRUE(daemon.start());
  auto deps = daemon.http_deps();
  std::atomic<bool> done{false};
  sla::Result<void> result;
  std::thread loop([&] {
    result = daemon.run();
    done.store(true);
  });
  std::set<std::string> reasons;
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (!done.load() && std::chrono::steady_clock::now() < until) {
    reasons.insert(deps->ready().reason);
    std::this_thread::sleep_for(20ms);  // polling readiness, as a probe does
  }
  const bool stopped_by_itself = done.load();
  daemon.request_stop();  // without the bound it would still be retrying
  loop.join();
  ASSERT_TRUE(stopped_by_itself) << "the daemon still retried the load after 30 s (bound 1.5 s)";
  EXPECT_GE(down->loads.load(), 2);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("assign_timeout_ms"), std::string::npos) << result.error().message;
  EXPECT_TRUE(reasons.count("state store unreachable")) << ::testing::PrintToString(reasons);
  const auto after = deps->ready();
  EXPECT_FALSE(after.ready);
  EXPECT_NE(after.reason.find("could not be loaded"), std::string::npos) << after.reason;
}

// topics.encoding: json. Every output is proto3-JSON with its headers, the
// HTTP views still fill from sla.deadlines, and a dropped ticket leaves a
// null-valued tombstone there.
TEST_F(DaemonTest, JsonOutputsCarryTheirHeadersAndStillFeedTheViews) {
  cfg_.topics.encoding = "json";
  cfg_.max_lateness_ms = 1000;  // a closed ticket is then dropped 24 h after its last event
  auto d = run_daemon();
  const auto deps = d->daemon->http_deps();
  const EpochMillis now = sla::timerd::wall_now();
  send_json("T1", event("t1-open", "T1", now - 59'500, R"("opened":{"plan":"gold","severity":"P1"})"));
  // T9: opened and closed two days ago, past retention: dropped at once.
  send_json("T9", event("t9-open", "T9", now - 2 * 86'400'000, R"("opened":{"plan":"gold","severity":"P1"})"));
  send_json("T9", event("t9-close", "T9", now - 2 * 86'400'000 + 1000, R"("closed":{})"));

  const auto header = [](const sla::kafka::Message& m, const char* name) {
    return std::string(m.header(name).value_or(""));
  };
  sla::kafka::KafkaConfig kc = cfg_.kafka;
  kc.group_id = "json-reader";
  auto c = sla::kafka::Consumer::create(kc, {"sla.escalations"});
  ASSERT_TRUE(c);
  bool breached = false;
  for (const auto end = std::chrono::steady_clock::now() + 40s; !breached && std::chrono::steady_clock::now() < end;) {
    auto batch = (*c)->poll(200ms);
    ASSERT_TRUE(batch);
    for (const auto& m : *batch) {
      EXPECT_EQ(header(m, "content-type"), "application/json");
      EXPECT_EQ(header(m, "sla-type"), "sla.v1.SlaEvent");
      EXPECT_EQ(header(m, "sla-schema"), "1");
      auto e = sla::codec::decode_sla_event(m.payload, sla::codec::ContentType::kJson);
      ASSERT_TRUE(e) << m.payload;
      breached = breached || e->event_id == "T1/response/0/breached/0";
    }
  }
  EXPECT_TRUE(breached);

  // sla.deadlines: T1's snapshot in JSON, T9's tombstone (a null value).
  auto reader = sla::kafka::Reader::create(cfg_.kafka, "sla.deadlines", 10s);
  ASSERT_TRUE(reader) << reader.error().message;
  bool t1_snapshot = false;
  bool t9_tombstone = false;
  for (const auto end = std::chrono::steady_clock::now() + 30s;
       !(t1_snapshot && t9_tombstone) && std::chrono::steady_clock::now() < end;) {
    for (const auto& r : (*reader)->poll(200ms).records) {
      EXPECT_EQ(r.content_type, "application/json");
      if (!r.value) {
        t9_tombstone = t9_tombstone || r.key == "T9";
        continue;
      }
      auto snap = sla::codec::decode_deadlines(*r.value, sla::codec::ContentType::kJson);
      ASSERT_TRUE(snap) << *r.value;
      t1_snapshot = t1_snapshot || snap->view.ticket_id == "T1";
    }
  }
  EXPECT_TRUE(t1_snapshot);
  EXPECT_TRUE(t9_tombstone) << "a dropped ticket's tombstone is a null value";

  // The daemon's own HTTP view reads the JSON snapshots back.
  std::optional<nlohmann::json> t1;
  for (const auto end = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < end;) {
    if ((t1 = deps->ticket("T1"))) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(t1) << "/v1/tickets/T1 did not fill from sla.deadlines in JSON";
  EXPECT_NE(t1->dump().find("T1"), std::string::npos);
  d->stop();
  ASSERT_TRUE(d->result) << d->result.error().message;
}

TEST_F(DaemonTest, UnacknowledgedOutputsHoldCommitsAndReadinessButDoNotStopIt) {
  // The output topics lose their leader while Kafka answers metadata: the
  // outputs wait in the producer. Past flush_timeout_ms the daemon says it is
  // not ready and commits nothing past them; it goes on running, and commits
  // once Kafka takes them.
  cfg_.flush_timeout_ms = 300;
  auto d = run_daemon();
  const auto deps = d->daemon->http_deps();
  const auto wait_for = [&](const std::function<bool()>& cond, std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!cond() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(50ms);
    return cond();
  };
  ASSERT_TRUE(wait_for([&] { return deps->ready().ready; }, 30s)) << deps->ready().reason;
  const auto stored_tickets = [&] {
    std::size_t n = 0;
    for (std::int32_t p = 0; p < 2; ++p) {
      if (auto st = store_->load_partition(cfg_.topics.input, p)) n += st->tickets.size();
    }
    return n;
  };
  for (const auto* t : {"sla.escalations", "sla.deadlines"}) ASSERT_TRUE(cluster_->set_partition_leader(t, 0, -1));
  // Opened 59.9 s ago with a 1 min response target: a breach and a snapshot.
  send_json("T1", event("t1-open", "T1", sla::timerd::wall_now() - 59'900, R"("opened":{"plan":"gold","severity":"P1"})"));
  ASSERT_TRUE(wait_for([&] { return deps->ready().reason.find("not acknowledged") != std::string::npos; }, 20s))
      << deps->ready().reason;
  EXPECT_EQ(stored_tickets(), 0U) << "state committed before the outputs that it records";
  // What /metrics says meanwhile: not ready, outputs waiting, Kafka itself up.
  std::string scrape = deps->metrics_text();
  EXPECT_NE(scrape.find("\nsla_ready 0\n"), std::string::npos) << scrape;
  EXPECT_NE(scrape.find("\nsla_kafka_up 1\n"), std::string::npos) << scrape;
  EXPECT_GE(gauge(scrape, "sla_unacknowledged_outputs"), 1.0) << scrape;
  EXPECT_GE(gauge(scrape, "sla_pending_commits"), 1.0) << scrape;
  for (const auto* t : {"sla.escalations", "sla.deadlines"}) ASSERT_TRUE(cluster_->set_partition_leader(t, 0, 1));
  EXPECT_TRUE(wait_for([&] { return stored_tickets() == 1; }, 30s));
  EXPECT_TRUE(wait_for([&] { return deps->ready().ready; }, 30s)) << deps->ready().reason;
  auto got = read_until([](const Received& r) { return r.escalation_ids.count("T1/response/0/breached/0") > 0; }, 30s);
  EXPECT_EQ(got.escalation_ids.count("T1/response/0/breached/0"), 1U);
  scrape = deps->metrics_text();
  EXPECT_NE(scrape.find("\nsla_ready 1\n"), std::string::npos) << scrape;
  EXPECT_EQ(gauge(scrape, "sla_unacknowledged_outputs"), 0.0) << scrape;
  EXPECT_EQ(d->daemon->probe().delivery_failures("sla.escalations"), 0.0) << "late is not failed";
  d->stop();
  ASSERT_TRUE(d->result) << d->result.error().message;
}

// Lateness is split so that an alert on it does not fire after every
// restart: a timer that fell due while no instance served its partition is
// caught up (mode="catch_up"); one due while this instance served it live
// counts as live lateness. Breaches are counted by metric.
TEST_F(DaemonTest, LatenessOfTimersDueDuringARestartIsCountedAsCatchUp) {
  using Firing = sla::http::Probe::Firing;
  auto first = run_daemon();
  const auto wait_for = [&](const std::function<bool()>& cond, std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!cond() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
    return cond();
  };
  const auto ready = [](Running& r) { return r.daemon->http_deps()->ready().ready; };
  ASSERT_TRUE(wait_for([&] { return ready(*first); }, 30s));
  // Due 3 s from now (1 min target, opened 57 s ago): pending when the first
  // daemon stops, overdue when the second starts.
  const EpochMillis due = sla::timerd::wall_now() + 3'000;
  send_json("T1", event("t1-open", "T1", due - 60'000, R"("opened":{"plan":"gold","severity":"P1"})"));
  ASSERT_TRUE(wait_for([&] { return first->daemon->probe().events_consumed("opened") >= 1.0; }, 30s));
  first->stop();
  ASSERT_TRUE(first->result) << first->result.error().message;
  EXPECT_EQ(first->daemon->probe().fired_count("breached", "response", "gold", "P1"), 0.0) << "fired before it was due";
  // The restart outlasts the due moment (the scenario, not a synchronisation).
  while (sla::timerd::wall_now() < due + 500) std::this_thread::sleep_for(50ms);

  auto second = run_daemon();
  auto& probe = second->daemon->probe();
  ASSERT_TRUE(wait_for([&] { return probe.fired_count("breached", "response", "gold", "P1") >= 1.0; }, 40s));
  EXPECT_EQ(probe.lateness_count(Firing::kCatchUp), 1U);
  EXPECT_GE(probe.lateness_sum(Firing::kCatchUp), 0.5) << "late by the restart at least";
  EXPECT_EQ(probe.lateness_count(Firing::kLive), 0U) << "the restart's backlog counted as live lateness";

  // Live now: a timer armed while it serves and due 1.5 s later fires as live.
  ASSERT_TRUE(wait_for([&] { return ready(*second); }, 30s));
  const EpochMillis due2 = sla::timerd::wall_now() + 1'500;
  send_json("T2", event("t2-open", "T2", due2 - 60'000, R"("opened":{"plan":"gold","severity":"P1"})"));
  ASSERT_TRUE(wait_for([&] { return probe.fired_count("breached", "response", "gold", "P1") >= 2.0; }, 40s));
  EXPECT_EQ(probe.lateness_count(Firing::kLive), 1U);
  EXPECT_LT(probe.lateness_sum(Firing::kLive), 5.0);
  EXPECT_EQ(probe.lateness_count(Firing::kCatchUp), 1U);
  // An event that arrives with its deadline already past fires at once: that
  // is late input, not a late timer, and counts in neither histogram.
  send_json("T3", event("t3-open", "T3", sla::timerd::wall_now() - 120'000, R"("opened":{"plan":"gold","severity":"P1"})"));
  ASSERT_TRUE(wait_for([&] { return probe.fired_count("breached", "response", "gold", "P1") >= 3.0; }, 40s));
  EXPECT_EQ(probe.lateness_count(Firing::kLive), 1U);
  EXPECT_EQ(probe.lateness_count(Firing::kCatchUp), 1U);
  second->stop();
  ASSERT_TRUE(second->result) << second->result.error().message;
}

// An output Kafka never acknowledges (message.timeout.ms passes) is a
// delivery failure: counted, and the daemon stops rather than commit past it.
TEST_F(DaemonTest, AnOutputThatFailsForGoodIsCountedAsADeliveryFailure) {
  cfg_.kafka.properties["message.timeout.ms"] = "1500";
  auto d = run_daemon();
  const auto deps = d->daemon->http_deps();
  const auto end = std::chrono::steady_clock::now() + 30s;
  while (!deps->ready().ready && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(deps->ready().ready) << deps->ready().reason;
  ASSERT_TRUE(cluster_->set_partition_leader("sla.escalations", 0, -1));
  send_json("T1", event("t1-open", "T1", sla::timerd::wall_now() - 60'500, R"("opened":{"plan":"gold","severity":"P1"})"));
  d->thread.join();  // run() returns on the failure by itself
  ASSERT_FALSE(d->result);
  EXPECT_NE(d->result.error().message.find("failed"), std::string::npos) << d->result.error().message;
  EXPECT_GE(d->daemon->probe().delivery_failures("sla.escalations"), 1.0);
  const std::string scrape = deps->metrics_text();
  EXPECT_NE(scrape.find("sla_delivery_failures_total{topic=\"sla.escalations\"}"), std::string::npos) << scrape;
  ASSERT_TRUE(cluster_->set_partition_leader("sla.escalations", 0, 1));
}

}  // namespace

// POST /v1/policy/preview through the daemon's HTTP callbacks: every open
// ticket is read from the store (both partitions, not only the engines the
// loop holds), a candidate with a 2 h longer resolution target moves each
// ticket's resolution deadline by exactly 2 h, a candidate that does not
// load is 422 with its position, and nothing is applied.
TEST_F(DaemonTest, PolicyPreviewReadsEveryOpenTicketFromTheStore) {
  auto running = run_daemon();
  const EpochMillis now = sla::timerd::wall_now();
  constexpr int kTickets = 6;
  for (int i = 0; i < kTickets; ++i) {
    const std::string id = "P" + std::to_string(i);
    send_json(id, event(id + "-open", id, now, R"("opened":{"plan":"gold","severity":"P1"})"));
  }
  std::set<std::int32_t> partitions_used;
  std::size_t stored = 0;
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (stored < kTickets && std::chrono::steady_clock::now() < until) {
    stored = 0;
    partitions_used.clear();
    for (std::int32_t p = 0; p < 2; ++p) {
      auto st = store_->load_partition(cfg_.topics.input, p);
      ASSERT_TRUE(st);
      stored += st->tickets.size();
      if (!st->tickets.empty()) partitions_used.insert(p);
    }
    if (stored < kTickets) std::this_thread::sleep_for(50ms);  // polling the store, not synchronising
  }
  ASSERT_EQ(stored, static_cast<std::size_t>(kTickets));
  EXPECT_EQ(partitions_used.size(), 2u) << "the tickets should spread over both partitions";

  auto deps = running->daemon->http_deps();
  ASSERT_TRUE(deps->preview_policy);
  std::string candidate = kPolicy;
  candidate.replace(candidate.find("within: 1h"), 10, "within: 3h");
  const auto [status, j] = deps->preview_policy(candidate, sla::http::PreviewParams{});
  ASSERT_EQ(status, 200u) << j.dump();
  EXPECT_EQ(j["tickets"], kTickets);
  EXPECT_EQ(j["source"]["store_partitions"], 2);
  EXPECT_EQ(j["source"]["tickets_read"], kTickets);
  EXPECT_TRUE(j["complete"].get<bool>());
  EXPECT_EQ(j["tickets_changed"], kTickets);
  int moved = 0;
  for (const auto& c : j["changes"]) {
    if (c["what"] == "deadline" && c["metric"] == "resolution") {
      EXPECT_EQ(c["moved_by_ms"], 2 * 3'600'000) << c.dump();
      ++moved;
    }
    EXPECT_NE(c["metric"], "response") << "the response target did not change: " << c.dump();
  }
  EXPECT_EQ(moved, kTickets);

  const auto [bad_status, bad] = deps->preview_policy("version: 1\npolicy_id: x\nplans:\n  gold: 7\n", {});
  EXPECT_EQ(bad_status, 422u) << bad.dump();
  EXPECT_FALSE(bad["ok"].get<bool>());
  ASSERT_FALSE(bad["errors"].empty());
  EXPECT_GT(bad["errors"][0]["line"].get<int>(), 0);

  // Nothing was applied: the policy in force is still the daemon's own.
  EXPECT_EQ(deps->policy_summary()["policy_id"], "daemon-test");
  running->stop();
  ASSERT_TRUE(running->result) << running->result.error().message;
}
