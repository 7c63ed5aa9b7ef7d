// views::ComplianceFeed against librdkafka's mock cluster: it reads every
// partition of the SLA events topic, counts each clock once whatever the log
// repeats, skips what is not an SlaEvent, and says when its bound drops clocks.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "sla/codec/codec.hpp"
#include "sla/kafka/mock_cluster.hpp"
#include "sla/kafka/producer.hpp"
#include "sla/views/compliance_feed.hpp"

namespace {

using namespace std::chrono_literals;
using sla::engine::SlaKind;
using sla::engine::SlaOutput;

constexpr sla::EpochMillis kH = 3'600'000;
constexpr sla::EpochMillis kT0 = 1'775'000'000'000;

SlaOutput out(const std::string& ticket, SlaKind kind, sla::EpochMillis fired, std::uint32_t reminder = 0) {
  SlaOutput o;
  o.ticket_id = ticket;
  o.tenant_id = "acme";
  o.plan = "pro";
  o.severity = "P1";
  o.metric = sla::engine::MetricKind::kResponse;
  o.kind = kind;
  o.started_at = kT0;
  o.fired_at = fired;
  o.deadline = kT0 + 2 * kH;
  o.elapsed_ms = fired - kT0;
  o.target_ms = 2 * kH;
  o.reminder = reminder;
  o.threshold = kind == SlaKind::kWarning ? "50%" : "";
  o.event_id = ticket + "/response/0/" + std::string(sla::engine::to_string(kind)) + "/" + std::to_string(reminder);
  return o;
}

class ComplianceFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = sla::kafka::MockCluster::start(1);
    ASSERT_TRUE(c) << c.error().message;
    cluster_ = std::move(*c);
    ASSERT_TRUE(cluster_->create_topic("sla.escalations", 2));
    sla::kafka::KafkaConfig cfg = config();
    auto p = sla::kafka::Producer::create(cfg, {});
    ASSERT_TRUE(p) << p.error().message;
    const SlaOutput outputs[] = {out("T1", SlaKind::kMet, kT0 + kH),          out("T1", SlaKind::kMet, kT0 + kH),
                                 out("T2", SlaKind::kBreached, kT0 + 2 * kH), out("T2", SlaKind::kBreached, kT0 + 3 * kH, 1),
                                 out("T2", SlaKind::kBreached, kT0 + 2 * kH), out("T3", SlaKind::kWarning, kT0 + kH)};
    for (const auto& o : outputs) ASSERT_TRUE((*p)->produce("sla.escalations", o.ticket_id, sla::codec::encode_output(o)));
    ASSERT_TRUE((*p)->produce("sla.escalations", "junk", "not an SlaEvent"));
    ASSERT_TRUE((*p)->flush(10s));
  }

  sla::kafka::KafkaConfig config() const {
    sla::kafka::KafkaConfig c;
    c.brokers = cluster_->bootstrap_servers();
    c.client_id = "compliance-feed-test";
    return c;
  }

  // Polls (bounded: 20 s) until the feed has read the topic to its end and holds `clocks`.
  static sla::views::ComplianceState wait_for(const sla::views::ComplianceFeed& feed, std::size_t clocks) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    auto s = feed.state();
    while ((!s.loaded || s.clocks + s.dropped < clocks || s.undecodable < 1) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      s = feed.state();
    }
    return s;
  }

  std::unique_ptr<sla::kafka::MockCluster> cluster_;
};

TEST_F(ComplianceFeedTest, CountsEveryClockOnceAcrossPartitions) {
  sla::views::ComplianceFeedOptions o;
  o.kafka = config();
  sla::views::ComplianceFeed feed(o);
  const auto s = wait_for(feed, 3);
  ASSERT_TRUE(s.loaded);
  EXPECT_EQ(s.clocks, 3U);
  EXPECT_EQ(s.undecodable, 1U);
  sla::report::Query q;
  q.from = kT0;
  q.to = kT0 + 24 * kH;
  const auto r = feed.report(q);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.total.started, 3U);
  EXPECT_EQ(r.total.met, 1U);
  EXPECT_EQ(r.total.breached, 1U);  // the reminder and the re-sent breach are not breaches
  EXPECT_EQ(r.total.business.median.ms, kH);
}

TEST_F(ComplianceFeedTest, PastItsBoundReportsSayIncomplete) {
  sla::views::ComplianceFeedOptions o;
  o.kafka = config();
  o.max_clocks = 2;
  sla::views::ComplianceFeed feed(o);
  const auto s = wait_for(feed, 3);
  ASSERT_TRUE(s.loaded);
  EXPECT_EQ(s.clocks, 2U);
  EXPECT_GE(s.dropped, 1U);  // the events of the clock not kept (one to three, by arrival order)
  sla::report::Query q;
  q.from = kT0;
  q.to = kT0 + 24 * kH;
  EXPECT_FALSE(feed.report(q).complete);
}

}  // namespace
