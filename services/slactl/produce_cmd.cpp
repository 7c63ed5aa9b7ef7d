// `slactl produce --brokers HOST:PORT [--topic T] [--json] [--file F]`: reads
// proto3-JSON TicketEvent lines (stdin or --file), validates each like the
// daemon does, and produces it keyed by ticket_id: protobuf binary by
// default, or the JSON line itself with `content-type: application/json`.
// Bad lines are reported with their number and skipped; exit 1 if any was.
#include <fstream>
#include <iostream>
#include <limits>
#include <string>

#include "commands.hpp"
#include "sla/codec/codec.hpp"
#include "sla/kafka/config.hpp"
#include "sla/kafka/producer.hpp"

namespace {

struct ProduceArgs {
  std::string brokers;
  std::string topic = "tickets.events";
  std::string file;
  bool json = false;
};

int produce(const ProduceArgs& a) {
  sla::codec::quiet_protobuf_logging();
  sla::kafka::KafkaConfig cfg = sla::kafka::with_env({}, sla::kafka::process_environment());
  if (!a.brokers.empty()) cfg.brokers = a.brokers;
  auto producer = sla::kafka::Producer::create(cfg);
  if (!producer) {
    std::cerr << "slactl produce: " << producer.error().message << "\n";
    return 1;
  }
  std::ifstream file;
  if (!a.file.empty()) {
    file.open(a.file);
    if (!file) {
      std::cerr << "slactl produce: cannot open " << a.file << "\n";
      return 1;
    }
  }
  std::istream& in = a.file.empty() ? std::cin : file;
  const std::vector<sla::kafka::Header> json_headers = {{"content-type", "application/json"}};
  std::string line;
  std::size_t n = 0, sent = 0, bad = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto ev = sla::codec::decode_ticket_event(line, sla::codec::ContentType::kJson,
                                              std::numeric_limits<sla::EpochMillis>::max() / 2);
    if (!ev) {
      std::cerr << "line " << n << ": " << sla::codec::to_string(ev.error().failure) << ": " << ev.error().message << "\n";
      ++bad;
      continue;
    }
    auto r = a.json ? (*producer)->produce(a.topic, ev->ticket_id, line, json_headers)
                    : (*producer)->produce(a.topic, ev->ticket_id, sla::codec::encode_ticket_event(*ev));
    if (!r) {
      std::cerr << "line " << n << ": " << r.error().message << "\n";
      ++bad;
      continue;
    }
    ++sent;
  }
  if (auto f = (*producer)->flush(std::chrono::seconds(30)); !f) {
    std::cerr << "slactl produce: not all events were acknowledged: " << f.error().message << "\n";
    return 1;
  }
  std::cerr << sent << " event(s) produced to " << a.topic << (bad > 0 ? ", " + std::to_string(bad) + " bad line(s) skipped" : "")
            << "\n";
  return bad > 0 ? 1 : 0;
}

const sla::slactl::Registration kProduce{[](CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("produce", "Produce JSON-lines TicketEvents to the input topic");
  auto args = std::make_shared<ProduceArgs>();
  cmd->add_option("--brokers", args->brokers, "bootstrap servers (else SLA_KAFKA_BROKERS)");
  cmd->add_option("--topic", args->topic, "input topic")->capture_default_str();
  cmd->add_option("--file", args->file, "read events from this file instead of stdin");
  cmd->add_flag("--json", args->json, "send the JSON lines as they are (content-type: application/json)");
  cmd->callback([args, &exit_code] { exit_code = produce(*args); });
}};

}  // namespace
