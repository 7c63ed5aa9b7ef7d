// sla-notify's Prometheus metrics behind domain verbs, exposed as text for
// `/metrics`, with sla_build_info{service="sla-notify",version} and the
// standard process_* series (sla/http/process_metrics.hpp). Thread-safe
// (prometheus-cpp metrics are atomic; new label sets take the family's
// mutex). Accessors exist for tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace sla::notify_service {

class Probe {
 public:
  Probe();
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  /// sla_notify_consumed_total{topic}: records consumed.
  void consumed(std::string_view topic);
  /// sla_notify_deliveries_total{destination,outcome}: one attempt's result;
  /// outcome "delivered", "retry", "dead_letter".
  void delivery(std::string_view destination, std::string_view outcome);
  /// Creates a destination's series at 0 (deliveries by outcome, latencies,
  /// queue), so they exist from the start: `increase()` in an alert sees
  /// the first dead letter after a restart (deploy/observability).
  void destination(std::string_view destination);
  /// sla_notify_request_seconds{destination}: one HTTPS request (connect
  /// included when a new connection was needed).
  void request_latency(std::string_view destination, double seconds);
  /// sla_notify_delivery_seconds{destination}: consumed -> delivered.
  void delivery_latency(std::string_view destination, double seconds);
  /// sla_notify_retries_total{destination,reason}.
  void retry(std::string_view destination, std::string_view reason);
  /// sla_notify_dlq_total{destination,reason} (destination "" for
  /// undecodable records).
  void dlq(std::string_view destination, std::string_view reason);
  /// sla_notify_queued{destination}: deliveries queued or in flight.
  void queued(std::string_view destination, double n);
  /// sla_notify_acks_total{result}: PagerDuty webhooks ("produced",
  /// "ignored", "bad_signature", "bad_request", "failed").
  void ack(std::string_view result);
  /// sla_notify_consumer_paused: 1 while a destination queue is full.
  void paused(bool on);
  /// sla_notify_ready: 1 while /readyz answers 200 (set at each scrape).
  void ready(bool on);

  [[nodiscard]] double deliveries(std::string_view destination, std::string_view outcome) const;
  [[nodiscard]] double dlq_count(std::string_view destination, std::string_view reason) const;
  [[nodiscard]] std::string text() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* consumed_;
  prometheus::Family<prometheus::Counter>* deliveries_;
  prometheus::Family<prometheus::Histogram>* request_seconds_;
  prometheus::Family<prometheus::Histogram>* delivery_seconds_;
  prometheus::Family<prometheus::Counter>* retries_;
  prometheus::Family<prometheus::Counter>* dlq_;
  prometheus::Family<prometheus::Gauge>* queued_;
  prometheus::Family<prometheus::Counter>* acks_;
  prometheus::Gauge* paused_;
  prometheus::Gauge* ready_;
};

}  // namespace sla::notify_service
