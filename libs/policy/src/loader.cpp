// The policy YAML loader. One pass per section in dependency order
// (calendars, paging, global rules, plans, escalations), collecting every
// error with its position instead of stopping at the first; the policy is
// only returned when there were none. Positions come from yaml-cpp marks
// (0-based) and are reported 1-based.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <yaml-cpp/yaml.h>

#include "sla/calendar/duration.hpp"
#include "sla/calendar/yaml_loader.hpp"
#include "sla/policy/loader.hpp"

namespace sla::policy {
namespace detail {
namespace {

// One key/value pair of a YAML mapping, with the key as text.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

using Entries = std::vector<Entry>;

const Entry* find(const Entries& entries, std::string_view key) {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::string kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a scalar '" + n.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "something else";
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string join(std::initializer_list<std::string_view> v) {
  std::string out;
  for (auto s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::optional<absl::Weekday> parse_weekday(std::string_view text) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::pair<std::string_view, absl::Weekday> kDays[] = {
      {"mon", absl::Weekday::monday},   {"tue", absl::Weekday::tuesday}, {"wed", absl::Weekday::wednesday},
      {"thu", absl::Weekday::thursday}, {"fri", absl::Weekday::friday},  {"sat", absl::Weekday::saturday},
      {"sun", absl::Weekday::sunday}};
  static constexpr std::string_view kFull[] = {"monday", "tuesday", "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
  for (std::size_t i = 0; i < 7; ++i) {
    if (t == kDays[i].first || t == kFull[i]) return kDays[i].second;
  }
  return std::nullopt;
}

// "HH:MM" -> minute of day (0..1439).
std::optional<std::int32_t> parse_hhmm(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  auto digits = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (!digits(0) || !digits(1) || !digits(3) || !digits(4)) return std::nullopt;
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

// Rotation shift length: "1w", "2w", "1d", "12h", "1w3d": civil minutes.
std::optional<std::int64_t> parse_shift(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  int last_rank = -1;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i || j == text.size() || j - i > 6) return std::nullopt;
    std::int64_t n = 0;
    std::from_chars(text.data() + i, text.data() + j, n);
    int rank = 0;
    std::int64_t unit = 0;
    switch (text[j]) {
      case 'w': rank = 0; unit = 7 * 24 * 60; break;
      case 'd': rank = 1; unit = 24 * 60; break;
      case 'h': rank = 2; unit = 60; break;
      case 'm': rank = 3; unit = 1; break;
      default: return std::nullopt;
    }
    if (rank <= last_rank) return std::nullopt;
    last_rank = rank;
    total += n * unit;
    i = j + 1;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

// "2026-12-24T00:00", "2026-12-24T00:00:00" or "2026-12-24".
std::optional<absl::CivilMinute> parse_local_time(std::string_view sv) {
  // This abseil build has its own string_view type.
  const absl::string_view text(sv.data(), sv.size());
  absl::CivilMinute m;
  if (absl::ParseCivilTime(text, &m)) return m;
  absl::CivilSecond s;
  if (absl::ParseCivilTime(text, &s) && s.second() == 0) return absl::CivilMinute(s);
  absl::CivilDay d;
  if (absl::ParseCivilTime(text, &d)) return absl::CivilMinute(d);
  return std::nullopt;
}

// The counted length of a target when it does not depend on the clock's
// start (a fixed or `bd` target on a known calendar); nullopt otherwise
// (open-ended, nbd, no calendar) and when n x day_length overflows.
std::optional<std::int64_t> counted_length(const Target& t) {
  if (t.open_ended) return std::nullopt;
  if (t.duration.kind == calendar::Duration::Kind::kFixed) return t.duration.millis;
  if (t.duration.kind != calendar::Duration::Kind::kBusinessDays || t.calendar == nullptr) return std::nullopt;
  std::int64_t ms = 0;
  if (__builtin_mul_overflow(t.duration.business_days, t.calendar->day_length_millis(), &ms)) return std::nullopt;
  return ms;
}

}  // namespace

class Builder {
 public:
  Builder(const LoadOptions& options, std::vector<LoadError>& errors) : options_(options), errors_(errors) {}

  std::shared_ptr<const Policy> build(std::string_view text);

 private:
  // --- errors ---------------------------------------------------------
  void error_at(const YAML::Mark& mark, std::string message) {
    LoadError e;
    e.file = options_.file;
    if (!mark.is_null()) {
      e.line = mark.line + 1;
      e.column = mark.column + 1;
    }
    e.message = std::move(message);
    mine_.push_back(std::move(e));
  }
  void error(const YAML::Node& node, std::string message) { error_at(mark_of(node), std::move(message)); }
  // yaml-cpp gives undefined nodes a null mark, and an empty value (`key:`)
  // the position after it; report those at their key instead.
  YAML::Mark mark_of(const YAML::Node& node) {
    if (node.IsDefined() && node.IsNull()) {
      for (const auto& [n, m] : null_keys_) {
        if (n.is(node)) return m;
      }
    }
    if (node.IsDefined()) {
      YAML::Mark m = node.Mark();
      if (!m.is_null()) {
        last_mark_ = m;
        return m;
      }
    }
    return last_mark_;
  }

  // --- shape helpers --------------------------------------------------
  // The entries of a mapping. Reports a non-mapping, non-scalar keys,
  // duplicate keys and (when `allowed` is given) unknown keys.
  std::optional<Entries> mapping(const YAML::Node& node, const std::string& path,
                                 std::initializer_list<std::string_view> allowed = {}, bool check_allowed = true) {
    if (!node.IsMap()) {
      error(node, path + ": expected a mapping, got " + kind_name(node));
      return std::nullopt;
    }
    Entries out;
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node k = it->first;
      if (!k.IsScalar()) {
        error(k, path + ": keys must be plain names, got " + kind_name(k));
        continue;
      }
      const std::string& key = k.Scalar();
      if (!seen.insert(key).second) {
        error(k, path + ": duplicate key '" + key + "'");
        continue;
      }
      if (check_allowed && allowed.size() > 0 &&
          std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
        error(k, "unknown key '" + key + "' in " + path + " (expected one of: " + join(allowed) + ")");
        continue;
      }
      if (it->second.IsNull()) null_keys_.emplace_back(it->second, k.Mark());
      out.push_back(Entry{key, k, it->second});
    }
    return out;
  }
  // A mapping whose keys are user-chosen names (plans, rotations...).
  std::optional<Entries> named_mapping(const YAML::Node& node, const std::string& path) {
    return mapping(node, path, {}, false);
  }

  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
      error(node, path + ": expected a value, got " + kind_name(node));
      return std::nullopt;
    }
    return node.Scalar();
  }
  std::optional<std::string> nonempty_scalar(const YAML::Node& node, const std::string& path) {
    auto s = scalar(node, path);
    if (s && s->empty()) {
      error(node, path + ": must not be empty");
      return std::nullopt;
    }
    return s;
  }

  // A list of non-empty scalars. `allow_scalar`: a single value is a list of one.
  std::optional<std::vector<std::pair<std::string, YAML::Node>>> scalar_list(const YAML::Node& node,
                                                                             const std::string& path,
                                                                             bool allow_scalar = false) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (allow_scalar && node.IsScalar()) {
      auto s = nonempty_scalar(node, path);
      if (!s) return std::nullopt;
      out.emplace_back(*s, node);
      return out;
    }
    if (!node.IsSequence()) {
      error(node, path + ": expected a list" + std::string(allow_scalar ? " or a value" : "") + ", got " +
                      kind_name(node));
      return std::nullopt;
    }
    bool ok = true;
    std::size_t i = 0;
    for (const auto& item : node) {
      auto s = nonempty_scalar(item, path + "[" + std::to_string(i++) + "]");
      if (!s) {
        ok = false;
        continue;
      }
      out.emplace_back(*s, item);
    }
    if (!ok) return std::nullopt;
    return out;
  }
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node, const std::string& path,
                                                      bool allow_scalar = false) {
    auto l = scalar_list(node, path, allow_scalar);
    if (!l) return std::nullopt;
    std::vector<std::string> out;
    out.reserve(l->size());
    for (auto& [s, n] : *l) out.push_back(std::move(s));
    return out;
  }

  std::optional<bool> boolean(const YAML::Node& node, const std::string& path) {
    auto s = scalar(node, path);
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "True" || *s == "TRUE") return true;
    if (*s == "false" || *s == "False" || *s == "FALSE") return false;
    error(node, path + ": expected true or false, got '" + *s + "'");
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(const YAML::Node& node, const std::string& path, std::int64_t lo,
                                      std::int64_t hi) {
    auto s = scalar(node, path);
    if (!s) return std::nullopt;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc() || p != s->data() + s->size()) {
      error(node, path + ": expected a whole number, got '" + *s + "'");
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      error(node, path + ": " + *s + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
      return std::nullopt;
    }
    return v;
  }

  // A positive duration. `fixed_only` rejects bd/nbd.
  std::optional<calendar::Duration> duration(const YAML::Node& node, const std::string& path, bool fixed_only) {
    auto s = scalar(node, path);
    if (!s) return std::nullopt;
    auto d = calendar::parse_duration(*s);
    if (!d) {
      error(node, path + ": bad duration '" + *s + "': " + d.error().message);
      return std::nullopt;
    }
    if (fixed_only && d->kind != calendar::Duration::Kind::kFixed) {
      error(node, path + ": '" + *s + "' must be a fixed duration (d, h, m, s), not business days");
      return std::nullopt;
    }
    if ((d->kind == calendar::Duration::Kind::kFixed && d->millis <= 0) ||
        (d->kind == calendar::Duration::Kind::kBusinessDays && d->business_days <= 0)) {
      error(node, path + ": duration '" + *s + "' must be positive");
      return std::nullopt;
    }
    if (d->kind == calendar::Duration::Kind::kFixed && d->millis > kMaxCountedMillis) {
      error(node, path + ": duration '" + *s + "' is longer than 1000 years");
      return std::nullopt;
    }
    return *d;
  }

  // --- sections -------------------------------------------------------
  void load_calendars(const Entry* e);
  const calendar::Calendar* resolve_calendar(const YAML::Node& node, const std::string& path, bool& ok);
  void load_paging(const Entry& e);
  void load_rotation(const std::string& name, const YAML::Node& node, const std::string& path);
  void load_paging_target(const std::string& name, const YAML::Node& node, const std::string& path);
  bool load_level(const YAML::Node& node, const std::string& path, PagingTarget& target, bool top);
  std::optional<std::vector<Threshold>> load_warnings(const YAML::Node& node, const std::string& path);
  std::optional<AfterBreach> load_after_breach(const YAML::Node& node, const std::string& path);
  void load_on_reopen(const Entry& e);
  void load_plans(const Entry& e);
  void load_plan(const std::string& name, const YAML::Node& node, const std::string& path);
  std::optional<MetricTargets> load_metric(Metric metric, const YAML::Node& node, const std::string& path,
                                           const Plan& plan);
  std::optional<Target> load_target(Metric metric, Variant variant, const YAML::Node& node, const std::string& path,
                                    const Plan& plan);
  void load_escalations(const Entry& e);
  void load_ladder(std::size_t i, const YAML::Node& node, std::set<std::string>& names);
  void check_step_order(const EscalationLadder& ladder, const std::vector<YAML::Node>& at_nodes);
  void link_steps();
  void check_clock_items();
  // target + times x repeat stays within kMaxCountedMillis (`length`: the
  // target's counted length when known; nbd targets last at most days).
  static bool reminders_in_range(const Target& t, std::optional<std::int64_t> length) {
    std::int64_t last = 0;
    return !__builtin_mul_overflow(static_cast<std::int64_t>(t.after_breach.times), t.after_breach.repeat_ms, &last) &&
           !__builtin_add_overflow(last, length.value_or(0), &last) && last <= kMaxCountedMillis;
  }

  const LoadOptions& options_;
  std::vector<LoadError>& errors_;
  std::vector<LoadError> mine_;
  YAML::Mark last_mark_;
  std::vector<std::pair<YAML::Node, YAML::Mark>> null_keys_;  // empty values -> their key's mark
  // Where each loaded target is written, by path ("plans.p.severities.s.response[.in_hours]").
  std::map<std::string, YAML::Mark> target_marks_;
  std::shared_ptr<Policy> policy_;
  // Calendar names known even when the calendar section failed to load, so
  // that one bad calendar does not turn into an "unknown calendar" per target.
  std::set<std::string, std::less<>> calendar_names_;
  bool calendars_ok_ = false;
  bool plans_ok_ = false;
};

std::shared_ptr<const Policy> Builder::build(std::string_view text) {
  policy_.reset(new Policy());  // private constructor: make_shared cannot reach it
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& ex) {
    error_at(ex.mark, "YAML syntax error: " + ex.msg);
  } catch (const YAML::Exception& ex) {
    error_at(ex.mark, std::string("YAML error: ") + ex.what());
  }
  if (mine_.empty()) {
    try {
      if (!root.IsDefined() || root.IsNull()) {
        error_at(YAML::Mark(), "the policy is empty (expected a mapping with version, policy_id and plans)");
      } else {
        auto top = mapping(root, "the policy",
                           {"version", "policy_id", "description", "calendars", "plans", "warnings", "after_breach",
                            "pause_on", "on_retarget", "on_reopen", "escalations", "paging"});
        if (top) {
          const Entries& t = *top;
          if (const Entry* v = find(t, "version")) {
            auto s = scalar(v->value, "version");
            if (s && *s != "1") error(v->value, "version: unsupported version '" + *s + "' (only 1 is supported)");
          } else {
            error(root, "missing required key 'version' (version: 1)");
          }
          if (const Entry* id = find(t, "policy_id")) {
            if (auto s = nonempty_scalar(id->value, "policy_id")) policy_->id_ = *s;
          } else {
            error(root, "missing required key 'policy_id'");
          }
          if (const Entry* d = find(t, "description")) scalar(d->value, "description");

          load_calendars(find(t, "calendars"));
          if (const Entry* p = find(t, "paging")) load_paging(*p);
          if (const Entry* w = find(t, "warnings")) {
            if (auto ws = load_warnings(w->value, "warnings")) policy_->warnings_ = std::move(*ws);
          }
          if (const Entry* a = find(t, "after_breach")) {
            if (auto ab = load_after_breach(a->value, "after_breach")) policy_->after_breach_ = *ab;
          }
          if (const Entry* p = find(t, "pause_on")) {
            if (auto l = string_list(p->value, "pause_on")) policy_->pause_on_ = std::move(*l);
          }
          if (const Entry* r = find(t, "on_retarget")) {
            if (auto s = scalar(r->value, "on_retarget")) {
              if (*s == "keep_elapsed") {
                policy_->on_retarget_ = OnRetarget::kKeepElapsed;
              } else if (*s == "restart") {
                policy_->on_retarget_ = OnRetarget::kRestart;
              } else {
                error(r->value, "on_retarget: unknown value '" + *s + "' (expected keep_elapsed or restart)");
              }
            }
          }
          if (const Entry* r = find(t, "on_reopen")) load_on_reopen(*r);
          if (const Entry* p = find(t, "plans")) {
            const std::size_t before = mine_.size();
            load_plans(*p);
            plans_ok_ = mine_.size() == before;
          } else {
            error(root, "missing required key 'plans'");
          }
          if (const Entry* e = find(t, "escalations")) load_escalations(*e);
          if (plans_ok_) check_clock_items();
        }
      }
    } catch (const YAML::Exception& ex) {
      // Should not happen (every access is checked); report instead of throwing.
      error_at(ex.mark, std::string("YAML error: ") + ex.what());
    }
  }

  const bool failed = !mine_.empty();
  std::stable_sort(mine_.begin(), mine_.end(), [](const LoadError& a, const LoadError& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  for (auto& e : mine_) errors_.push_back(std::move(e));
  mine_.clear();
  if (failed) return nullptr;
  link_steps();
  return std::move(policy_);
}

// --- calendars ------------------------------------------------------------

void Builder::load_calendars(const Entry* e) {
  calendar_names_.insert("24x7");
  YAML::Node node;  // undefined/null -> only 24x7
  if (e != nullptr) {
    node = e->value;
    mark_of(e->key_node);
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar()) calendar_names_.insert(it->first.Scalar());
      }
    }
  }
  std::vector<LoadError> cal_errors;
  calendar::LoadOptions copts = options_;
  auto set = calendar::load_calendars(node, copts, cal_errors);
  for (auto& ce : cal_errors) mine_.push_back(std::move(ce));
  if (set) {
    policy_->calendars_ = std::move(set);
    calendars_ok_ = true;
  } else {
    policy_->calendars_ = std::make_shared<calendar::CalendarSet>();
  }
}

const calendar::Calendar* Builder::resolve_calendar(const YAML::Node& node, const std::string& path, bool& ok) {
  auto name = nonempty_scalar(node, path);
  if (!name) {
    ok = false;
    return nullptr;
  }
  if (calendars_ok_) {
    if (const auto* c = policy_->calendars_->find(*name)) return c;
  } else if (calendar_names_.count(*name) != 0) {
    return nullptr;  // exists but failed to load; its own errors say why
  }
  std::vector<std::string> known(calendar_names_.begin(), calendar_names_.end());
  error(node, path + ": unknown calendar '" + *name + "' (defined: " + join(known) + ")");
  ok = false;
  return nullptr;
}

// --- paging ---------------------------------------------------------------

void Builder::load_paging(const Entry& e) {
  auto m = mapping(e.value, "paging", {"rotations", "targets"});
  if (!m) return;
  // Rotations first: targets refer to them.
  if (const Entry* r = find(*m, "rotations")) {
    if (auto rs = named_mapping(r->value, "paging.rotations")) {
      for (const auto& re : *rs) load_rotation(re.key, re.value, "paging.rotations." + re.key);
    }
  }
  if (const Entry* t = find(*m, "targets")) {
    if (auto ts = named_mapping(t->value, "paging.targets")) {
      for (const auto& te : *ts) load_paging_target(te.key, te.value, "paging.targets." + te.key);
    }
  }
}

void Builder::load_rotation(const std::string& name, const YAML::Node& node, const std::string& path) {
  auto m = mapping(node, path, {"timezone", "members", "shift", "handoff", "start", "overrides", "description"});
  if (!m) return;
  Rotation r;
  r.name = name;
  bool ok = true;

  if (const Entry* tz = find(*m, "timezone")) {
    if (auto s = nonempty_scalar(tz->value, path + ".timezone")) {
      r.timezone = *s;
      if (auto zone = calendar::check_time_zone_name(*s); !zone) {
        error(tz->value, path + ".timezone: " + zone.error().message);
        ok = false;
      } else if (!absl::LoadTimeZone(*s, &r.tz)) {
        error(tz->value, path + ".timezone: unknown time zone '" + *s + "' (expected an IANA name like Europe/Warsaw)");
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    error(node, path + ": missing required key 'timezone'");
    ok = false;
  }

  if (const Entry* mem = find(*m, "members")) {
    if (auto l = scalar_list(mem->value, path + ".members")) {
      std::set<std::string> seen;
      for (auto& [s, n] : *l) {
        if (!seen.insert(s).second) {
          error(n, path + ".members: '" + s + "' is listed twice");
          ok = false;
        }
        r.members.push_back(s);
      }
      if (r.members.empty()) {
        error(mem->value, path + ".members: a rotation needs at least one member");
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    error(node, path + ": missing required key 'members'");
    ok = false;
  }

  r.shift_text = "1w";
  if (const Entry* sh = find(*m, "shift")) {
    if (auto s = scalar(sh->value, path + ".shift")) {
      if (auto mins = parse_shift(*s)) {
        r.shift_minutes = *mins;
        r.shift_text = *s;
      } else {
        error(sh->value, path + ".shift: bad shift length '" + *s + "' (expected e.g. 1w, 2w, 1d, 12h)");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  const bool whole_weeks = r.shift_minutes % (7 * 24 * 60) == 0;

  if (whole_weeks) r.handoff_weekday = absl::Weekday::monday;
  if (const Entry* h = find(*m, "handoff")) {
    if (auto hm = mapping(h->value, path + ".handoff", {"weekday", "time"})) {
      r.handoff_weekday.reset();
      if (const Entry* wd = find(*hm, "weekday")) {
        if (auto s = scalar(wd->value, path + ".handoff.weekday")) {
          if (auto w = parse_weekday(*s)) {
            if (!whole_weeks) {
              error(wd->value, path + ".handoff.weekday: a handoff weekday needs a shift of whole weeks (shift is " +
                                   r.shift_text + ")");
              ok = false;
            }
            r.handoff_weekday = *w;
          } else {
            error(wd->value, path + ".handoff.weekday: unknown weekday '" + *s + "' (expected mon..sun)");
            ok = false;
          }
        } else {
          ok = false;
        }
      } else if (whole_weeks) {
        r.handoff_weekday = absl::Weekday::monday;
      }
      if (const Entry* tm = find(*hm, "time")) {
        if (auto s = scalar(tm->value, path + ".handoff.time")) {
          if (auto mod = parse_hhmm(*s)) {
            r.handoff_minute_of_day = *mod;
          } else {
            error(tm->value, path + ".handoff.time: bad time '" + *s + "' (expected HH:MM, 00:00..23:59)");
            ok = false;
          }
        } else {
          ok = false;
        }
      } else {
        error(h->value, path + ".handoff: missing required key 'time'");
        ok = false;
      }
    } else {
      ok = false;
    }
  }

  absl::CivilDay start_day(1970, 1, 1);
  if (const Entry* st = find(*m, "start")) {
    if (auto s = scalar(st->value, path + ".start")) {
      if (!absl::ParseCivilTime(*s, &start_day)) {
        error(st->value, path + ".start: bad date '" + *s + "' (expected YYYY-MM-DD)");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (r.handoff_weekday) {
    while (absl::GetWeekday(start_day) != *r.handoff_weekday) ++start_day;
  }
  r.anchor = absl::CivilMinute(start_day) + r.handoff_minute_of_day;
  {
    static constexpr std::string_view kNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d", r.handoff_minute_of_day / 60, r.handoff_minute_of_day % 60);
    r.handoff_text = r.handoff_weekday ? std::string(kNames[static_cast<int>(*r.handoff_weekday)]) + " " + buf
                                       : std::string(buf);
  }

  if (const Entry* ov = find(*m, "overrides")) {
    if (!ov->value.IsSequence()) {
      error(ov->value, path + ".overrides: expected a list, got " + kind_name(ov->value));
      ok = false;
    } else {
      std::size_t i = 0;
      for (const auto& item : ov->value) {
        const std::string opath = path + ".overrides[" + std::to_string(i++) + "]";
        auto om = mapping(item, opath, {"member", "from", "to"});
        if (!om) {
          ok = false;
          continue;
        }
        RotationOverride o;
        std::optional<absl::CivilMinute> from, to;
        for (const char* key : {"member", "from", "to"}) {
          const Entry* f = find(*om, key);
          if (f == nullptr) {
            error(item, opath + ": missing required key '" + key + "'");
            ok = false;
            continue;
          }
          auto s = nonempty_scalar(f->value, opath + "." + key);
          if (!s) {
            ok = false;
            continue;
          }
          if (std::string_view(key) == "member") {
            o.member = *s;
            continue;
          }
          auto t = parse_local_time(*s);
          if (!t) {
            error(f->value, opath + "." + key + ": bad local time '" + *s +
                                "' (expected YYYY-MM-DDTHH:MM or YYYY-MM-DD, in the rotation's time zone)");
            ok = false;
            continue;
          }
          (std::string_view(key) == "from" ? from : to) = *t;
          (std::string_view(key) == "from" ? o.from_text : o.to_text) = *s;
        }
        if (from && to) {
          o.from = absl::ToUnixMillis(r.tz.At(*from).pre);
          o.to = absl::ToUnixMillis(r.tz.At(*to).pre);
          if (o.to <= o.from) {
            error(find(*om, "to")->value, opath + ".to: must be after from (" + o.from_text + ")");
            ok = false;
          }
        }
        r.overrides.push_back(std::move(o));
      }
    }
  }
  if (ok) policy_->rotations_.emplace(name, std::move(r));
  else policy_->rotations_.emplace(name, Rotation{});  // known name: references to it are not reported twice
}

bool Builder::load_level(const YAML::Node& node, const std::string& path, PagingTarget& target, bool top) {
  std::optional<Entries> m = top ? mapping(node, path, {"rotation", "member", "ack_timeout", "then", "repeat",
                                                        "description"})
                                 : mapping(node, path, {"rotation", "member", "ack_timeout", "then"});
  if (!m) return false;
  bool ok = true;
  PagingLevel level;
  const Entry* rot = find(*m, "rotation");
  const Entry* mem = find(*m, "member");
  if ((rot != nullptr) == (mem != nullptr)) {
    error(node, path + ": needs exactly one of 'rotation' or 'member'");
    ok = false;
  } else if (rot != nullptr) {
    if (auto s = nonempty_scalar(rot->value, path + ".rotation")) {
      level.rotation_name = *s;
      auto it = policy_->rotations_.find(*s);
      if (it == policy_->rotations_.end()) {
        std::vector<std::string> known;
        for (const auto& [n, r] : policy_->rotations_) known.push_back(n);
        error(rot->value, path + ".rotation: unknown rotation '" + *s + "'" +
                              (known.empty() ? std::string(" (no rotations are defined under paging.rotations)")
                                             : " (defined: " + join(known) + ")"));
        ok = false;
      } else {
        level.rotation = &it->second;
      }
    } else {
      ok = false;
    }
  } else {
    if (auto s = nonempty_scalar(mem->value, path + ".member")) level.member = *s;
    else ok = false;
  }
  if (const Entry* ack = find(*m, "ack_timeout")) {
    if (auto d = duration(ack->value, path + ".ack_timeout", true)) {
      level.ack_timeout_ms = d->millis;
      level.ack_timeout_text = ack->value.Scalar();
    } else {
      ok = false;
    }
  } else {
    error(node, path + ": missing required key 'ack_timeout'");
    ok = false;
  }
  target.levels.push_back(std::move(level));
  if (top) {
    if (const Entry* rep = find(*m, "repeat")) {
      if (auto n = integer(rep->value, path + ".repeat", 0, 100)) target.repeat = static_cast<std::int32_t>(*n);
      else ok = false;
    }
  }
  if (const Entry* then = find(*m, "then")) {
    if (then->value.IsSequence()) {
      std::size_t i = 0;
      for (const auto& item : then->value) {
        ok = load_level(item, path + ".then[" + std::to_string(i++) + "]", target, false) && ok;
      }
      if (i == 0) {
        error(then->value, path + ".then: empty list");
        ok = false;
      }
    } else {
      ok = load_level(then->value, path + ".then", target, false) && ok;
    }
  }
  return ok;
}

void Builder::load_paging_target(const std::string& name, const YAML::Node& node, const std::string& path) {
  PagingTarget t;
  t.name = name;
  load_level(node, path, t, true);
  policy_->paging_targets_.emplace(name, std::move(t));
}

// --- global rules ---------------------------------------------------------

std::optional<std::vector<Threshold>> Builder::load_warnings(const YAML::Node& node, const std::string& path) {
  auto l = scalar_list(node, path);
  if (!l) return std::nullopt;
  std::vector<Threshold> out;
  bool ok = true;
  for (auto& [s, n] : *l) {
    auto t = parse_threshold(s);
    if (!t) {
      error(n, path + ": " + t.error().message);
      ok = false;
      continue;
    }
    const bool dup = std::any_of(out.begin(), out.end(), [&](const Threshold& o) {
      return o.kind == t->kind && o.percent == t->percent && o.before_ms == t->before_ms;
    });
    if (dup) {
      error(n, path + ": warning '" + s + "' is listed twice");
      ok = false;
      continue;
    }
    out.push_back(std::move(*t));
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<AfterBreach> Builder::load_after_breach(const YAML::Node& node, const std::string& path) {
  auto m = mapping(node, path, {"repeat", "times"});
  if (!m) return std::nullopt;
  AfterBreach ab;
  bool ok = true;
  const Entry* rep = find(*m, "repeat");
  const Entry* times = find(*m, "times");
  if (rep == nullptr) {
    error(node, path + ": missing required key 'repeat'");
    ok = false;
  } else if (auto d = duration(rep->value, path + ".repeat", true)) {
    ab.repeat_ms = d->millis;
    ab.repeat_text = rep->value.Scalar();
  } else {
    ok = false;
  }
  if (times == nullptr) {
    error(node, path + ": missing required key 'times'");
    ok = false;
  } else if (auto n = integer(times->value, path + ".times", 0, 1000)) {
    ab.times = static_cast<std::int32_t>(*n);
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return ab;
}

void Builder::load_on_reopen(const Entry& e) {
  auto m = mapping(e.value, "on_reopen", {"response", "update", "workaround", "resolution"});
  if (!m) return;
  for (const auto& entry : *m) {
    const Metric metric = *parse_metric(entry.key);  // keys were checked by mapping()
    auto s = scalar(entry.value, "on_reopen." + entry.key);
    if (!s) continue;
    ReopenAction a;
    if (*s == "resume") {
      a = ReopenAction::kResume;
    } else if (*s == "restart") {
      a = ReopenAction::kRestart;
    } else if (*s == "ignore") {
      a = ReopenAction::kIgnore;
    } else {
      error(entry.value, "on_reopen." + entry.key + ": unknown action '" + *s + "' (expected resume, restart or ignore)");
      continue;
    }
    policy_->on_reopen_[index(metric)] = a;
  }
}

// --- plans ----------------------------------------------------------------

void Builder::load_plans(const Entry& e) {
  auto plans = named_mapping(e.value, "plans");
  if (!plans) return;
  if (plans->empty()) {
    error(e.value, "plans: at least one plan is required");
    return;
  }
  for (const auto& p : *plans) load_plan(p.key, p.value, "plans." + p.key);
}

void Builder::load_plan(const std::string& name, const YAML::Node& node, const std::string& path) {
  auto m = mapping(node, path, {"default_calendar", "severities", "description"});
  Plan& plan = policy_->plans_[name];  // registered even when broken: references to it stay quiet
  plan.name = name;
  plan.default_calendar_name = "24x7";
  if (!m) return;
  if (const Entry* dc = find(*m, "default_calendar")) {
    bool ok = true;
    const calendar::Calendar* c = resolve_calendar(dc->value, path + ".default_calendar", ok);
    if (ok) {
      plan.default_calendar = c;
      plan.default_calendar_name = dc->value.Scalar();
    } else {
      plan.default_calendar_name.clear();  // unresolved: targets relying on it are not reported again
    }
  } else if (calendars_ok_) {
    plan.default_calendar = policy_->calendars_->find("24x7");
  }
  const Entry* sevs = find(*m, "severities");
  if (sevs == nullptr) {
    error(node, path + ": missing required key 'severities'");
    return;
  }
  auto sm = named_mapping(sevs->value, path + ".severities");
  if (!sm) return;
  if (sm->empty()) {
    error(sevs->value, path + ".severities: at least one severity is required");
    return;
  }
  for (const auto& s : *sm) {
    const std::string spath = path + ".severities." + s.key;
    Severity& sev = plan.severities[s.key];
    sev.name = s.key;
    plan.severity_order.push_back(s.key);
    auto tm = mapping(s.value, spath, {"response", "update", "workaround", "resolution", "description"});
    if (!tm) continue;
    for (const auto& t : *tm) {
      auto metric = parse_metric(t.key);
      if (!metric) continue;  // description
      sev.metrics[index(*metric)] = load_metric(*metric, t.value, spath + "." + t.key, plan);
    }
  }
}

std::optional<MetricTargets> Builder::load_metric(Metric metric, const YAML::Node& node, const std::string& path,
                                                  const Plan& plan) {
  if (node.IsMap() && (node["in_hours"] || node["after_hours"] || node["hours_calendar"])) {
    auto m = mapping(node, path, {"in_hours", "after_hours", "hours_calendar"});
    if (!m) return std::nullopt;
    const Entry* in = find(*m, "in_hours");
    const Entry* after = find(*m, "after_hours");
    bool ok = true;
    if (in == nullptr) {
      error(node, path + ": missing 'in_hours' (a split target needs both in_hours and after_hours)");
      ok = false;
    }
    if (after == nullptr) {
      error(node, path + ": missing 'after_hours' (a split target needs both in_hours and after_hours)");
      ok = false;
    }
    std::optional<Target> tin, tafter;
    if (in != nullptr) tin = load_target(metric, Variant::kInHours, in->value, path + ".in_hours", plan);
    if (after != nullptr) tafter = load_target(metric, Variant::kAfterHours, after->value, path + ".after_hours", plan);
    if (!ok || !tin || !tafter) return std::nullopt;
    MetricTargets mt;
    mt.in_hours = std::move(*tin);
    mt.after_hours = std::move(*tafter);
    if (const Entry* hc = find(*m, "hours_calendar")) {
      bool cok = true;
      mt.hours_calendar = resolve_calendar(hc->value, path + ".hours_calendar", cok);
      if (!cok) return std::nullopt;
      mt.hours_calendar_name = hc->value.Scalar();
    } else {
      mt.hours_calendar = mt.in_hours.calendar;
      mt.hours_calendar_name = mt.in_hours.calendar_name;
    }
    return mt;
  }
  auto t = load_target(metric, Variant::kAlways, node, path, plan);
  if (!t) return std::nullopt;
  MetricTargets mt;
  mt.in_hours = std::move(*t);
  return mt;
}

std::optional<Target> Builder::load_target(Metric metric, Variant variant, const YAML::Node& node,
                                           const std::string& path, const Plan& plan) {
  auto m = mapping(node, path, {"within", "every", "calendar", "pause_on", "warnings", "after_breach"});
  if (!m) return std::nullopt;
  Target t;
  t.metric = metric;
  t.variant = variant;
  bool ok = true;

  const Entry* within = find(*m, "within");
  const Entry* every = find(*m, "every");
  const Entry* dur = nullptr;
  if (metric == Metric::kUpdate) {
    if (within != nullptr) {
      error(within->key_node, path + ": update is a recurring target: use 'every', not 'within'");
      ok = false;
    } else if (every == nullptr) {
      error(node, path + ": missing required key 'every' (how often an agent update is due)");
      ok = false;
    }
    dur = every;
    t.recurring = true;
  } else {
    if (every != nullptr) {
      error(every->key_node, path + ": 'every' is only for update; " + std::string(to_string(metric)) +
                                 " takes 'within'");
      ok = false;
    } else if (within == nullptr) {
      error(node, path + ": missing required key 'within'");
      ok = false;
    }
    dur = within;
  }
  if (dur != nullptr && ok) {
    if (metric != Metric::kUpdate && dur->value.IsScalar() && dur->value.Scalar() == "none") {
      t.open_ended = true;
      t.duration_text = "none";
    } else if (auto d = duration(dur->value, path + "." + dur->key, false)) {
      t.duration = *d;
      t.duration_text = dur->value.Scalar();
    } else {
      ok = false;
    }
  }

  if (const Entry* c = find(*m, "calendar")) {
    bool cok = true;
    t.calendar = resolve_calendar(c->value, path + ".calendar", cok);
    if (cok) t.calendar_name = c->value.Scalar();
    else ok = false;
  } else {
    t.calendar = plan.default_calendar;
    t.calendar_name = plan.default_calendar_name;
  }

  if (const Entry* p = find(*m, "pause_on")) {
    if (auto l = string_list(p->value, path + ".pause_on")) t.pause_on = std::move(*l);
    else ok = false;
  } else if (metric != Metric::kResponse) {
    t.pause_on = policy_->pause_on_;
  }

  // The target's counted length when it does not depend on the start.
  std::optional<std::int64_t> length;
  if (ok && !t.open_ended) {
    length = counted_length(t);
    if (t.duration.kind == calendar::Duration::Kind::kBusinessDays && t.calendar != nullptr &&
        (!length || *length > kMaxCountedMillis)) {
      error(dur->value, path + "." + dur->key + ": '" + t.duration_text + "' is longer than 1000 years (" +
                            std::to_string(t.duration.business_days) + " x the calendar's day_length of " +
                            calendar::to_string(calendar::Duration::fixed(t.calendar->day_length_millis())) + ")");
      length.reset();
      ok = false;
    }
  }

  if (const Entry* w = find(*m, "warnings")) {
    if (t.open_ended) {
      error(w->key_node, path + ": an open-ended target (within: none) has no deadline to warn about");
      ok = false;
    } else if (auto ws = load_warnings(w->value, path + ".warnings")) {
      if (length) {
        std::size_t i = 0;
        for (const auto& th : *ws) {
          if (th.kind == Threshold::Kind::kBeforeDeadline && th.before_ms >= *length) {
            error(w->value[i], path + ".warnings: '" + th.text + "' is not shorter than the target (" +
                                   t.duration_text + ")");
            ok = false;
          }
          ++i;
        }
      }
      t.warnings = std::move(*ws);
    } else {
      ok = false;
    }
  } else if (!t.open_ended) {
    // Global time-before-deadline warnings longer than this target do not
    // apply to it (a 15m target gets no -30m warning rather than one at open).
    for (const auto& th : policy_->warnings_) {
      if (th.kind == Threshold::Kind::kBeforeDeadline && length && th.before_ms >= *length) continue;
      t.warnings.push_back(th);
    }
  }

  if (const Entry* a = find(*m, "after_breach")) {
    if (t.open_ended) {
      error(a->key_node, path + ": an open-ended target (within: none) is never breached");
      ok = false;
    } else if (auto ab = load_after_breach(a->value, path + ".after_breach")) {
      t.after_breach = *ab;
    } else {
      ok = false;
    }
  } else if (!t.open_ended) {
    t.after_breach = policy_->after_breach_;
  }
  if (ok && !t.open_ended && !reminders_in_range(t, length)) {
    const Entry* a = find(*m, "after_breach");
    error(a != nullptr ? a->value : node,
          path + ": the last reminder (" + std::to_string(t.after_breach.times) + " x " + t.after_breach.repeat_text +
              " after the deadline of " + t.duration_text + ") would be due more than 1000 years after the clock starts");
    ok = false;
  }

  if (!ok) return std::nullopt;
  target_marks_[path] = mark_of(node);
  return t;
}

// --- escalations ----------------------------------------------------------

void Builder::load_escalations(const Entry& e) {
  if (!e.value.IsSequence()) {
    error(e.value, "escalations: expected a list of ladders, got " + kind_name(e.value));
    return;
  }
  std::set<std::string> names;
  std::size_t i = 0;
  for (const auto& item : e.value) load_ladder(i++, item, names);
}

void Builder::load_ladder(std::size_t i, const YAML::Node& node, std::set<std::string>& names) {
  const std::string path = "escalations[" + std::to_string(i) + "]";
  auto m = mapping(node, path, {"name", "match", "steps", "description"});
  if (!m) return;
  EscalationLadder ladder;
  ladder.name = path;
  bool ok = true;        // name and match
  bool steps_ok = true;  // every step has a valid `at` (all the order check needs)

  if (const Entry* n = find(*m, "name")) {
    if (auto s = nonempty_scalar(n->value, path + ".name")) {
      if (s->find('/') != std::string::npos) {
        error(n->value, path + ".name: '" + *s + "' must not contain '/' (it is part of step ids)");
        ok = false;
      } else if (!names.insert(*s).second) {
        error(n->value, path + ".name: another ladder is already named '" + *s + "'");
        ok = false;
      }
      ladder.name = *s;
    } else {
      ok = false;
    }
  }

  if (const Entry* mt = find(*m, "match")) {
    if (auto mm = mapping(mt->value, path + ".match", {"plan", "severity", "metric"})) {
      if (const Entry* p = find(*mm, "plan")) {
        if (auto l = scalar_list(p->value, path + ".match.plan", true)) {
          for (auto& [s, n] : *l) {
            if (!policy_->plans_.count(s)) {
              std::vector<std::string> known;
              for (const auto& [pn, pl] : policy_->plans_) known.push_back(pn);
              error(n, path + ".match.plan: unknown plan '" + s + "' (defined: " + join(known) + ")");
              ok = false;
            }
            ladder.match.plans.push_back(s);
          }
        } else {
          ok = false;
        }
      }
      if (const Entry* sv = find(*mm, "severity")) {
        if (auto l = scalar_list(sv->value, path + ".match.severity", true)) {
          for (auto& [s, n] : *l) {
            bool found = false;
            for (const auto& [pn, pl] : policy_->plans_) {
              const bool plan_matches = ladder.match.plans.empty() ||
                                        std::find(ladder.match.plans.begin(), ladder.match.plans.end(), pn) !=
                                            ladder.match.plans.end();
              if (plan_matches && pl.severities.count(s)) found = true;
            }
            if (!found) {
              error(n, path + ".match.severity: unknown severity '" + s + "'" +
                           (ladder.match.plans.empty() ? std::string(" (no plan has it)")
                                                       : " (not in plan " + join(ladder.match.plans) + ")"));
              ok = false;
            }
            ladder.match.severities.push_back(s);
          }
        } else {
          ok = false;
        }
      }
      if (const Entry* me = find(*mm, "metric")) {
        if (auto l = scalar_list(me->value, path + ".match.metric", true)) {
          for (auto& [s, n] : *l) {
            if (auto metric = parse_metric(s)) {
              ladder.match.metrics.push_back(*metric);
            } else {
              error(n, path + ".match.metric: unknown metric '" + s +
                           "' (expected response, update, workaround or resolution)");
              ok = false;
            }
          }
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
  }

  std::vector<YAML::Node> at_nodes;
  const Entry* steps = find(*m, "steps");
  if (steps == nullptr) {
    error(node, path + ": missing required key 'steps'");
    steps_ok = false;
  } else if (!steps->value.IsSequence() || steps->value.size() == 0) {
    error(steps->value, path + ".steps: expected a non-empty list of steps, got " + kind_name(steps->value));
    steps_ok = false;
  } else {
    std::size_t j = 0;
    for (const auto& item : steps->value) {
      const std::string spath = path + ".steps[" + std::to_string(j) + "]";
      EscalationStep step;
      step.ladder = i;
      step.index = j;
      step.id = ladder.name + "/" + std::to_string(j + 1);
      ++j;
      auto sm = mapping(item, spath, {"at", "notify", "page"});
      if (!sm) {
        steps_ok = false;
        continue;
      }
      bool sok = true;
      YAML::Node at_node;
      if (const Entry* at = find(*sm, "at")) {
        at_node = at->value;
        if (auto s = scalar(at->value, spath + ".at")) {
          if (auto parsed = parse_step_at(*s)) {
            step.at = std::move(*parsed);
          } else {
            error(at->value, spath + ".at: " + parsed.error().message);
            sok = false;
            steps_ok = false;
          }
        } else {
          sok = false;
          steps_ok = false;
        }
      } else {
        error(item, spath + ": missing required key 'at'");
        sok = false;
        steps_ok = false;
      }
      if (const Entry* pg = find(*sm, "page")) {
        if (auto b = boolean(pg->value, spath + ".page")) step.page = *b;
        else sok = false;
      }
      if (const Entry* nt = find(*sm, "notify")) {
        if (auto l = scalar_list(nt->value, spath + ".notify", true)) {
          for (auto& [s, n] : *l) step.notify.push_back(s);
          if (step.notify.empty()) {
            error(nt->value, spath + ".notify: a step must notify someone");
            sok = false;
          }
          if (step.page) {
            for (const auto& s : step.notify) {
              if (const auto* pt = policy_->paging_target(s)) step.pages.push_back(pt);
            }
            if (step.pages.empty() && !step.notify.empty()) {
              std::vector<std::string> known;
              for (const auto& [pn, pt] : policy_->paging_targets_) known.push_back(pn);
              error(nt->value, spath + ".notify: page: true but none of [" + join(step.notify) +
                                   "] is a paging target" +
                                   (known.empty() ? std::string(" (none are defined under paging.targets)")
                                                  : " (defined: " + join(known) + ")"));
              sok = false;
            }
          }
        } else {
          sok = false;
        }
      } else {
        error(item, spath + ": missing required key 'notify'");
        sok = false;
      }
      if (!sok) ok = false;
      ladder.steps.push_back(std::move(step));
      at_nodes.push_back(at_node);
    }
  }

  if (ok) {
    // A ladder that can never fire is almost certainly a typo.
    bool any = false;
    for (const auto& [pn, pl] : policy_->plans_) {
      for (const auto& [sn, sv] : pl.severities) {
        for (Metric metric : kAllMetrics) {
          if (sv.metrics[index(metric)] && ladder.match.matches(pn, sn, metric)) any = true;
        }
      }
    }
    if (!any && plans_ok_) {
      const Entry* mt = find(*m, "match");
      error(mt != nullptr ? mt->value : node, path + ".match: matches no target (no plan/severity has a target for "
                                                     "the matched metrics)");
      ok = false;
    }
  }
  // Order is checked even when `match` is wrong, so both are reported.
  if (steps_ok) check_step_order(ladder, at_nodes);
  policy_->escalations_.push_back(std::move(ladder));
}

void Builder::check_step_order(const EscalationLadder& ladder, const std::vector<YAML::Node>& at_nodes) {
  // The counted lengths of every matched target (nullopt: open-ended or nbd,
  // i.e. unknown until a ticket starts), with a label for messages.
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> lengths;
  for (const auto& [pn, pl] : policy_->plans_) {
    for (const auto& [sn, sv] : pl.severities) {
      for (Metric metric : kAllMetrics) {
        const auto& mt = sv.metrics[index(metric)];
        if (!mt || !ladder.match.matches(pn, sn, metric)) continue;
        for (const Target* t : {&mt->in_hours, mt->after_hours ? &*mt->after_hours : nullptr}) {
          if (t == nullptr || t->open_ended) continue;
          const std::optional<std::int64_t> len = counted_length(*t);
          if (len) lengths.emplace_back(pn + "/" + sn + "/" + std::string(to_string(metric)) + " (" + t->duration_text + ")", len);
        }
      }
    }
  }
  auto phase = [](const StepAt& a) { return a.kind == StepAt::Kind::kBreach ? 1 : 0; };
  const auto& steps = ladder.steps;
  // breach+D is target + D of counted time: bounded like every other time.
  for (std::size_t j = 0; j < steps.size(); ++j) {
    if (steps[j].at.kind != StepAt::Kind::kBreach) continue;
    for (const auto& [label, len] : lengths) {
      if (*len + steps[j].at.after_breach_ms <= kMaxCountedMillis) continue;
      error(at_nodes[j], ladder.name + ": step " + std::to_string(j + 1) + " (at " + steps[j].at.text +
                             ") would be due more than 1000 years after the clock starts for " + label);
      break;
    }
  }
  for (std::size_t j = 1; j < steps.size(); ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      const StepAt& a = steps[i].at;
      const StepAt& b = steps[j].at;
      bool bad = false;
      std::string where;
      if (phase(a) != phase(b)) {
        bad = phase(a) > phase(b);
      } else if (a.kind == b.kind) {
        bad = !((a.kind == StepAt::Kind::kPercent && a.percent < b.percent) ||
                (a.kind == StepAt::Kind::kElapsed && a.elapsed_ms < b.elapsed_ms) ||
                (a.kind == StepAt::Kind::kBreach && a.after_breach_ms < b.after_breach_ms));
      } else {
        // A percent and a duration: comparable only against a target's length.
        for (const auto& [label, len] : lengths) {
          auto da = a.due_at(len), db = b.due_at(len);
          if (da && db && *da >= *db) {
            bad = true;
            where = " for " + label;
            break;
          }
        }
      }
      if (bad) {
        error(at_nodes[j], ladder.name + ": step " + std::to_string(j + 1) + " (at " + b.text +
                               ") is not later than step " + std::to_string(i + 1) + " (at " + a.text + ")" +
                               where + "; steps must be in increasing order");
        break;
      }
    }
  }
}

void Builder::check_clock_items() {
  for (const auto& [pn, plan] : policy_->plans_) {
    for (const auto& [sn, sev] : plan.severities) {
      for (Metric metric : kAllMetrics) {
        const auto& mt = sev.metrics[index(metric)];
        if (!mt) continue;
        std::size_t steps = 0;
        for (const auto& ladder : policy_->escalations_) {
          if (ladder.match.matches(pn, sn, metric)) steps += ladder.steps.size();
        }
        const std::string base = "plans." + pn + ".severities." + sn + "." + std::string(to_string(metric));
        for (const Target* t : {&mt->in_hours, mt->after_hours ? &*mt->after_hours : nullptr}) {
          if (t == nullptr) continue;
          const std::size_t warnings = t->open_ended ? 0 : t->warnings.size();
          const std::size_t reminders = t->open_ended ? 0 : static_cast<std::size_t>(std::max(0, t->after_breach.times));
          const std::size_t items = warnings + (t->open_ended ? 0 : 1) + reminders + steps;
          if (items <= kMaxClockItems) continue;
          const std::string path = !mt->split() ? base : base + (t == &mt->in_hours ? ".in_hours" : ".after_hours");
          auto where = target_marks_.find(path);
          error_at(where != target_marks_.end() ? where->second : YAML::Mark(),
                   path + ": a clock tracks at most " + std::to_string(kMaxClockItems) +
                       " warnings, breach, reminders and escalation steps; this one has " + std::to_string(items) +
                       " (" + std::to_string(warnings) + " warnings, " + (t->open_ended ? "no breach, " : "1 breach, ") +
                       std::to_string(reminders) + " reminders, " + std::to_string(steps) + " steps)");
        }
      }
    }
  }
}

void Builder::link_steps() {
  for (auto& [pn, plan] : policy_->plans_) {
    for (auto& [sn, sev] : plan.severities) {
      for (Metric metric : kAllMetrics) {
        auto& out = sev.steps[index(metric)];
        for (const auto& ladder : policy_->escalations_) {
          if (!ladder.match.matches(pn, sn, metric)) continue;
          for (const auto& step : ladder.steps) out.push_back(&step);
        }
      }
    }
  }
}

}  // namespace detail

std::shared_ptr<const Policy> load_policy(std::string_view yaml_text, const LoadOptions& options,
                                          std::vector<LoadError>& errors) {
  detail::Builder b(options, errors);
  return b.build(yaml_text);
}

std::shared_ptr<const Policy> load_policy_file(const std::string& path, const LoadOptions& options,
                                               std::vector<LoadError>& errors) {
  LoadOptions opts = options;
  if (opts.file.empty()) opts.file = path;
  if (!opts.read_file) {
    errors.push_back(LoadError{opts.file, 0, 0, "no file reader configured"});
    return nullptr;
  }
  auto text = opts.read_file(path);
  if (!text) {
    errors.push_back(LoadError{opts.file, 0, 0, "cannot read policy: " + text.error().message});
    return nullptr;
  }
  return load_policy(*text, opts, errors);
}


}  // namespace sla::policy
