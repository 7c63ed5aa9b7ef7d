// `slactl deadline`: what-if deadline arithmetic on a policy's calendars
// (SPEC 6.3). Reads the policy file, loads its `calendars:` section and
// prints {"deadline": "RFC3339 UTC"}; with --batch, one JSON line per input
// line on stdin, errors as {"error": "..."} lines.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sla/services/policy_io.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/calendar/yaml_loader.hpp"

namespace {

namespace cal = sla::calendar;

/// Computes one deadline; the error message is user-facing.
sla::Result<std::string> deadline(const cal::CalendarSet& set, const std::string& calendar, const std::string& start,
                                  const std::string& duration) {
  const cal::Calendar* c = set.find(calendar);
  if (c == nullptr) {
    std::string known;
    for (const auto& n : set.names()) known += (known.empty() ? "" : ", ") + n;
    return sla::fail(sla::ErrorCode::kNotFound, "unknown calendar '" + calendar + "' (known: " + known + ")");
  }
  auto t = cal::parse_rfc3339(start);
  if (!t) return tl::unexpected(t.error());
  auto d = cal::parse_duration(duration);
  if (!d) return tl::unexpected(d.error());
  const sla::EpochMillis due = c->add(*t, *d);
  if (due >= cal::Calendar::kMaxInstant) {
    return sla::fail(sla::ErrorCode::kOutOfRange, "no deadline before 2400-01-01: the calendar does not open enough");
  }
  return cal::format_rfc3339(due);
}

/// {"key": "value"} with the spacing SPEC 6.3 shows; the value JSON-escaped.
std::string one_field(const char* key, const std::string& value) {
  return std::string("{\"") + key + "\": " + nlohmann::json(value).dump() + "}";
}

std::string error_line(const std::string& message) { return one_field("error", message); }

/// One batch line -> one output line.
std::string batch_line(const cal::CalendarSet& set, const std::string& line) {
  nlohmann::json in = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) return error_line("invalid JSON object");
  std::string fields[3];
  const char* const names[3] = {"calendar", "start", "duration"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto it = in.find(names[i]);
    if (it == in.end() || !it->is_string()) return error_line(std::string("missing string field '") + names[i] + "'");
    fields[i] = it->get<std::string>();
  }
  auto r = deadline(set, fields[0], fields[1], fields[2]);
  if (!r) return error_line(r.error().message);
  return one_field("deadline", *r);
}

struct Options {
  std::string policy;
  std::string calendar;
  std::string start;
  std::string duration;
  bool batch = false;
};

int run(const Options& o) {
  const std::filesystem::path policy_path(o.policy);
  auto text = sla::services::read_text({}, o.policy);
  if (!text) {
    std::cerr << "slactl deadline: " << text.error().message << "\n";
    return 1;
  }
  cal::LoadOptions lo;
  lo.file = o.policy;
  const std::filesystem::path dir = policy_path.parent_path();
  // `ics:` paths are relative to the policy file.
  lo.read_file = [dir](const std::string& p) { return sla::services::read_text(dir, p); };
  std::vector<cal::LoadError> errors;
  auto set = cal::load_calendars_from_text(*text, lo, errors);
  if (!set) {
    for (const auto& e : errors) std::cerr << cal::format(e) << "\n";
    return 1;
  }
  if (o.batch) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      std::cout << batch_line(*set, line) << '\n';
    }
    std::cout.flush();
    return 0;
  }
  if (o.calendar.empty() || o.start.empty() || o.duration.empty()) {
    std::cerr << "slactl deadline: --calendar, --start and --duration are required without --batch\n";
    return 1;
  }
  auto r = deadline(*set, o.calendar, o.start, o.duration);
  if (!r) {
    std::cerr << "slactl deadline: " << r.error().message << "\n";
    return 1;
  }
  std::cout << one_field("deadline", *r) << "\n";
  return 0;
}

const sla::slactl::Registration kDeadline{[](CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("deadline", "Compute a deadline on a policy's business calendar");
  cmd->add_option("--policy", opts->policy, "Policy file (its calendars: section is used)")->required();
  cmd->add_option("--calendar", opts->calendar, "Calendar name, e.g. 24x7 or mx-business");
  cmd->add_option("--start", opts->start, "Start instant, RFC 3339 (2026-04-03T09:00:00Z)");
  cmd->add_option("--duration", opts->duration, "Duration: 15m, 4h, 1h30m, 2d, 2bd, nbd");
  cmd->add_flag("--batch", opts->batch, "Read JSON lines {calendar, start, duration} on stdin");
  cmd->callback([opts, &exit_code] { exit_code = run(*opts); });
}};

}  // namespace
