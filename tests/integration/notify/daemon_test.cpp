// sla-notify in one process: PageEvents produced to librdkafka's mock cluster
// (loopback), consumed by the daemon, delivered over verified TLS to fake
// PagerDuty / Slack / webhook receivers (a CA made by the test); retries,
// dead letters on sla.notify.dlq, committed offsets, and the PagerDuty ack
// webhook producing page_acknowledged.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "daemon.hpp"
#include "receiver.hpp"
#include "sla/kafka/consumer.hpp"
#include "sla/kafka/handles.hpp"
#include "sla/kafka/mock_cluster.hpp"
#include "sla/kafka/producer.hpp"
#include "sla/notify/signing.hpp"
#include "sla/v1/sla_event.pb.h"
#include "sla/v1/ticket_event.pb.h"
#include "wire.hpp"

#include <librdkafka/rdkafka.h>

namespace sla::notify_service {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sla::testing::ReceivedRequest;
using sla::testing::Receiver;
using sla::testing::Reply;
using ::testing::ElementsAre;

const std::string& ca_dir() {
  static const std::string dir = sla::testing::make_test_ca("/tmp/sla-notify-test-ca-" + std::to_string(::getuid()));
  return dir;
}

std::unique_ptr<Receiver> receiver(Receiver::Behaviour b = {}) {
  return std::make_unique<Receiver>(ca_dir() + "/server.pem", ca_dir() + "/server.key", std::move(b));
}

notify::Page page(int i, notify::PageAction action = notify::PageAction::kTrigger) {
  notify::Page p;
  p.ticket_id = "T-" + std::to_string(i);
  p.dedup_key = p.ticket_id + "/response/0/page/p0/1/db";
  p.page_id = p.dedup_key + "/0/0";
  p.tenant_id = "acme";
  p.plan = "gold";
  p.severity = "P1";
  p.metric = "response";
  p.target = "db";
  p.rotation = "primary";
  p.responder = "alice";
  p.high_urgency = true;
  p.fired_at = 1767322745'000;
  p.action = action;
  return p;
}

std::size_t count_path(const std::vector<ReceivedRequest>& rs, const std::string& path) {
  std::size_t n = 0;
  for (const auto& r : rs) n += r.target == path ? 1u : 0u;
  return n;
}

class NotifyDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = kafka::MockCluster::start(1);
    ASSERT_TRUE(c) << c.error().message;
    cluster_ = std::move(*c);
    ASSERT_TRUE(cluster_->create_topic("sla.pages", 2));
    ASSERT_TRUE(cluster_->create_topic("tickets.events", 1));
    ASSERT_TRUE(cluster_->create_topic("sla.notify.dlq", 1));
    ASSERT_TRUE(cluster_->create_topic("sla.escalations", 1));
    cfg_.kafka.brokers = cluster_->bootstrap_servers();
    cfg_.kafka.group_id = "notify-test";
    cfg_.kafka.client_id = "notify-test";
    cfg_.kafka.properties["session.timeout.ms"] = "3000";
    cfg_.kafka.properties["heartbeat.interval.ms"] = "250";
    cfg_.ca_file = ca_dir() + "/ca.pem";
    cfg_.poll_ms = 20;
    cfg_.commit_interval_ms = 50;
    cfg_.request_timeout_ms = 2000;
    cfg_.pagerduty_webhook_secret = "pd-secret";
    auto p = kafka::Producer::create(cfg_.kafka);
    ASSERT_TRUE(p);
    producer_ = std::move(*p);
  }

  notify::Routes routes(const std::string& pd_url, const std::string& chat_url, const std::string& hook_url) {
    const std::string text = "dashboard_url: https://sla.example.com\ndestinations:\n"
                             "  - {name: pd, type: pagerduty, url: \"" + pd_url + "\", routing_key: R1, backoff_initial_ms: 50, backoff_max_ms: 200}\n"
                             "  - {name: chat, type: slack, url: \"" + chat_url + "\", backoff_initial_ms: 50}\n"
                             "  - {name: hook, type: webhook, url: \"" + hook_url + "\", secret: hook-secret, backoff_initial_ms: 50}\n"
                             "routes:\n  - to: [pd, chat, hook]\n";
    std::vector<notify::LoadError> errors;
    auto r = notify::load_routes(text, "routes.yaml", {}, errors);
    EXPECT_TRUE(r) << (errors.empty() ? "" : notify::format(errors[0]));
    return r.value_or(notify::Routes{});
  }

  void produce(const notify::Page& p) {
    ASSERT_TRUE(producer_->produce("sla.pages", p.ticket_id, encode_page(p)));
  }

  void start(notify::Routes r) {
    daemon_ = std::make_unique<Daemon>(cfg_, std::move(r));
    ASSERT_TRUE(daemon_->start());
    thread_ = std::thread([this] { result_ = daemon_->run(); });
  }

  void stop() {
    if (!daemon_) return;
    daemon_->request_stop();
    thread_.join();
    ASSERT_TRUE(result_) << result_.error().message;
    daemon_.reset();
  }

  void TearDown() override { stop(); }

  // Committed offsets of the daemon's group, read from the coordinator.
  std::map<int, std::int64_t> committed() {
    auto kc = cfg_.kafka;
    auto c = kafka::Consumer::create(kc, {"unused-topic"});
    EXPECT_TRUE(c);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(parts, "sla.pages", 0);
    rd_kafka_topic_partition_list_add(parts, "sla.pages", 1);
    std::map<int, std::int64_t> out;
    if (rd_kafka_committed((*c)->raw(), parts, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < parts->cnt; ++i) out[parts->elems[i].partition] = parts->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return out;
  }

  std::vector<kafka::Message> read(const std::string& topic, std::size_t n, std::chrono::milliseconds timeout = 10s) {
    auto kc = cfg_.kafka;
    kc.group_id = "reader-" + topic + std::to_string(++readers_);
    auto c = kafka::Consumer::create(kc, {topic});
    EXPECT_TRUE(c);
    std::vector<kafka::Message> out;
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n && std::chrono::steady_clock::now() < end) {
      auto batch = (*c)->poll(100ms);
      if (batch) out.insert(out.end(), batch->begin(), batch->end());
    }
    return out;
  }

  std::unique_ptr<kafka::MockCluster> cluster_;
  std::unique_ptr<kafka::Producer> producer_;
  Config cfg_;
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
  Result<void> result_;
  int readers_ = 0;
};

TEST_F(NotifyDaemon, DeliversEveryPageToEveryDestinationAndCommits) {
  auto rx = receiver();
  start(routes(rx->url("/pd"), rx->url("/chat"), rx->url("/hook")));
  constexpr int kPages = 20;
  for (int i = 0; i < kPages; ++i) produce(page(i));
  // The lifecycle of one incident, in order.
  produce(page(3, notify::PageAction::kAcknowledge));
  produce(page(3, notify::PageAction::kResolve));
  ASSERT_TRUE(producer_->flush(5s));
  ASSERT_TRUE(rx->wait_for([&](const auto& rs) { return rs.size() >= 3 * (kPages + 2); }, 20s)) << rx->count();
  const auto reqs = rx->requests();
  EXPECT_EQ(count_path(reqs, "/pd"), kPages + 2u);
  EXPECT_EQ(count_path(reqs, "/chat"), kPages + 2u);
  EXPECT_EQ(count_path(reqs, "/hook"), kPages + 2u);
  std::vector<std::string> lifecycle;
  for (const auto& r : reqs) {
    if (r.target == "/pd") {
      const auto j = json::parse(r.body);
      EXPECT_EQ(j["routing_key"], "R1");
      if (j["dedup_key"] == "T-3/response/0/page/p0/1/db") lifecycle.push_back(j["event_action"]);
      if (j["event_action"] == "trigger") {
        EXPECT_EQ(j["payload"]["severity"], "critical");
        EXPECT_EQ(j["links"][0]["href"].get<std::string>().rfind("https://sla.example.com/v1/tickets/T-", 0), 0u);
      }
    }
    if (r.target == "/hook") {
      // The receiver's side of the signature: it verifies with the shared secret.
      EXPECT_TRUE(notify::verify_webhook("hook-secret", r.header("x-sla-timestamp"), r.header("x-sla-signature"),
                                         r.body, SystemClock().now()));
      EXPECT_FALSE(notify::verify_webhook("other", r.header("x-sla-timestamp"), r.header("x-sla-signature"), r.body,
                                          SystemClock().now()));
    }
  }
  EXPECT_THAT(lifecycle, ElementsAre("trigger", "acknowledge", "resolve"));
  // Connections are reused: far fewer than requests.
  EXPECT_LT(rx->connections(), 20u);
  stop();
  const auto offsets = committed();
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets.at(0) + offsets.at(1), kPages + 2);
}

TEST_F(NotifyDaemon, RetriesFailuresAndDeadLettersRejections) {
  std::atomic<int> pd_calls{0};
  auto rx = receiver([&](const ReceivedRequest& r) {
    Reply reply;
    if (r.target == "/pd") {
      const int n = ++pd_calls;
      if (n == 1) reply.status = 500;
      if (n == 2) {
        reply.status = 429;
        reply.headers.emplace_back("Retry-After", "1");
      }
      if (n == 3) reply.kind = Reply::Kind::kCloseMidResponse;
    }
    if (r.target == "/chat") {
      reply.status = 400;
      reply.body = "invalid_blocks";
    }
    return reply;
  });
  start(routes(rx->url("/pd"), rx->url("/chat"), rx->url("/hook")));
  produce(page(1));
  ASSERT_TRUE(producer_->flush(5s));
  ASSERT_TRUE(rx->wait_for([](const auto& rs) { return count_path(rs, "/pd") >= 4; }, 20s));
  const auto reqs = rx->requests();
  std::vector<std::string> keys;
  for (const auto& r : reqs) {
    if (r.target == "/pd") keys.push_back(json::parse(r.body)["dedup_key"]);
  }
  ASSERT_EQ(keys.size(), 4u);  // 500, 429, closed mid-response, then 202
  for (const auto& k : keys) EXPECT_EQ(k, "T-1/response/0/page/p0/1/db");
  EXPECT_EQ(count_path(reqs, "/chat"), 1u);  // 400: never retried
  const auto dlq = read("sla.notify.dlq", 1);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].key, "T-1");
  EXPECT_EQ(dlq[0].header("sla-dlq-reason"), "rejected");
  EXPECT_EQ(dlq[0].header("sla-destination"), "chat");
  const auto body = json::parse(dlq[0].payload);
  EXPECT_EQ(body["status"], 400);
  EXPECT_EQ(body["response"], "invalid_blocks");
  EXPECT_EQ(body["page"]["dedup_key"], "T-1/response/0/page/p0/1/db");
  // Metrics: by destination and outcome.
  for (int i = 0; i < 200 && daemon_->probe().deliveries("pd", "delivered") < 1; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(daemon_->probe().deliveries("pd", "delivered"), 1);
  EXPECT_EQ(daemon_->probe().deliveries("pd", "retry"), 3);
  EXPECT_EQ(daemon_->probe().deliveries("chat", "dead_letter"), 1);
  EXPECT_EQ(daemon_->probe().dlq_count("chat", "rejected"), 1);
  const auto text = daemon_->probe().text();
  EXPECT_NE(text.find("sla_notify_request_seconds_bucket{destination=\"pd\""), std::string::npos);
  EXPECT_NE(text.find("sla_notify_retries_total{destination=\"pd\",reason=\"http_429\"} 1"), std::string::npos);
}

TEST_F(NotifyDaemon, AHangingDestinationDoesNotHoldTheOthers) {
  auto rx = receiver([](const ReceivedRequest& r) {
    Reply reply;
    if (r.target == "/pd") reply.kind = Reply::Kind::kHang;
    return reply;
  });
  cfg_.request_timeout_ms = 60'000;  // pd hangs for the whole test
  cfg_.drain_timeout_ms = 500;       // pd cannot be drained: do not wait the default 15 s
  start(routes(rx->url("/pd"), rx->url("/chat"), rx->url("/hook")));
  for (int i = 0; i < 10; ++i) produce(page(i));
  ASSERT_TRUE(producer_->flush(5s));
  ASSERT_TRUE(rx->wait_for([](const auto& rs) { return count_path(rs, "/chat") == 10 && count_path(rs, "/hook") == 10; },
                           20s));
  EXPECT_LE(count_path(rx->requests(), "/pd"), 4u);  // one per lane, all hanging
  rx->stop();  // releases the hanging requests (transport errors -> retries)
  daemon_->request_stop();
  thread_.join();
  daemon_.reset();
  // Nothing was committed past the first page still owed to pd.
  for (const auto& [part, off] : committed()) EXPECT_LE(off, 0) << part;
}

TEST_F(NotifyDaemon, SigtermDrainsTheDeliveryInFlightThenCommits) {
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  auto rx = receiver([&](const ReceivedRequest&) {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return release; });  // in flight until the test says
    return Reply{};
  });
  auto r = routes(rx->url("/pd"), rx->url("/chat"), rx->url("/hook"));
  r.routes[0].destinations = {0};  // pd only
  start(std::move(r));
  produce(page(1));
  ASSERT_TRUE(producer_->flush(5s));
  ASSERT_TRUE(rx->wait_for([](const auto& rs) { return rs.size() == 1; }, 20s));
  daemon_->request_stop();
  // Draining: no longer ready, still waiting for the delivery in flight.
  for (int i = 0; i < 500 && daemon_->ready(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(daemon_->ready());
  EXPECT_EQ(daemon_->probe().deliveries("pd", "delivered"), 0);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  thread_.join();
  ASSERT_TRUE(result_) << result_.error().message;
  EXPECT_EQ(daemon_->probe().deliveries("pd", "delivered"), 1);
  daemon_.reset();
  const auto offsets = committed();
  std::int64_t total = 0;
  for (const auto& [part, off] : offsets) total += std::max<std::int64_t>(off, 0);
  EXPECT_EQ(total, 1);  // the drained delivery was committed before leaving
}

TEST_F(NotifyDaemon, BreachNoticesFromEscalationsGoToChat) {
  auto rx = receiver();
  auto r = routes(rx->url("/pd"), rx->url("/chat"), rx->url("/hook"));
  notify::Route notices;
  notices.kinds = {"breached"};
  notices.severity.values = {"P1"};
  notices.destinations = {1};  // chat
  r.routes.insert(r.routes.begin(), notices);
  start(std::move(r));
  auto notice = [](const std::string& id, const std::string& severity) {
    sla::v1::SlaEvent e;
    e.set_event_id(id);
    e.set_ticket_id("T-7");
    e.set_tenant_id("acme");
    e.set_severity(severity);
    e.set_metric(sla::v1::METRIC_RESOLUTION);
    e.mutable_breached()->set_reminder(0);
    return e.SerializeAsString();
  };
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-7", notice("T-7/resolution/0/breached/0", "P1")));
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-7", notice("T-8/resolution/0/breached/0", "P3")));  // no route
  // The same in proto3-JSON, with the headers sla-timerd's topics.encoding:
  // json puts on it (docs/topics.md): read by its content-type.
  sla::v1::SlaEvent as_json;
  ASSERT_TRUE(as_json.ParseFromString(notice("T-7/resolution/0/breached/1", "P1")));
  std::string json_text;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(as_json, &json_text).ok());
  const std::vector<kafka::Header> json_headers = {
      {"content-type", "application/json"}, {"sla-type", "sla.v1.SlaEvent"}, {"sla-schema", "1"}};
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-7", json_text, json_headers));
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-7", "not a protobuf \xff"));  // dead-lettered
  ASSERT_TRUE(producer_->flush(5s));
  const auto dlq = read("sla.notify.dlq", 1);  // the last record was consumed
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].header("sla-dlq-reason"), "undecodable");
  EXPECT_EQ(dlq[0].header("sla-source-topic"), "sla.escalations");
  stop();  // drains: whatever was routed is delivered by now
  const auto reqs = rx->requests();
  ASSERT_EQ(reqs.size(), 2u);  // the P3 notice matched no route; the JSON one did
  for (const auto& req : reqs) {
    const auto j = json::parse(req.body);
    EXPECT_EQ(j["text"], "[P1] acme ticket T-7: resolution SLA breached");
    EXPECT_EQ(j["blocks"][0]["text"]["text"], "SLA breached: ticket T-7");
  }
}

TEST_F(NotifyDaemon, EscalatedNoticesSayWhyTheyFired) {
  auto rx = receiver();
  auto r = routes(rx->url("/pd"), rx->url("/chat"), rx->url("/hook"));
  notify::Route escalated;
  escalated.kinds = {"escalated"};
  escalated.destinations = {1, 2};  // chat and the signed webhook
  r.routes.insert(r.routes.begin(), escalated);
  start(std::move(r));
  auto notice = [](const std::string& ticket, auto&& set_trigger) {
    sla::v1::SlaEvent e;
    e.set_event_id(ticket + "/resolution/0/escalated/l4/1");
    e.set_ticket_id(ticket);
    e.set_tenant_id("acme");
    e.set_severity("P2");
    e.set_metric(sla::v1::METRIC_RESOLUTION);
    e.mutable_escalated()->set_step(0);
    e.mutable_escalated()->add_notify("management");
    set_trigger(*e.mutable_escalated());
    return e.SerializeAsString();
  };
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-1", notice("T-1", [](sla::v1::Escalated&) {})));
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-2", notice("T-2", [](sla::v1::Escalated& x) {
    x.set_trigger("exchanges");
    x.set_exchanges(2);
  })));
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-3", notice("T-3", [](sla::v1::Escalated& x) {
    x.set_trigger("requested");
    x.mutable_request()->set_by("cfo@acme");
    x.mutable_request()->set_reason("ESCALATION: outage");
    x.mutable_request()->mutable_requested_at()->set_seconds(1767323045);  // 2026-01-02T03:04:05Z
  })));
  // A last, undecodable record: once it is dead-lettered the three before it
  // were consumed (one partition), and stop() drains their deliveries.
  ASSERT_TRUE(producer_->produce("sla.escalations", "T-4", "not a protobuf \xff"));
  ASSERT_TRUE(producer_->flush(5s));
  ASSERT_EQ(read("sla.notify.dlq", 1).size(), 1U);
  stop();
  std::map<std::string, std::string> chat;  // ticket -> summary line
  std::map<std::string, json> hook;         // ticket -> notice
  for (const auto& req : rx->requests()) {
    const auto j = json::parse(req.body);
    if (req.target == "/chat") {
      const auto text = j["text"].get<std::string>();
      chat[text.substr(text.find("ticket ") + 7, 3)] = text;
    } else if (req.target == "/hook") {
      hook[j["notice"]["ticket_id"].get<std::string>()] = j["notice"];
    }
  }
  ASSERT_EQ(chat.size(), 3U);
  ASSERT_EQ(hook.size(), 3U);
  EXPECT_EQ(chat["T-1"], "[P2] acme ticket T-1: resolution SLA escalated (step 0, on the clock)");
  EXPECT_EQ(chat["T-2"], "[P2] acme ticket T-2: resolution SLA escalated (step 0, after 2 exchanges)");
  EXPECT_EQ(chat["T-3"],
            "[P2] acme ticket T-3: resolution SLA escalated (step 0, requested by cfo@acme: \"ESCALATION: outage\")");
  EXPECT_EQ(hook["T-1"]["trigger"], "clock");
  EXPECT_EQ(hook["T-2"]["trigger"], "exchanges");
  EXPECT_EQ(hook["T-2"]["exchanges"], 2);
  EXPECT_EQ(hook["T-3"]["trigger"], "requested");
  EXPECT_EQ(hook["T-3"]["request"]["by"], "cfo@acme");
  EXPECT_EQ(hook["T-3"]["request"]["reason"], "ESCALATION: outage");
  EXPECT_EQ(hook["T-3"]["request"]["requested_at"], "2026-01-02T03:04:05.000Z");
}

TEST_F(NotifyDaemon, PagerDutyAckWebhookProducesPageAcknowledged) {
  auto rx = receiver();
  start(routes(rx->url("/pd"), rx->url("/chat"), rx->url("/hook")));
  const std::string body = R"({"event":{"id":"EV1","event_type":"incident.acknowledged","occurred_at":"2026-01-02T03:04:05Z",)"
                           R"("agent":{"summary":"Alice"},"data":{"id":"Q1","type":"incident","incident_key":"T-9/response/0/page/p0/1/db"}}})";
  auto request = [&](const std::string& sig) {
    http::Request req{boost::beast::http::verb::post, "/v1/pagerduty/webhook", 11};
    // PagerDuty calls the public name, which is not in http.allowed_hosts:
    // the signed webhook is exempt from the Host rule.
    req.set(boost::beast::http::field::host, "notify.example.com");
    req.set("X-PagerDuty-Signature", sig);
    req.body() = body;
    req.prepare_payload();
    return daemon_->handle(req);
  };
  EXPECT_EQ(request("v1=" + notify::hmac_sha256_hex("wrong", body)).result_int(), 401u);
  const auto res = request("v1=" + notify::hmac_sha256_hex("pd-secret", body));
  EXPECT_EQ(res.result_int(), 202u) << res.body();
  const auto msgs = read("tickets.events", 1);
  ASSERT_EQ(msgs.size(), 1u);  // only the signed one
  EXPECT_EQ(msgs[0].key, "T-9");
  sla::v1::TicketEvent e;
  ASSERT_TRUE(e.ParseFromString(msgs[0].payload));
  EXPECT_EQ(e.event_id(), "pagerduty/EV1");
  EXPECT_EQ(e.ticket_id(), "T-9");
  EXPECT_EQ(e.page_acknowledged().page_id(), "T-9/response/0/page/p0/1/db");
  EXPECT_EQ(e.page_acknowledged().responder(), "Alice");
  // Health endpoints.
  http::Request h{boost::beast::http::verb::get, "/healthz", 11};
  EXPECT_EQ(daemon_->handle(h).result_int(), 200u);
  h.target("/metrics");
  EXPECT_NE(daemon_->handle(h).body().find("sla_notify_pagerduty_webhooks_total{result=\"produced\"} 1"),
            std::string::npos);
  // Host and Origin rules (sla/http/origin.hpp): a rebinding name reads
  // nothing; a page on another site cannot post, even to the webhook.
  h.set(boost::beast::http::field::host, "rebind.evil.example:8081");
  EXPECT_EQ(daemon_->handle(h).result_int(), 421u);
  h.set(boost::beast::http::field::host, "10.244.0.7:8081");
  EXPECT_EQ(daemon_->handle(h).result_int(), 200u);
  http::Request forged{boost::beast::http::verb::post, "/v1/pagerduty/webhook", 11};
  forged.set(boost::beast::http::field::host, "127.0.0.1:8081");
  forged.set(boost::beast::http::field::origin, "https://evil.example");
  forged.set("X-PagerDuty-Signature", "v1=" + notify::hmac_sha256_hex("pd-secret", body));
  forged.body() = body;
  forged.prepare_payload();
  EXPECT_EQ(daemon_->handle(forged).result_int(), 403u);
}

}  // namespace
}  // namespace sla::notify_service
