// `slactl replay --policy FILE --events FILE.jsonl [--until T] [--allow-rejects]`:
// runs the engine on a simulated clock over proto3-JSON TicketEvent lines (in
// file order = arrival order) and prints every output as a JSON line. The
// clock jumps to each next timer or event, so the output is deterministic:
// the policy's unit test (SPEC 6.3).
//
// Exit status: 0 every line applied; 1 nothing replayed (bad policy, events
// file or --until); 3 the replay ran to the end but some lines were
// undecodable or rejected, or acknowledged a page the replay had not sent
// (0 with --allow-rejects). Each such line is named on stderr.
#include <iostream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/codec/codec.hpp"
#include "sla/engine/engine.hpp"
#include "sla/services/policy_io.hpp"

namespace {

constexpr int kExitUnusable = 1;
constexpr int kExitRejects = 3;

struct ReplayArgs {
  std::string policy;
  std::string events;
  std::string until;
  bool allow_rejects = false;
};

// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant.
sla::Result<sla::EpochMillis> parse_until(const std::string& text) {
  const bool plain_date = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                          text.find_first_not_of("0123456789-") == std::string::npos;
  return sla::calendar::parse_rfc3339(plain_date ? text + "T00:00:00Z" : text);
}

// One replay: the engine, its simulated clock, and what the input did wrong.
class Replay {
 public:
  Replay(std::shared_ptr<const sla::policy::Policy> policy, std::string events_name,
         std::optional<sla::EpochMillis> until)
      : engine_(std::move(policy)), events_name_(std::move(events_name)), until_(until) {}

  // One input line (blank and `#` comment lines are skipped).
  void line(const std::string& line, std::size_t line_no);
  // After the last line: every timer up to --until, or until none remain.
  void finish();
  // The summary on stderr; returns the exit status.
  int report(bool allow_rejects) const;

 private:
  // Fires every timer due up to `t`, jumping the clock to each in turn.
  void run_until(sla::EpochMillis t);
  void flush();
  void check_ack(const sla::engine::TicketEvent& e, std::size_t line_no);
  std::ostream& where(std::size_t line_no) const { return std::cerr << events_name_ << ":" << line_no << ": "; }

  sla::engine::Engine engine_;
  std::string events_name_;
  std::optional<sla::EpochMillis> until_;
  std::vector<sla::engine::Output> out_;
  sla::EpochMillis now_ = std::numeric_limits<sla::EpochMillis>::min();
  // "ticket\npage_id" of every page printed, and "ticket\ndedup_key" of
  // their ladders (an ack may name either: the engine stops the ladder).
  std::set<std::string> sent_;
  std::size_t bad_lines_ = 0;
  std::size_t unsent_acks_ = 0;
  std::size_t beyond_until_ = 0;
};

void Replay::flush() {
  for (const auto& o : out_) {
    if (const auto* p = std::get_if<sla::engine::PageOutput>(&o)) {
      sent_.insert(p->ticket_id + '\n' + p->page_id);
      sent_.insert(p->ticket_id + '\n' + p->dedup_key);
    }
    std::cout << sla::codec::output_to_json_line(o) << "\n";
  }
  out_.clear();
}

void Replay::run_until(sla::EpochMillis t) {
  for (auto due = engine_.next_due(); due && *due <= t; due = engine_.next_due()) {
    now_ = std::max(now_, *due);
    engine_.advance(now_, out_);
    flush();
  }
}

// An ack naming a page that was never sent changes nothing, or stops a
// ladder by its prefix: in a policy's unit test it is almost always a typo.
void Replay::check_ack(const sla::engine::TicketEvent& e, std::size_t line_no) {
  if (e.kind != sla::engine::EventKind::kPageAcknowledged || e.page_id.empty()) return;
  if (sent_.count(e.ticket_id + '\n' + e.page_id) > 0) return;
  where(line_no) << "page_acknowledged for page \"" << e.page_id << "\" of ticket \"" << e.ticket_id
                 << "\", which was not sent before this line\n";
  ++unsent_acks_;
}

void Replay::line(const std::string& line, std::size_t line_no) {
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos || line[first] == '#') return;  // blank or comment
  // The receiver's clock for the timestamp sanity check is the event's own
  // time: replay has no wall clock.
  auto event = sla::codec::decode_ticket_event(line, sla::codec::ContentType::kJson,
                                               std::numeric_limits<sla::EpochMillis>::max() / 2);
  if (!event) {
    where(line_no) << sla::codec::to_string(event.error().failure) << ": " << event.error().message << "\n";
    ++bad_lines_;
    return;
  }
  // Stamped after --until: it has not arrived yet when the clock stops. A
  // later line stamped before --until still arrives (late, as to the daemon).
  if (until_ && event->occurred_at > *until_) {
    ++beyond_until_;
    return;
  }
  run_until(event->occurred_at);
  now_ = std::max(now_, event->occurred_at);
  auto applied = engine_.apply(*event, now_, out_);
  if (!applied) {
    where(line_no) << "rejected: " << applied.error().message << "\n";
    ++bad_lines_;
  } else {
    check_ack(*event, line_no);  // before flush(): an ack emits no page
  }
  flush();
}

void Replay::finish() {
  constexpr std::size_t kMaxSteps = 10'000'000;
  std::size_t steps = 0;
  for (auto due = engine_.next_due(); due && (!until_ || *due <= *until_) && steps < kMaxSteps;
       due = engine_.next_due(), ++steps) {
    now_ = std::max(now_, *due);
    engine_.advance(now_, out_);
    flush();
  }
  std::cout.flush();
}

int Replay::report(bool allow_rejects) const {
  if (beyond_until_ > 0) {
    std::cerr << beyond_until_ << " event(s) stamped after --until " << sla::calendar::format_rfc3339(*until_)
              << " not applied\n";
  }
  if (bad_lines_ > 0) std::cerr << bad_lines_ << " input line(s) rejected or undecodable, not applied\n";
  if (unsent_acks_ > 0) std::cerr << unsent_acks_ << " acknowledgement(s) of a page not sent\n";
  return bad_lines_ + unsent_acks_ > 0 && !allow_rejects ? kExitRejects : 0;
}

int replay(const ReplayArgs& args) {
  sla::codec::quiet_protobuf_logging();
  std::vector<sla::policy::LoadError> errors;
  auto policy = sla::services::load_policy_path(args.policy, errors);
  if (!policy) {
    for (const auto& e : errors) std::cerr << sla::policy::format(e) << "\n";
    return kExitUnusable;
  }
  std::optional<sla::EpochMillis> until;
  if (!args.until.empty()) {
    auto t = parse_until(args.until);
    if (!t) {
      std::cerr << "--until: " << t.error().message << " (want YYYY-MM-DD or an RFC 3339 instant)\n";
      return kExitUnusable;
    }
    until = *t;
  }
  auto text = sla::services::read_text({}, args.events);
  if (!text) {
    std::cerr << text.error().message << "\n";
    return kExitUnusable;
  }
  Replay replay(policy, args.events, until);
  const std::string& s = *text;
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t end = std::min(s.find('\n', pos), s.size());
    replay.line(s.substr(pos, end - pos), ++line_no);
    pos = end + 1;
  }
  replay.finish();
  return replay.report(args.allow_rejects);
}

const sla::slactl::Registration kReplay{[](CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("replay", "Run the engine on a simulated clock over JSON-lines events");
  auto args = std::make_shared<ReplayArgs>();
  cmd->add_option("--policy", args->policy, "policy YAML file")->required();
  cmd->add_option("--events", args->events, "proto3-JSON TicketEvent lines in arrival order (# comments allowed)")
      ->required();
  cmd->add_option("--until", args->until,
                  "stop the simulated clock at this instant: RFC 3339, or YYYY-MM-DD for midnight UTC. "
                  "The whole file is read; events stamped after it are not applied (counted on stderr)");
  cmd->add_flag("--allow-rejects", args->allow_rejects,
                "exit 0 even when lines were undecodable or rejected, or acknowledged a page not sent");
  cmd->footer(
      "Exit status: 0 every line applied; 1 nothing replayed (policy, events file or --until unusable); "
      "3 replayed, but some lines were undecodable or rejected, or acknowledged a page not sent before them "
      "(each named on stderr with its line number; 0 with --allow-rejects).");
  cmd->callback([args, &exit_code] { exit_code = replay(*args); });
}};

}  // namespace
