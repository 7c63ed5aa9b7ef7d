// `slactl tail --brokers HOST:PORT [--topics a,b] [--max N] [--idle-timeout S]`:
// reads the output topics (from the beginning, as a throw-away consumer
// group) and prints one JSON line per record:
// {"topic","partition","offset","key","event":{...}} for SLA events, pages
// and deadline snapshots, and {"topic","partition","offset","key",
// "headers":{...},"payload":"..."} for the DLQ.
#include <iostream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sla/codec/codec.hpp"
#include "sla/kafka/config.hpp"
#include "sla/kafka/consumer.hpp"

namespace {

struct TailArgs {
  std::string brokers;
  std::vector<std::string> topics = {"sla.escalations", "sla.pages", "sla.deadlines", "sla.dlq"};
  std::size_t max = 0;       // 0: unlimited
  double idle_timeout = 0;   // seconds without a record before exiting; 0: never
};

std::optional<sla::codec::WireType> type_of(const std::string& topic) {
  if (topic.find("escalation") != std::string::npos) return sla::codec::WireType::kSlaEvent;
  if (topic.find("page") != std::string::npos) return sla::codec::WireType::kPageEvent;
  if (topic.find("deadline") != std::string::npos) return sla::codec::WireType::kTicketDeadlines;
  if (topic.find("event") != std::string::npos) return sla::codec::WireType::kTicketEvent;
  return std::nullopt;
}

int tail(const TailArgs& a) {
  sla::codec::quiet_protobuf_logging();
  sla::kafka::KafkaConfig cfg = sla::kafka::with_env({}, sla::kafka::process_environment());
  if (!a.brokers.empty()) cfg.brokers = a.brokers;
  cfg.group_id = "slactl-tail-" + std::to_string(std::random_device{}());
  auto consumer = sla::kafka::Consumer::create(cfg, a.topics);
  if (!consumer) {
    std::cerr << "slactl tail: " << consumer.error().message << "\n";
    return 1;
  }
  std::size_t printed = 0;
  auto last = std::chrono::steady_clock::now();
  while (a.max == 0 || printed < a.max) {
    auto batch = (*consumer)->poll(std::chrono::milliseconds(200));
    if (!batch) {
      std::cerr << "slactl tail: " << batch.error().message << "\n";
      return 1;
    }
    if (batch->empty() && a.idle_timeout > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last).count() > a.idle_timeout) {
      break;
    }
    for (const auto& m : *batch) {
      last = std::chrono::steady_clock::now();
      nlohmann::json out = {{"topic", m.topic}, {"partition", m.partition}, {"offset", m.offset}, {"key", m.key}};
      const auto t = type_of(m.topic);
      std::optional<std::string> rendered;
      // Outputs in proto3-JSON (topics.encoding: json) are printed as they are.
      const bool json = sla::codec::content_type_from_header(m.header("content-type").value_or("")) ==
                        sla::codec::ContentType::kJson;
      if (t && !m.payload.empty()) rendered = json ? m.payload : sla::codec::wire_to_json(*t, m.payload);
      nlohmann::json event = rendered ? nlohmann::json::parse(*rendered, nullptr, false) : nlohmann::json();
      if (rendered && !event.is_discarded()) {
        out["event"] = std::move(event);
      } else {
        nlohmann::json headers = nlohmann::json::object();
        for (const auto& h : m.headers) headers[h.name] = h.value;
        out["headers"] = headers;
        out["payload"] = m.payload;  // DLQ: the original bytes (invalid UTF-8 replaced)
      }
      std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
      if (a.max != 0 && ++printed >= a.max) break;
    }
  }
  return 0;
}

const sla::slactl::Registration kTail{[](CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("tail", "Print the output topics as JSON lines");
  auto args = std::make_shared<TailArgs>();
  cmd->add_option("--brokers", args->brokers, "bootstrap servers (else SLA_KAFKA_BROKERS)");
  cmd->add_option("--topics", args->topics, "topics to read")->delimiter(',')->capture_default_str();
  cmd->add_option("--max", args->max, "stop after this many records (0: never)");
  cmd->add_option("--idle-timeout", args->idle_timeout, "stop after this many seconds without a record (0: never)");
  cmd->callback([args, &exit_code] { exit_code = tail(*args); });
}};

}  // namespace
