#include "probe.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "sla/http/process_metrics.hpp"

namespace sla::notify_service {
namespace {

const prometheus::Histogram::BucketBoundaries& seconds_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                         0.25,  0.5,    1,     2.5,  5,     10,   30, 60, 300};
  return b;
}

}  // namespace

Probe::Probe() : registry_(std::make_shared<prometheus::Registry>()) {
  consumed_ = &prometheus::BuildCounter().Name("sla_notify_consumed_total").Help("Records consumed").Register(*registry_);
  deliveries_ = &prometheus::BuildCounter()
                     .Name("sla_notify_deliveries_total")
                     .Help("Delivery attempts by destination and outcome (delivered, retry, dead_letter)")
                     .Register(*registry_);
  request_seconds_ = &prometheus::BuildHistogram()
                          .Name("sla_notify_request_seconds")
                          .Help("HTTPS request latency per destination, seconds")
                          .Register(*registry_);
  delivery_seconds_ = &prometheus::BuildHistogram()
                           .Name("sla_notify_delivery_seconds")
                           .Help("From consumed to delivered (retries included), seconds")
                           .Register(*registry_);
  retries_ = &prometheus::BuildCounter()
                  .Name("sla_notify_retries_total")
                  .Help("Retries scheduled by destination and reason")
                  .Register(*registry_);
  dlq_ = &prometheus::BuildCounter()
              .Name("sla_notify_dlq_total")
              .Help("Records sent to the notify DLQ by destination and reason")
              .Register(*registry_);
  queued_ = &prometheus::BuildGauge()
                 .Name("sla_notify_queued")
                 .Help("Deliveries queued or in flight per destination")
                 .Register(*registry_);
  acks_ = &prometheus::BuildCounter()
               .Name("sla_notify_pagerduty_webhooks_total")
               .Help("PagerDuty webhooks received by result")
               .Register(*registry_);
  paused_ = &prometheus::BuildGauge()
                 .Name("sla_notify_consumer_paused")
                 .Help("1 while consumption waits for a full destination queue")
                 .Register(*registry_)
                 .Add({});
  ready_ = &prometheus::BuildGauge()
                .Name("sla_notify_ready")
                .Help("1 when /readyz answers 200")
                .Register(*registry_)
                .Add({});
  prometheus::BuildGauge()
      .Name("sla_build_info")
      .Help("Always 1; the labels say which service and version answer")
      .Register(*registry_)
      .Add({{"service", "sla-notify"}, {"version", SLA_VERSION}})
      .Set(1);
}

Probe::~Probe() = default;

void Probe::consumed(std::string_view topic) { consumed_->Add({{"topic", std::string(topic)}}).Increment(); }
void Probe::destination(std::string_view d) {
  for (const char* outcome : {"delivered", "retry", "dead_letter"}) {
    deliveries_->Add({{"destination", std::string(d)}, {"outcome", outcome}});
  }
  request_seconds_->Add({{"destination", std::string(d)}}, seconds_buckets());
  delivery_seconds_->Add({{"destination", std::string(d)}}, seconds_buckets());
  queued_->Add({{"destination", std::string(d)}}).Set(0);
}

void Probe::delivery(std::string_view d, std::string_view outcome) {
  deliveries_->Add({{"destination", std::string(d)}, {"outcome", std::string(outcome)}}).Increment();
}
void Probe::request_latency(std::string_view d, double s) {
  request_seconds_->Add({{"destination", std::string(d)}}, seconds_buckets()).Observe(s);
}
void Probe::delivery_latency(std::string_view d, double s) {
  delivery_seconds_->Add({{"destination", std::string(d)}}, seconds_buckets()).Observe(s);
}
void Probe::retry(std::string_view d, std::string_view reason) {
  retries_->Add({{"destination", std::string(d)}, {"reason", std::string(reason)}}).Increment();
}
void Probe::dlq(std::string_view d, std::string_view reason) {
  dlq_->Add({{"destination", std::string(d)}, {"reason", std::string(reason)}}).Increment();
}
void Probe::queued(std::string_view d, double n) { queued_->Add({{"destination", std::string(d)}}).Set(n); }
void Probe::ack(std::string_view result) { acks_->Add({{"result", std::string(result)}}).Increment(); }
void Probe::paused(bool on) { paused_->Set(on ? 1 : 0); }
void Probe::ready(bool on) { ready_->Set(on ? 1 : 0); }

double Probe::deliveries(std::string_view d, std::string_view outcome) const {
  return deliveries_->Add({{"destination", std::string(d)}, {"outcome", std::string(outcome)}}).Value();
}
double Probe::dlq_count(std::string_view d, std::string_view reason) const {
  return dlq_->Add({{"destination", std::string(d)}, {"reason", std::string(reason)}}).Value();
}
std::string Probe::text() const { return http::exposition_with_process_metrics(*registry_); }

}  // namespace sla::notify_service
