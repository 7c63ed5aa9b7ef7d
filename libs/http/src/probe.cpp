#include "sla/http/probe.hpp"

#include <string>
#include <variant>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

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
};

/// Milliseconds: sub-ms to a minute, for timers firing late and Redis calls.
const prometheus::Histogram::BucketBoundaries& ms_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.5, 1,   2,    5,    10,   20,    50,   100,
                                                         200, 500, 1000, 2000, 5000, 10000, 60000};
  return b;
}

/// The series for `labels` if it exists; never creates one (a read must not
/// add a zero series to the exposition). `args` construct T if Add needs them.
template <typename T, typename... Args>
const T* find(prometheus::Family<T>* family, const Labels& labels, const Args&... args) {
  if (family == nullptr || !family->Has(labels)) return nullptr;
  return &family->Add(labels, args...);
}

}  // namespace

Probe::Probe() : registry_(std::make_shared<prometheus::Registry>()) {
  events_ = &prometheus::BuildCounter()
                 .Name("sla_events_consumed_total")
                 .Help("Input ticket events consumed, by kind")
                 .Register(*registry_);
  dlq_ = &prometheus::BuildCounter()
              .Name("sla_dlq_total")
              .Help("Inputs sent to the dead-letter topic, by reason")
              .Register(*registry_);
  lag_ = &prometheus::BuildGauge()
              .Name("sla_consumer_lag")
              .Help("Input messages behind the high watermark, per partition")
              .Register(*registry_);
  fired_ = &prometheus::BuildCounter()
                .Name("sla_fired_total")
                .Help("SLA outputs and pages fired, by kind, plan and severity")
                .Register(*registry_);
  produced_ = &prometheus::BuildCounter()
                   .Name("sla_outputs_produced_total")
                   .Help("Records produced to Kafka (handed to the producer), by topic")
                   .Register(*registry_);
  loop_ = &prometheus::BuildCounter()
               .Name("sla_loop_seconds_total")
               .Help("Wall time of the daemon's loop thread, by phase (poll, apply, deliveries, cut, fire, other)")
               .Register(*registry_);
  redis_ = &prometheus::BuildHistogram()
                .Name("sla_redis_latency_ms")
                .Help("Redis round-trip latency in milliseconds, by operation")
                .Register(*registry_);
  open_tickets_ = &prometheus::BuildGauge()
                       .Name("sla_open_tickets")
                       .Help("Tickets held in memory")
                       .Register(*registry_)
                       .Add({});
  pending_timers_ = &prometheus::BuildGauge()
                         .Name("sla_pending_timers")
                         .Help("Timers armed in the timer wheel")
                         .Register(*registry_)
                         .Add({});
  lateness_ = &prometheus::BuildHistogram()
                   .Name("sla_firing_lateness_ms")
                   .Help("How late timers fired after their due moment, in milliseconds")
                   .Register(*registry_)
                   .Add({}, ms_buckets());
  static_assert(std::size(kEventKinds) == std::tuple_size_v<decltype(event_by_kind_)>);
  for (std::size_t i = 0; i < std::size(kEventKinds); ++i) {
    event_by_kind_[i] = &events_->Add({{"kind", std::string(engine::to_string(kEventKinds[i]))}});
  }
}

Probe::~Probe() = default;

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

void Probe::fired(std::string_view kind, std::string_view plan, std::string_view severity) {
  thread_local std::string key;
  key.clear();
  key.append("f").append(1, '\0').append(kind).append(1, '\0').append(plan).append(1, '\0').append(severity);
  cached(key, [&]() -> prometheus::Counter& {
    return fired_->Add({{"kind", std::string(kind)}, {"plan", std::string(plan)}, {"severity", std::string(severity)}});
  }).Increment();
}

void Probe::fired(const engine::Output& output) {
  if (const auto* sla = std::get_if<engine::SlaOutput>(&output)) {
    fired(engine::to_string(sla->kind), sla->plan, sla->severity);
  } else if (const auto* page = std::get_if<engine::PageOutput>(&output)) {
    page_fired(page->plan, page->severity);
  }
}

void Probe::firing_lateness(double ms) { lateness_->Observe(ms); }

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

void Probe::redis_latency(std::string_view op, double ms) {
  redis_->Add({{"op", std::string(op)}}, ms_buckets()).Observe(ms);
}

std::string Probe::text() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

double Probe::events_consumed(std::string_view kind) const {
  const auto* c = find(events_, {{"kind", std::string(kind)}});
  return c == nullptr ? 0.0 : c->Value();
}

double Probe::dlq_count(std::string_view reason) const {
  const auto* c = find(dlq_, {{"reason", std::string(reason)}});
  return c == nullptr ? 0.0 : c->Value();
}

double Probe::fired_count(std::string_view kind, std::string_view plan, std::string_view severity) const {
  const auto* c =
      find(fired_,
           {{"kind", std::string(kind)}, {"plan", std::string(plan)}, {"severity", std::string(severity)}});
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

std::uint64_t Probe::lateness_count() const { return lateness_->Collect().histogram.sample_count; }

double Probe::lateness_sum() const { return lateness_->Collect().histogram.sample_sum; }

std::uint64_t Probe::redis_latency_count(std::string_view op) const {
  const auto* h = find(redis_, {{"op", std::string(op)}}, ms_buckets());
  return h == nullptr ? 0 : h->Collect().histogram.sample_count;
}

}  // namespace sla::http
