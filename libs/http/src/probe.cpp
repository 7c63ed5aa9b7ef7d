#include "sla/http/probe.hpp"

#include <string>
#include <variant>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "sla/http/process_metrics.hpp"

namespace sla::http {

namespace {

using prometheus::Labels;

constexpr engine::EventKind kEventKinds[] = {
    engine::EventKind::kOpened,
    engine::EventKind::kResponded,
    engine::EventKind::kAgentUpdated,
    engine::EventKind::kStatusChanged,
    engine::EventKind::kSeverityChanged,
    engine::EventKind::kPlanChanged,
    engine::EventKind::kWorkaroundProvided,
    engine::EventKind::kResolved,
    engine::EventKind::kReopened,
    engine::EventKind::kClosed,
    engine::EventKind::kPageAcknowledged,
    engine::EventKind::kCustomerReplied,
    engine::EventKind::kEscalationRequested,
    engine::EventKind::kAttributesChanged,
};

/// Seconds: half a millisecond to a minute, for Redis calls.
const prometheus::Histogram::BucketBoundaries& seconds_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                                         0.2,    0.5,   1,     2,     5,    10,   60};
  return b;
}

/// Seconds: half a millisecond to a day, for timers firing late (a live
/// timer is late by milliseconds; one caught up after a restart by the
/// downtime, which may be hours).
const prometheus::Histogram::BucketBoundaries& lateness_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2,
                                                         0.5,    1,     2,     5,     10,   60,   300,  3600, 86400};
  return b;
}

std::size_t slot(Probe::Firing mode) { return mode == Probe::Firing::kLive ? 0 : 1; }

/// The series for `labels` if it exists; never creates one (a read must not
/// add a zero series to the exposition). `args` construct T if Add needs them.
template <typename T, typename... Args>
const T* find(prometheus::Family<T>* family, const Labels& labels, const Args&... args) {
  if (family == nullptr || !family->Has(labels)) return nullptr;
  return &family->Add(labels, args...);
}

// Registration, one helper per metric type: a family whose series carry
// labels, or a gauge with a single unlabelled series.
prometheus::Family<prometheus::Counter>* counters(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>* gauges(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Histogram>* histograms(prometheus::Registry& r, const char* name, const char* help) {
  return &prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

prometheus::Gauge* gauge(prometheus::Registry& r, const char* name, const char* help) {
  return &gauges(r, name, help)->Add({});
}

}  // namespace

Probe::Probe() : registry_(std::make_shared<prometheus::Registry>()) {
  // In the order of the exposition (within each metric type).
  auto& r = *registry_;
  events_ = counters(r, "sla_events_consumed_total", "Input ticket events consumed, by kind");
  dlq_ = counters(r, "sla_dlq_total", "Inputs sent to the dead-letter topic, by reason");
  lag_ = gauges(r, "sla_consumer_lag", "Input messages behind the high watermark, per partition");
  fired_ = counters(r, "sla_fired_total",
                    "SLA outputs and pages fired, by kind (breach reminders apart), metric, plan and severity");
  produced_ = counters(r, "sla_outputs_produced_total", "Records produced to Kafka (handed to the producer), by topic");
  loop_ = counters(r, "sla_loop_seconds_total",
                   "Wall time of the daemon's loop thread, by phase (poll, apply, deliveries, cut, fire, other)");
  redis_ = histograms(r, "sla_redis_latency_seconds", "Redis round-trip latency in seconds, by operation");
  delivery_failures_ = counters(r, "sla_delivery_failures_total",
                                "Records Kafka did not acknowledge (failed delivery or produce), by topic");
  reloads_ = counters(r, "sla_policy_reloads_total", "Policy reloads, by result (success, failure)");
  build_info_ = gauges(r, "sla_build_info", "Always 1; the labels say which service and version answer");
  assigned_ = gauge(r, "sla_assigned_partitions", "Input partitions this instance owns");
  unacked_ = gauge(r, "sla_unacknowledged_outputs", "Records produced to Kafka and not yet acknowledged");
  pending_commits_ = gauge(r, "sla_pending_commits",
                           "Cuts queued for the state store, each waiting for its outputs' acknowledgements");
  kafka_up_ = gauge(r, "sla_kafka_up", "1 when a Kafka broker answered the last metadata request");
  redis_up_ = gauge(r, "sla_redis_up", "1 when the state store answered its last call");
  ready_ = gauge(r, "sla_ready", "1 when /readyz answers 200");
  view_lag_ = gauge(r, "sla_view_lag_seconds", "How far the cluster-wide ticket views trail the sla.deadlines topic");
  reload_ok_ = gauge(r, "sla_policy_last_reload_successful", "1 when the last policy (re)load succeeded");
  reload_time_ = gauge(r, "sla_policy_last_reload_success_timestamp_seconds",
                       "When the policy in force was loaded, in seconds since the epoch");
  kafka_up_->Set(1);
  redis_up_->Set(1);
  // Both outcomes exist from the start, so that rate() sees the first failure.
  reloads_->Add({{"result", "success"}});
  reloads_->Add({{"result", "failure"}});
  open_tickets_ = gauge(r, "sla_open_tickets", "Tickets held in memory");
  pending_timers_ = gauge(r, "sla_pending_timers", "Timers armed in the timer wheel");
  auto& lateness = *histograms(r, "sla_firing_lateness_seconds",
                               "How late timers fired after their due moment, in seconds; mode=live: due while this "
                               "instance served the partition, mode=catch_up: due before (restart, rebalance)");
  lateness_[slot(Firing::kLive)] = &lateness.Add({{"mode", "live"}}, lateness_buckets());
  lateness_[slot(Firing::kCatchUp)] = &lateness.Add({{"mode", "catch_up"}}, lateness_buckets());
  static_assert(std::size(kEventKinds) == std::tuple_size_v<decltype(event_by_kind_)>);
  for (std::size_t i = 0; i < std::size(kEventKinds); ++i) {
    event_by_kind_[i] = &events_->Add({{"kind", std::string(engine::to_string(kEventKinds[i]))}});
  }
}

Probe::~Probe() = default;

void Probe::build_info(std::string_view service, std::string_view version) {
  build_info_->Add({{"service", std::string(service)}, {"version", std::string(version)}}).Set(1);
}

void Probe::assigned_partitions(std::size_t n) { assigned_->Set(static_cast<double>(n)); }

void Probe::unacknowledged_outputs(std::int64_t n) { unacked_->Set(static_cast<double>(n)); }

void Probe::pending_commits(std::size_t n) { pending_commits_->Set(static_cast<double>(n)); }

void Probe::kafka_up(bool up) { kafka_up_->Set(up ? 1 : 0); }

void Probe::redis_up(bool up) { redis_up_->Set(up ? 1 : 0); }

void Probe::ready(bool ready) { ready_->Set(ready ? 1 : 0); }

void Probe::view_lag(double seconds) { view_lag_->Set(seconds); }

void Probe::policy_loaded(bool ok, double epoch_seconds, bool initial) {
  if (!initial) reloads_->Add({{"result", ok ? "success" : "failure"}}).Increment();
  reload_ok_->Set(ok ? 1 : 0);
  if (ok) reload_time_->Set(epoch_seconds);
}

void Probe::delivery_failed(std::string_view topic) {
  delivery_failures_->Add({{"topic", std::string(topic)}}).Increment();
}

void Probe::event_consumed(engine::EventKind kind, std::size_t n) {
  if (n == 0) return;
  const auto i = static_cast<std::size_t>(kind);
  if (i < event_by_kind_.size()) {
    event_by_kind_[i]->Increment(static_cast<double>(n));
  } else {
    event_consumed(engine::to_string(kind), n);
  }
}

void Probe::event_consumed(std::string_view kind, std::size_t n) {
  if (n == 0) return;
  events_->Add({{"kind", std::string(kind)}}).Increment(static_cast<double>(n));
}

void Probe::declare(std::initializer_list<std::string_view> reasons, std::initializer_list<std::string_view> topics) {
  for (const auto r : reasons) dlq_->Add({{"reason", std::string(r)}});
  for (const auto t : topics) delivery_failures_->Add({{"topic", std::string(t)}});
}

void Probe::dlq(std::string_view reason) { dlq_->Add({{"reason", std::string(reason)}}).Increment(); }

void Probe::consumer_lag(std::string_view topic, std::int32_t partition, std::int64_t lag) {
  lag_->Add({{"topic", std::string(topic)}, {"partition", std::to_string(partition)}})
      .Set(static_cast<double>(lag));
}

void Probe::open_tickets(std::size_t n) { open_tickets_->Set(static_cast<double>(n)); }

void Probe::pending_timers(std::size_t n) { pending_timers_->Set(static_cast<double>(n)); }

template <class Make>
prometheus::Counter& Probe::cached(std::string_view key, const Make& make) {
  std::lock_guard lock(cache_mu_);
  if (auto it = cache_.find(key); it != cache_.end()) return *it->second;  // no allocation on a hit
  auto& counter = make();
  cache_.emplace(std::string(key), &counter);
  return counter;
}

void Probe::fired(std::string_view kind, std::string_view metric, std::string_view plan,
                  std::string_view severity) {
  thread_local std::string key;
  key.clear();
  key.append("f").append(1, '\0').append(kind).append(1, '\0').append(metric).append(1, '\0');
  key.append(plan).append(1, '\0').append(severity);
  cached(key, [&]() -> prometheus::Counter& {
    return fired_->Add({{"kind", std::string(kind)},
                        {"metric", std::string(metric)},
                        {"plan", std::string(plan)},
                        {"severity", std::string(severity)}});
  }).Increment();
}

void Probe::fired(const engine::Output& output) {
  if (const auto* sla = std::get_if<engine::SlaOutput>(&output)) {
    // Reminders and a met after the breach are counted apart, so
    // breached / (met + breached) stays a breach rate.
    const bool reminder = sla->kind == engine::SlaKind::kBreached && sla->reminder > 0;
    const bool late_met = sla->kind == engine::SlaKind::kMet && sla->after_breach;
    const std::string_view kind = reminder ? "breach_reminder" : late_met ? "met_after_breach" : engine::to_string(sla->kind);
    fired(kind, policy::to_string(sla->metric), sla->plan, sla->severity);
  } else if (const auto* page = std::get_if<engine::PageOutput>(&output)) {
    // Pages sent; their acknowledgements and resolutions apart.
    fired(engine::to_string(page->action), policy::to_string(page->metric), page->plan, page->severity);
  }
}

void Probe::firing_lateness(Firing mode, double seconds) { lateness_[slot(mode)]->Observe(seconds); }

void Probe::output_produced(std::string_view topic, std::size_t n) {
  if (n == 0) return;
  thread_local std::string key;
  key.assign("p").append(1, '\0').append(topic);
  cached(key, [&]() -> prometheus::Counter& { return produced_->Add({{"topic", std::string(topic)}}); })
      .Increment(static_cast<double>(n));
}

void Probe::loop_seconds(std::string_view phase, double seconds) {
  thread_local std::string key;
  key.assign("l").append(1, '\0').append(phase);
  cached(key, [&]() -> prometheus::Counter& { return loop_->Add({{"phase", std::string(phase)}}); })
      .Increment(seconds);
}

double Probe::loop_seconds_value(std::string_view phase) const {
  const auto* c = find(loop_, {{"phase", std::string(phase)}});
  return c == nullptr ? 0.0 : c->Value();
}

void Probe::redis_latency(std::string_view op, double seconds) {
  redis_->Add({{"op", std::string(op)}}, seconds_buckets()).Observe(seconds);
}

std::string Probe::text() const { return exposition_with_process_metrics(*registry_); }

double Probe::events_consumed(std::string_view kind) const {
  const auto* c = find(events_, {{"kind", std::string(kind)}});
  return c == nullptr ? 0.0 : c->Value();
}

double Probe::dlq_count(std::string_view reason) const {
  const auto* c = find(dlq_, {{"reason", std::string(reason)}});
  return c == nullptr ? 0.0 : c->Value();
}

double Probe::fired_count(std::string_view kind, std::string_view metric, std::string_view plan,
                          std::string_view severity) const {
  const auto* c = find(fired_, {{"kind", std::string(kind)},
                                {"metric", std::string(metric)},
                                {"plan", std::string(plan)},
                                {"severity", std::string(severity)}});
  return c == nullptr ? 0.0 : c->Value();
}

double Probe::delivery_failures(std::string_view topic) const {
  const auto* c = find(delivery_failures_, {{"topic", std::string(topic)}});
  return c == nullptr ? 0.0 : c->Value();
}

double Probe::policy_reloads(bool ok) const {
  const auto* c = find(reloads_, {{"result", ok ? "success" : "failure"}});
  return c == nullptr ? 0.0 : c->Value();
}

double Probe::open_tickets_value() const { return open_tickets_->Value(); }

double Probe::pending_timers_value() const { return pending_timers_->Value(); }

double Probe::consumer_lag_value(std::string_view topic, std::int32_t partition) const {
  const auto* g = find(lag_, {{"topic", std::string(topic)}, {"partition", std::to_string(partition)}});
  return g == nullptr ? 0.0 : g->Value();
}

double Probe::outputs_produced(std::string_view topic) const {
  const auto* c = find(produced_, {{"topic", std::string(topic)}});
  return c == nullptr ? 0.0 : c->Value();
}

std::uint64_t Probe::lateness_count(Firing mode) const {
  return lateness_[slot(mode)]->Collect().histogram.sample_count;
}

double Probe::lateness_sum(Firing mode) const { return lateness_[slot(mode)]->Collect().histogram.sample_sum; }

std::uint64_t Probe::redis_latency_count(std::string_view op) const {
  const auto* h = find(redis_, {{"op", std::string(op)}}, seconds_buckets());
  return h == nullptr ? 0 : h->Collect().histogram.sample_count;
}

}  // namespace sla::http
