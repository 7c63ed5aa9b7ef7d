// Probe verbs land in the right Prometheus series.
#include "sla/http/probe.hpp"

#include <ctime>
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
  probe.fired("breached", "response", "gold", "P1");
  probe.fired("breached", "response", "gold", "P1");
  probe.fired("warning", "resolution", "gold", "P2");
  probe.fired("page", "response", "gold", "P1");
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
  probe.firing_lateness(sla::http::Probe::Firing::kLive, 0.003);
  probe.firing_lateness(sla::http::Probe::Firing::kLive, 0.007);
  probe.firing_lateness(sla::http::Probe::Firing::kCatchUp, 7200.0);
  probe.redis_latency("commit", 0.0008);

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
  EXPECT_EQ(probe.fired_count("breached", "response", "gold", "P1"), 2.0);
  EXPECT_EQ(probe.fired_count("breached", "resolution", "gold", "P1"), 0.0);
  EXPECT_EQ(probe.fired_count("warning", "resolution", "gold", "P2"), 1.0);
  EXPECT_EQ(probe.fired_count("page", "response", "gold", "P1"), 1.0);
  EXPECT_EQ(probe.open_tickets_value(), 42.0);
  EXPECT_EQ(probe.pending_timers_value(), 17.0);
  EXPECT_EQ(probe.consumer_lag_value("sla.tickets", 3), 1200.0);
  EXPECT_EQ(probe.outputs_produced("sla.escalations"), 1.0);
  EXPECT_EQ(probe.lateness_count(sla::http::Probe::Firing::kLive), 2u);
  EXPECT_DOUBLE_EQ(probe.lateness_sum(sla::http::Probe::Firing::kLive), 0.010);
  EXPECT_EQ(probe.lateness_count(sla::http::Probe::Firing::kCatchUp), 1u);
  EXPECT_EQ(probe.redis_latency_count("commit"), 1u);
  EXPECT_EQ(probe.redis_latency_count("load"), 0u);

  const std::string text = probe.text();
  EXPECT_TRUE(contains(text, "# TYPE sla_events_consumed_total counter")) << text;
  EXPECT_TRUE(contains(text, "sla_events_consumed_total{kind=\"opened\"} 2")) << text;
  EXPECT_TRUE(contains(text, "sla_dlq_total{reason=\"undecodable\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_fired_total{kind=\"breached\",metric=\"response\",plan=\"gold\",severity=\"P1\"} 2"))
      << text;
  EXPECT_TRUE(contains(text, "sla_open_tickets 42")) << text;
  EXPECT_TRUE(contains(text, "sla_pending_timers 17")) << text;
  EXPECT_TRUE(contains(text, "sla_consumer_lag{partition=\"3\",topic=\"sla.tickets\"} 1200")) << text;
  EXPECT_TRUE(contains(text, "sla_outputs_produced_total{topic=\"sla.escalations\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_firing_lateness_seconds_count{mode=\"live\"} 2")) << text;
  EXPECT_TRUE(contains(text, "sla_firing_lateness_seconds_bucket{mode=\"live\",le=\"0.005\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_firing_lateness_seconds_bucket{mode=\"catch_up\",le=\"3600\"} 0")) << text;
  EXPECT_TRUE(contains(text, "sla_firing_lateness_seconds_bucket{mode=\"catch_up\",le=\"86400\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_redis_latency_seconds_count{op=\"commit\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_redis_latency_seconds_bucket{op=\"commit\",le=\"0.001\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_loop_seconds_total{phase=\"apply\"} 0.75")) << text;
  // Reading an accessor never creates a series.
  EXPECT_FALSE(contains(text, "oversize"));
}

TEST(Probe, FiredFromEngineOutputsCountsRemindersApart) {
  sla::http::Probe probe;
  sla::engine::SlaOutput breach;
  breach.kind = sla::engine::SlaKind::kBreached;
  breach.metric = sla::engine::MetricKind::kResolution;
  breach.plan = "silver";
  breach.severity = "P3";
  probe.fired(sla::engine::Output{breach});
  breach.reminder = 1;  // the first after_breach reminder of the same clock
  probe.fired(sla::engine::Output{breach});
  breach.reminder = 2;
  probe.fired(sla::engine::Output{breach});
  sla::engine::SlaOutput met = breach;
  met.kind = sla::engine::SlaKind::kMet;
  met.after_breach = true;  // the same clock, met after its breach: not a met clock
  probe.fired(sla::engine::Output{met});
  sla::engine::PageOutput page;
  page.metric = sla::engine::MetricKind::kResponse;
  page.plan = "silver";
  page.severity = "P3";
  probe.fired(sla::engine::Output{page});
  EXPECT_EQ(probe.fired_count("breached", "resolution", "silver", "P3"), 1.0);
  EXPECT_EQ(probe.fired_count("breach_reminder", "resolution", "silver", "P3"), 2.0);
  EXPECT_EQ(probe.fired_count("met", "resolution", "silver", "P3"), 0.0);
  EXPECT_EQ(probe.fired_count("met_after_breach", "resolution", "silver", "P3"), 1.0);
  EXPECT_EQ(probe.fired_count("page", "response", "silver", "P3"), 1.0);
}

TEST(Probe, DependenciesReadinessPolicyAndBuild) {
  sla::http::Probe probe;
  // Before anything is reported: up (the daemon starts assuming its
  // dependencies answer), both reload outcomes present at 0.
  std::string text = probe.text();
  EXPECT_TRUE(contains(text, "sla_kafka_up 1")) << text;
  EXPECT_TRUE(contains(text, "sla_redis_up 1")) << text;
  EXPECT_TRUE(contains(text, "sla_policy_reloads_total{result=\"failure\"} 0")) << text;
  EXPECT_TRUE(contains(text, "sla_policy_reloads_total{result=\"success\"} 0")) << text;

  probe.build_info("sla-timerd", "1.2.3");
  probe.kafka_up(false);
  probe.redis_up(false);
  probe.ready(false);
  probe.assigned_partitions(4);
  probe.unacknowledged_outputs(12);
  probe.pending_commits(3);
  probe.view_lag(0.25);
  probe.delivery_failed("sla.escalations");
  probe.delivery_failed("sla.escalations");
  probe.policy_loaded(true, 1000.0, /*initial=*/true);
  probe.policy_loaded(false, 2000.0);
  EXPECT_EQ(probe.policy_reloads(false), 1.0);
  EXPECT_EQ(probe.policy_reloads(true), 0.0);
  EXPECT_EQ(probe.delivery_failures("sla.escalations"), 2.0);
  EXPECT_EQ(probe.delivery_failures("sla.pages"), 0.0);
  text = probe.text();
  EXPECT_TRUE(contains(text, "sla_build_info{service=\"sla-timerd\",version=\"1.2.3\"} 1")) << text;
  EXPECT_TRUE(contains(text, "sla_kafka_up 0")) << text;
  EXPECT_TRUE(contains(text, "sla_redis_up 0")) << text;
  EXPECT_TRUE(contains(text, "sla_ready 0")) << text;
  EXPECT_TRUE(contains(text, "sla_assigned_partitions 4")) << text;
  EXPECT_TRUE(contains(text, "sla_unacknowledged_outputs 12")) << text;
  EXPECT_TRUE(contains(text, "sla_pending_commits 3")) << text;
  EXPECT_TRUE(contains(text, "sla_view_lag_seconds 0.25")) << text;
  EXPECT_TRUE(contains(text, "sla_delivery_failures_total{topic=\"sla.escalations\"} 2")) << text;
  // A failed reload keeps the time of the policy in force.
  EXPECT_TRUE(contains(text, "sla_policy_last_reload_successful 0")) << text;
  EXPECT_TRUE(contains(text, "sla_policy_last_reload_success_timestamp_seconds 1000")) << text;
  probe.policy_loaded(true, 3000.0);
  text = probe.text();
  EXPECT_TRUE(contains(text, "sla_policy_last_reload_successful 1")) << text;
  EXPECT_TRUE(contains(text, "sla_policy_last_reload_success_timestamp_seconds 3000")) << text;
  EXPECT_EQ(probe.policy_reloads(true), 1.0);
}

TEST(Probe, ProcessMetricsAreThoseOfThisProcess) {
  sla::http::Probe probe;
  const std::string text = probe.text();
  const auto value = [&](const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    EXPECT_NE(at, std::string::npos) << name << " missing in\n" << text;
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 2));
  };
  EXPECT_TRUE(contains(text, "# TYPE process_cpu_seconds_total counter")) << text;
  EXPECT_GE(value("process_cpu_seconds_total"), 0.0);
  // This test process holds at least stdin/stdout/stderr and some memory.
  EXPECT_GE(value("process_open_fds"), 3.0);
  EXPECT_GE(value("process_max_fds"), value("process_open_fds"));
  EXPECT_GT(value("process_resident_memory_bytes"), 1'000'000.0);
  EXPECT_GE(value("process_virtual_memory_bytes"), value("process_resident_memory_bytes"));
  // Started within the last day, not in the future (seconds since the epoch).
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(value("process_start_time_seconds"), now + 1);
  EXPECT_GT(value("process_start_time_seconds"), now - 86400);
}

TEST(Probe, DeclaredSeriesExistAtZeroBeforeAnything) {
  sla::http::Probe probe;
  EXPECT_EQ(probe.text().find("sla_dlq_total{"), std::string::npos);
  probe.declare({"too_late", "undecodable"}, {"sla.escalations"});
  const std::string text = probe.text();
  EXPECT_NE(text.find("sla_dlq_total{reason=\"too_late\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("sla_dlq_total{reason=\"undecodable\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("sla_delivery_failures_total{topic=\"sla.escalations\"} 0"), std::string::npos) << text;
  probe.dlq("too_late");
  EXPECT_EQ(probe.dlq_count("too_late"), 1.0);
}

}  // namespace
