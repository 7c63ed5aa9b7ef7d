// The `paging:` section: rotations (time zone, members, shift, handoff,
// start, overrides) and paging targets (levels, ack timeouts, repeat).
#include "builder.hpp"
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <charconv>
#include <cctype>
#include <cstdio>

namespace sla::policy::detail {
namespace {

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

}  // namespace

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

// `timezone`: required, an IANA name.
bool Builder::rotation_zone(const Entries& entries, const YAML::Node& node, const std::string& path, Rotation& r) {
  const Entries* m = &entries;
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
  return ok;
}

// `members`: required, non-empty, no one twice.
bool Builder::rotation_members(const Entries& entries, const YAML::Node& node, const std::string& path, Rotation& r) {
  const Entries* m = &entries;
  bool ok = true;
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
  return ok;
}

// `shift` (default 1w) and `handoff` (weekday only with whole weeks).
bool Builder::rotation_shift(const Entries& entries, const YAML::Node& /*node*/, const std::string& path, Rotation& r) {
  const Entries* m = &entries;
  bool ok = true;
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
  return ok;
}

// `start` (default 1970-01-01): the anchor is the first handoff on/after it.
bool Builder::rotation_start(const Entries& entries, const YAML::Node& /*node*/, const std::string& path, Rotation& r) {
  const Entries* m = &entries;
  bool ok = true;
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
  return ok;
}

// `overrides`: [{member, from, to}] in the rotation's local time.
bool Builder::rotation_overrides(const Entries& entries, const YAML::Node& /*node*/, const std::string& path, Rotation& r) {
  const Entries* m = &entries;
  bool ok = true;
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
  return ok;
}

void Builder::load_rotation(const std::string& name, const YAML::Node& node, const std::string& path) {
  auto m = mapping(node, path, {"timezone", "members", "shift", "handoff", "start", "overrides", "description"});
  if (!m) return;
  Rotation r;
  r.name = name;
  bool ok = true;
  ok = rotation_zone(*m, node, path, r) && ok;
  ok = rotation_members(*m, node, path, r) && ok;
  ok = rotation_shift(*m, node, path, r) && ok;
  ok = rotation_start(*m, node, path, r) && ok;
  ok = rotation_overrides(*m, node, path, r) && ok;
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


}  // namespace sla::policy::detail
