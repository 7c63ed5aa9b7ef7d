// Probe verbs land in the right Prometheus series.
#include "sla/http/probe.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Probe, CountersAndGauges) {
  sla::http::Probe probe;
  probe.event_consumed(sla::engine::EventKind::kOpened);
  probe.event_consumed(sla::engine::EventKind::kOpened);
  probe.event_consumed("resolved");
  probe.dlq("undecodable");
  probe.breach_fired("gold", "P1");
  probe.breach_fired("gold", "P1");
  probe.fired("warning", "gold", "P2");
  probe.page_fired("gold", "P1");
  probe.open_tickets(42);
  probe.pending_timers(17);
  probe.consumer_lag("sla.tickets", 3, 1200);
  probe.output_produced("sla.escalations");
  probe.output_produced("sla.deadlines", 5);  // counted in bulk
  probe.output_produced("sla.deadlines", 0);
  probe.event_consumed(sla::engine::EventKind::kClosed, 3);
  probe.event_consumed(sla::engine::EventKind::kReopened, 0);
  probe.loop_seconds("apply", 0.25);
  probe.loop_seconds("apply", 0.5);
  probe.loop_seconds("poll", 1.0);
  probe.firing_lateness(3.0);
  probe.firing_lateness(7.0);
  probe.redis_latency("commit", 0.8);

  EXPECT_EQ(probe.events_consumed("opened"), 2.0);
  EXPECT_EQ(probe.events_consumed("resolved"), 1.0);
  EXPECT_EQ(probe.events_consumed("closed"), 3.0);
  EXPECT_EQ(probe.events_consumed("reopened"), 0.0);
  EXPECT_EQ(probe.outputs_produced("sla.deadlines"), 5.0);
  EXPECT_EQ(probe.loop_seconds_value("apply"), 0.75);
  EXPECT_EQ(probe.loop_seconds_value("poll"), 1.0);
  EXPECT_EQ(probe.loop_seconds_value("cut"), 0.0);
  EXPECT_EQ(probe.dlq_count("undecodable"), 1.0);
  EXPECT_EQ(probe.dlq_count("oversize"), 0.0);
  EXPECT_EQ(probe.fired_count("breached", "gold", "P1"), 2.0);
  EXPECT_EQ(probe.fired_count("warning", "gold", "P2"), 1.0);
  EXPECT_EQ(probe.fired_count("page", "gold", "P1"), 1.0);
  EXPECT_EQ(probe.open_tickets_value(), 42.0);
  EXPECT_EQ(probe.pending_timers_value(), 17.0);
  EXPECT_EQ(probe.consumer_lag_value("sla.tickets", 3), 1200.0);
  EXPECT_EQ(probe.outputs_produced("sla.escalations"), 1.0);
  EXPECT_EQ(probe.lateness_count(), 2u);
  EXPECT_EQ(probe.lateness_sum(), 10.0);
  EXPECT_EQ(probe.redis_latency_count("commit"), 1u);
  EXPECT_EQ(probe.redis_latency_count("load"), 0u);

  const std::string text = probe.text();
  EXPECT_TRUE(contains(text, "# TYPE sla_events_consumed_total counter")) << text;
  EXPECT_TRUE(contains(text, "sla_events_consumed_total{kind=\"opened\"} 2")) << text;
  EXPECT_TRUE(contains(text, "sla_dlq_total{reason=\"undecodable\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_fired_total{kind=\"breached\",plan=\"gold\",severity=\"P1\"} 2")) << text;
  EXPECT_TRUE(contains(text, "sla_open_tickets 42")) << text;
  EXPECT_TRUE(contains(text, "sla_pending_timers 17")) << text;
  EXPECT_TRUE(contains(text, "sla_consumer_lag{partition=\"3\",topic=\"sla.tickets\"} 1200")) << text;
  EXPECT_TRUE(contains(text, "sla_outputs_produced_total{topic=\"sla.escalations\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_firing_lateness_ms_count 2")) << text;
  EXPECT_TRUE(contains(text, "sla_firing_lateness_ms_bucket{le=\"5\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_redis_latency_ms_count{op=\"commit\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_loop_seconds_total{phase=\"apply\"} 0.75")) << text;
  // Reading an accessor never creates a series.
  EXPECT_FALSE(contains(text, "oversize"));
}

TEST(Probe, FiredFromEngineOutputs) {
  sla::http::Probe probe;
  sla::engine::SlaOutput breach;
  breach.kind = sla::engine::SlaKind::kBreached;
  breach.plan = "silver";
  breach.severity = "P3";
  probe.fired(sla::engine::Output{breach});
  sla::engine::PageOutput page;
  page.plan = "silver";
  page.severity = "P3";
  probe.fired(sla::engine::Output{page});
  EXPECT_EQ(probe.fired_count("breached", "silver", "P3"), 1.0);
  EXPECT_EQ(probe.fired_count("page", "silver", "P3"), 1.0);
}

}  // namespace
