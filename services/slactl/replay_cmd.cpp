// `slactl replay --policy FILE --events FILE.jsonl [--until RFC3339]`: runs the
// engine on a simulated clock over proto3-JSON TicketEvent lines (in file
// order = arrival order) and prints every output as a JSON line. The clock
// jumps to each next timer or event, so the output is deterministic: the
// policy's unit test (SPEC 6.3).
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sla/services/policy_io.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/codec/codec.hpp"
#include "sla/engine/engine.hpp"

namespace {

struct ReplayArgs {
  std::string policy;
  std::string events;
  std::string until;
};

void flush(std::vector<sla::engine::Output>& out) {
  for (const auto& o : out) std::cout << sla::codec::output_to_json_line(o) << "\n";
  out.clear();
}

int replay(const ReplayArgs& args) {
  sla::codec::quiet_protobuf_logging();
  std::vector<sla::policy::LoadError> errors;
  auto policy = sla::services::load_policy_path(args.policy, errors);
  if (!policy) {
    for (const auto& e : errors) std::cerr << sla::policy::format(e) << "\n";
    return 1;
  }
  std::optional<sla::EpochMillis> until;
  if (!args.until.empty()) {
    auto t = sla::calendar::parse_rfc3339(args.until);
    if (!t) {
      std::cerr << "--until: " << t.error().message << "\n";
      return 1;
    }
    until = *t;
  }
  auto text = sla::services::read_text({}, args.events);
  if (!text) {
    std::cerr << text.error().message << "\n";
    return 1;
  }

  sla::engine::Engine engine(policy);
  std::vector<sla::engine::Output> out;
  sla::EpochMillis now = std::numeric_limits<sla::EpochMillis>::min();
  // Fires every timer due up to `t`, jumping the clock to each in turn.
  auto run_until = [&](sla::EpochMillis t) {
    for (auto due = engine.next_due(); due && *due <= t; due = engine.next_due()) {
      now = std::max(now, *due);
      engine.advance(now, out);
      flush(out);
    }
  };

  int bad_lines = 0;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  const std::string& s = *text;
  while (pos < s.size()) {
    const std::size_t end = std::min(s.find('\n', pos), s.size());
    std::string line = s.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;  // blank or comment
    // The receiver's clock for the timestamp sanity check is the event's own
    // time: replay has no wall clock.
    auto probe = sla::codec::decode_ticket_event(line, sla::codec::ContentType::kJson,
                                                 std::numeric_limits<sla::EpochMillis>::max() / 2);
    if (!probe) {
      std::cerr << args.events << ":" << line_no << ": " << sla::codec::to_string(probe.error().failure) << ": "
                << probe.error().message << "\n";
      ++bad_lines;
      continue;
    }
    if (until && probe->occurred_at > *until) break;
    run_until(probe->occurred_at);
    now = std::max(now, probe->occurred_at);
    auto applied = engine.apply(*probe, now, out);
    if (!applied) {
      std::cerr << args.events << ":" << line_no << ": rejected: " << applied.error().message << "\n";
      ++bad_lines;
    }
    flush(out);
  }
  // After the last event: every timer up to --until, or until none remain.
  constexpr std::size_t kMaxSteps = 10'000'000;
  std::size_t steps = 0;
  for (auto due = engine.next_due(); due && (!until || *due <= *until) && steps < kMaxSteps;
       due = engine.next_due(), ++steps) {
    now = std::max(now, *due);
    engine.advance(now, out);
    flush(out);
  }
  std::cout.flush();
  if (bad_lines > 0) std::cerr << bad_lines << " input line(s) skipped\n";
  return 0;
}

const sla::slactl::Registration kReplay{[](CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("replay", "Run the engine on a simulated clock over JSON-lines events");
  auto args = std::make_shared<ReplayArgs>();
  cmd->add_option("--policy", args->policy, "policy YAML file")->required();
  cmd->add_option("--events", args->events, "proto3-JSON TicketEvent lines (# comments allowed)")->required();
  cmd->add_option("--until", args->until, "stop the simulated clock at this RFC 3339 instant");
  cmd->callback([args, &exit_code] { exit_code = replay(*args); });
}};

}  // namespace
