// `--demo`: realistic ticket traffic against the loaded policy, produced to
// the input topic as proto3-JSON (content-type: application/json). Tickets
// are opened with event times up to a few hours in the past, so warnings,
// breaches and pages start within minutes; most are answered, updated and
// resolved, some wait on the customer, some are escalated. Not a load test.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "sla/kafka/config.hpp"
#include "sla/policy/policy.hpp"

namespace sla::timerd {

class Demo {
 public:
  Demo(kafka::KafkaConfig kafka, std::string topic, std::shared_ptr<const policy::Policy> policy,
       double tickets_per_second = 2.0);
  ~Demo();  ///< stops and joins
  Demo(const Demo&) = delete;
  Demo& operator=(const Demo&) = delete;

 private:
  void run();

  kafka::KafkaConfig kafka_;
  std::string topic_;
  std::shared_ptr<const policy::Policy> policy_;
  double rate_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sla::timerd
