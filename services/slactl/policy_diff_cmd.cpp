// `slactl policy diff OLD NEW [--events FILE] [--at RFC3339] [--horizon 30d]
// [--limit N]`: what applying policy NEW in place of OLD would move, before
// it is applied. Prints one JSON document (sla::views::preview_json, the
// answer of POST /v1/policy/preview): the targets whose definition differs
// and, with --events, every open ticket's deadlines, warnings, breaches,
// reminders, escalation steps and pages that would move, appear or vanish,
// and by how much. The events (proto3-JSON TicketEvent lines, as for
// `slactl replay`) are replayed under OLD up to --at (default: the last
// event's time); events stamped after --at are skipped, not the end of the
// file. Exit 1 when a policy does not load, an input line is bad or
// rejected, or --at / --horizon do not parse.
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/calendar/duration.hpp"
#include "sla/codec/codec.hpp"
#include "sla/engine/engine.hpp"
#include "sla/services/policy_io.hpp"
#include "sla/views/preview.hpp"

namespace {

struct DiffArgs {
  std::string old_policy;
  std::string new_policy;
  std::string events;
  std::string at;
  std::string horizon = "30d";
  std::size_t limit = 1000;
};

std::shared_ptr<const sla::policy::Policy> load(const std::string& file) {
  std::vector<sla::policy::LoadError> errors;
  auto p = sla::services::load_policy_path(file, errors);
  if (!p) {
    for (const auto& e : errors) std::cerr << sla::policy::format(e) << "\n";
  }
  return p;
}

/// The open tickets as the policy in force (OLD) has them at the preview
/// instant, replayed from the events file on the simulated clock of
/// `slactl replay`.
struct Replayed {
  std::vector<std::string> saved;  ///< each open ticket's saved state
  sla::EpochMillis now = 0;        ///< the preview instant: --at, else the last event's time
  int bad_lines = 0;               ///< lines that did not decode or were rejected (reported on stderr)
};

sla::Result<Replayed> replay_open_tickets(const DiffArgs& args, std::shared_ptr<const sla::policy::Policy> old_policy,
                                          std::optional<sla::EpochMillis> at) {
  Replayed r;
  r.now = at.value_or(0);
  auto text = sla::services::read_text({}, args.events);
  if (!text) return tl::unexpected(text.error());
  sla::engine::Engine engine(std::move(old_policy));
  std::vector<sla::engine::Output> out;
  sla::EpochMillis clock = std::numeric_limits<sla::EpochMillis>::min();
  auto run_until = [&](sla::EpochMillis t) {
    for (auto due = engine.next_due(); due && *due <= t; due = engine.next_due()) {
      clock = std::max(clock, *due);
      engine.advance(clock, out);
      out.clear();
    }
  };
  std::size_t line_no = 0;
  std::size_t pos = 0;
  const std::string& s = *text;
  while (pos < s.size()) {
    const std::size_t end = std::min(s.find('\n', pos), s.size());
    const std::string line = s.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto e = sla::codec::decode_ticket_event(line, sla::codec::ContentType::kJson,
                                             std::numeric_limits<sla::EpochMillis>::max() / 2);
    if (!e) {
      std::cerr << args.events << ":" << line_no << ": " << sla::codec::to_string(e.error().failure) << ": "
                << e.error().message << "\n";
      ++r.bad_lines;
      continue;
    }
    if (at && e->occurred_at > *at) continue;  // after the preview instant: not yet happened
    run_until(e->occurred_at);
    clock = std::max(clock, e->occurred_at);
    if (auto applied = engine.apply(*e, clock, out); !applied) {
      std::cerr << args.events << ":" << line_no << ": rejected: " << applied.error().message << "\n";
      ++r.bad_lines;
    }
    out.clear();
  }
  if (!at) r.now = clock == std::numeric_limits<sla::EpochMillis>::min() ? 0 : clock;
  run_until(r.now);
  for (const auto& id : engine.ticket_ids()) {
    auto t = engine.ticket(id, r.now);
    if (!t || t->closed) continue;  // open tickets only
    r.saved.push_back(engine.save_ticket(id));
  }
  return r;
}

int diff(const DiffArgs& args) {
  sla::codec::quiet_protobuf_logging();
  auto old_policy = load(args.old_policy);
  auto new_policy = load(args.new_policy);
  if (!old_policy || !new_policy) return 1;
  auto horizon = sla::calendar::parse_duration(args.horizon);
  if (!horizon || horizon->kind != sla::calendar::Duration::Kind::kFixed || horizon->millis <= 0) {
    std::cerr << "--horizon: use a wall-clock duration such as 7d or 30d\n";
    return 1;
  }
  std::optional<sla::EpochMillis> at;
  if (!args.at.empty()) {
    auto t = sla::calendar::parse_rfc3339(args.at);
    if (!t) {
      std::cerr << "--at: " << t.error().message << "\n";
      return 1;
    }
    at = *t;
  }

  Replayed replayed;
  replayed.now = at.value_or(0);
  if (!args.events.empty()) {
    auto r = replay_open_tickets(args, old_policy, at);
    if (!r) {
      std::cerr << r.error().message << "\n";
      return 1;
    }
    replayed = std::move(*r);
  }

  sla::views::PreviewOptions opts;
  opts.now = replayed.now;
  opts.horizon_ms = horizon->millis;
  opts.max_changes = args.limit;
  auto result = sla::views::preview_policy(replayed.saved, old_policy, new_policy, opts);
  if (!result) {
    std::cerr << result.error().message << "\n";
    return 1;
  }
  auto j = sla::views::preview_json(*result, sla::views::target_changes(*old_policy, *new_policy));
  if (args.events.empty()) {
    // No tickets: only the definitions can be compared.
    j["now"] = nullptr;
  }
  std::cout << j.dump(2) << "\n";
  if (replayed.bad_lines > 0) {
    std::cerr << replayed.bad_lines << " input line(s) bad or rejected\n";
    return 1;
  }
  return 0;
}

const sla::slactl::Registration kPolicyDiff{[](CLI::App& app, int& exit_code) {
  CLI::App* policy = nullptr;
  for (auto* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "policy"; })) policy = sub;
  if (policy == nullptr) {
    policy = app.add_subcommand("policy", "Policy tools");
    policy->require_subcommand(1);
  }
  auto* cmd = policy->add_subcommand(
      "diff", "What a candidate policy would move for open tickets (deadlines, warnings, steps), before applying it");
  auto args = std::make_shared<DiffArgs>();
  cmd->add_option("old", args->old_policy, "the policy in force (YAML file)")->required();
  cmd->add_option("new", args->new_policy, "the candidate policy (YAML file)")->required();
  cmd->add_option("--events", args->events, "proto3-JSON TicketEvent lines: the tickets, replayed under OLD");
  cmd->add_option("--at", args->at, "the instant of the preview (RFC 3339; default: the last event's time)");
  cmd->add_option("--horizon", args->horizon, "how far ahead outputs are compared (default 30d)");
  cmd->add_option("--limit", args->limit, "changes listed at most (default 1000; counts are over all)");
  cmd->callback([args, &exit_code] { exit_code = diff(*args); });
}};

}  // namespace
