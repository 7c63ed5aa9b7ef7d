// `slactl report --from T --to T [--tenant ID] [--plan P] [--severity S]
//  [--metric M] [--group-by dims] [--bucket D] [--format md|csv|json|html]
//  (--events FILE | --brokers HOST:PORT)`:
// the SLA compliance and KPI report of a period (SPEC 6.3) from the
// `sla.escalations` log, read either from a file of JSON lines (what
// `slactl tail` or `slactl replay` print; "-" is stdin) or from Kafka (the
// whole topic, every partition up to its end). Wiring only: sla::report
// computes and renders.
#include <chrono>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/codec/codec.hpp"
#include "sla/kafka/config.hpp"
#include "sla/kafka/reader.hpp"
#include "sla/policy/metric.hpp"
#include "sla/report/report.hpp"
#include "sla/services/policy_io.hpp"

namespace {

struct ReportArgs {
  std::string from;
  std::string to;
  std::string tenant;
  std::string plan;
  std::string severity;
  std::string metric;
  std::string bucket;
  std::string group_by;
  std::string format = "md";
  std::string events;
  std::string brokers;
  std::string topic = "sla.escalations";
  std::size_t max_breaches = 1000;
};

// One JSON line: a `slactl tail`/`replay` record (`{"topic", "event"}`) or a
// bare SlaEvent. Lines of other topics (pages, deadlines, DLQ) are skipped.
std::optional<sla::engine::SlaOutput> parse_line(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  if (j.contains("event")) {
    const auto topic = j.value("topic", std::string());
    if (topic.find("escalation") == std::string::npos) return std::nullopt;
    j = j["event"];
  }
  auto e = sla::codec::decode_sla_event(j.dump(), sla::codec::ContentType::kJson);
  if (!e) return std::nullopt;
  return *e;
}

int read_file(const std::string& path, sla::report::Ledger& ledger) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto t = sla::services::read_text({}, path);
    if (!t) {
      std::cerr << "slactl report: " << t.error().message << "\n";
      return 1;
    }
    text = std::move(*t);
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (auto e = parse_line(line)) ledger.add(*e);
  }
  return 0;
}

// Reads the topic from the beginning until every partition has reached the
// end it had (librdkafka's partition EOF), outside any consumer group.
int read_kafka(const ReportArgs& a, sla::report::Ledger& ledger) {
  sla::kafka::KafkaConfig cfg = sla::kafka::with_env({}, sla::kafka::process_environment());
  if (!a.brokers.empty()) cfg.brokers = a.brokers;
  auto reader = sla::kafka::Reader::create(cfg, a.topic, std::chrono::milliseconds(10000));
  if (!reader) {
    std::cerr << "slactl report: " << reader.error().message << "\n";
    return 1;
  }
  std::vector<bool> done(static_cast<std::size_t>((*reader)->partitions()), false);
  std::size_t remaining = done.size();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (remaining > 0 && std::chrono::steady_clock::now() < give_up) {
    const auto& batch = (*reader)->poll(std::chrono::milliseconds(500));
    for (const auto& r : batch.records) {
      if (!r.value) continue;
      auto e = sla::codec::decode_sla_event(*r.value, sla::codec::content_type_from_header(r.content_type));
      if (e) ledger.add(*e);
    }
    for (const auto p : batch.at_end) {
      const auto i = static_cast<std::size_t>(p);
      if (i < done.size() && !done[i]) {
        done[i] = true;
        --remaining;
      }
    }
  }
  if (remaining > 0) {
    std::cerr << "slactl report: " << a.topic << " not read to its end within 10 minutes\n";
    return 1;
  }
  return 0;
}

sla::Result<sla::report::Query> make_query(const ReportArgs& a) {
  sla::report::Query q;
  auto from = sla::calendar::parse_rfc3339(a.from);
  if (!from) return sla::fail(sla::ErrorCode::kInvalidArgument, "--from: " + from.error().message);
  auto to = sla::calendar::parse_rfc3339(a.to);
  if (!to) return sla::fail(sla::ErrorCode::kInvalidArgument, "--to: " + to.error().message);
  q.from = *from;
  q.to = *to;
  if (!a.tenant.empty()) q.tenant = a.tenant;
  if (!a.plan.empty()) q.plan = a.plan;
  if (!a.severity.empty()) q.severity = a.severity;
  if (!a.metric.empty()) {
    q.metric = sla::policy::parse_metric(a.metric);
    if (!q.metric) return sla::fail(sla::ErrorCode::kInvalidArgument, "--metric: not a policy metric: " + a.metric);
  }
  if (!a.bucket.empty()) {
    auto d = sla::calendar::parse_duration(a.bucket);
    if (!d || d->kind != sla::calendar::Duration::Kind::kFixed || d->millis <= 0) {
      return sla::fail(sla::ErrorCode::kInvalidArgument, "--bucket: use a wall-clock duration such as 1h, 1d or 7d");
    }
    q.bucket_ms = d->millis;
  }
  if (auto ok = sla::report::check(q); !ok) return tl::unexpected(ok.error());
  auto by = sla::report::parse_group_by(a.group_by);
  if (!by) return tl::unexpected(by.error());
  q.group_by = *by;
  q.max_breaches = a.max_breaches;
  return q;
}

int report(const ReportArgs& a) {
  sla::codec::quiet_protobuf_logging();
  auto q = make_query(a);
  if (!q) {
    std::cerr << "slactl report: " << q.error().message << "\n";
    return 1;
  }
  sla::report::Ledger ledger;
  const int rc = a.events.empty() ? read_kafka(a, ledger) : read_file(a.events, ledger);
  if (rc != 0) return rc;
  const auto r = sla::report::compute(ledger.clocks(), *q);
  if (a.format == "json") std::cout << sla::report::to_json(r) << "\n";
  else if (a.format == "csv") std::cout << sla::report::to_csv(r);
  else if (a.format == "html") std::cout << sla::report::to_html(r);
  else std::cout << sla::report::to_markdown(r);
  return 0;
}

const sla::slactl::Registration kReport{[](CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("report", "SLA compliance and KPI report of a period from the sla.escalations log");
  auto args = std::make_shared<ReportArgs>();
  cmd->add_option("--from", args->from, "period start, RFC 3339 (included)")->required();
  cmd->add_option("--to", args->to, "period end, RFC 3339 (excluded)")->required();
  cmd->add_option("--tenant", args->tenant, "only this tenant");
  cmd->add_option("--plan", args->plan, "only this plan's clocks");
  cmd->add_option("--severity", args->severity, "only this severity's clocks");
  cmd->add_option("--metric", args->metric, "only this metric's clocks: response, update, workaround, resolution");
  cmd->add_option("--group-by", args->group_by, "dimensions to group by: tenant,plan,severity,metric (default all)");
  cmd->add_option("--bucket", args->bucket, "add a trend: met and breached per bucket this wide (1h, 1d, 7d; at most 1000)");
  cmd->add_option("--format", args->format, "md, csv, json or html")
      ->check(CLI::IsMember({"md", "csv", "json", "html"}))
      ->capture_default_str();
  auto* events = cmd->add_option("--events", args->events, "JSON lines from slactl tail/replay (- for stdin)");
  auto* brokers = cmd->add_option("--brokers", args->brokers, "read the topic from Kafka (else SLA_KAFKA_BROKERS)");
  events->excludes(brokers);
  cmd->add_option("--topic", args->topic, "the SLA events topic")->capture_default_str();
  cmd->add_option("--max-breaches", args->max_breaches, "breaches listed per group")->capture_default_str();
  cmd->callback([args, &exit_code] { exit_code = report(*args); });
}};

}  // namespace
