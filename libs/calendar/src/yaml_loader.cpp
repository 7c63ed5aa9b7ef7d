// YAML -> CalendarSpec -> Calendar. Every problem becomes a LoadError with
// the position of the offending key or value; parsing goes on so one run
// reports them all.
#include "sla/calendar/yaml_loader.hpp"

#include <algorithm>
#include <bit>
#include <optional>
#include <charconv>
#include <map>
#include <set>

#include <absl/time/time.h>

#include "civil.hpp"
#include "ics.hpp"

namespace sla::calendar {
namespace {

constexpr std::string_view kWeekdayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

struct Ctx {
  const LoadOptions& opts;
  std::vector<LoadError>& errors;

  void error(const YAML::Mark& m, const std::string& path, const std::string& what) {
    LoadError e;
    e.file = opts.file;
    if (!m.is_null()) {
      e.line = m.line + 1;
      e.column = m.column + 1;
    }
    e.message = path.empty() ? what : path + ": " + what;
    errors.push_back(std::move(e));
  }
};

struct IncludeRef {
  std::string name;
  YAML::Mark mark;
  std::string path;
};

struct Parsed {
  CalendarSpec spec;
  std::vector<IncludeRef> includes;
  YAML::Mark mark;
  bool ok = true;
};

std::optional<long long> to_int(const std::string& s) {
  long long v = 0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e) return std::nullopt;
  return v;
}

std::string describe(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

/// Items of a scalar-or-list value, with their nodes (for marks).
std::vector<YAML::Node> scalar_items(const YAML::Node& n) {
  std::vector<YAML::Node> out;
  if (n.IsScalar()) {
    out.push_back(n);
  } else if (n.IsSequence()) {
    for (const auto& item : n) out.push_back(item);
  }
  return out;
}

int month_index(const std::string& s) {
  static constexpr std::string_view kMonths[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                    "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string lower = s;
  for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (int i = 0; i < 12; ++i) {
    if (lower.size() >= 3 && lower.substr(0, 3) == kMonths[i]) return i + 1;
  }
  if (auto v = to_int(s); v && *v >= 1 && *v <= 12) return static_cast<int>(*v);
  return 0;
}

class Loader {
 public:
  explicit Loader(Ctx& ctx) : ctx_(ctx) {}

  Parsed parse_calendar(const std::string& name, const YAML::Node& key, const YAML::Node& node) {
    Parsed out;
    out.mark = key.Mark();
    out.spec.name = name;
    const std::string base = "calendars." + name;
    if (!node.IsMap()) {
      err(out, key.Mark(), base, "expected a mapping with timezone, hours, ... but found " + describe(node));
      return out;
    }
    bool have_tz = false;
    bool have_hours = false;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string k = it->first.Scalar();
      const YAML::Node v = it->second;  // a copy: it-> yields a temporary proxy
      const std::string path = base + "." + k;
      if (k == "timezone") {
        have_tz = true;
        absl::TimeZone tz;
        if (!v.IsScalar() || v.Scalar().empty()) {
          err(out, v.Mark(), path, "expected an IANA time zone name such as Europe/Warsaw");
        } else if (!absl::LoadTimeZone(v.Scalar(), &tz)) {
          err(out, v.Mark(), path, "unknown time zone '" + v.Scalar() + "' (expected an IANA name such as America/Mexico_City)");
        } else {
          out.spec.timezone = v.Scalar();
        }
      } else if (k == "hours") {
        have_hours = true;
        parse_hours(out, path, it->first, v);
      } else if (k == "day_length") {
        auto d = v.IsScalar() ? parse_duration(v.Scalar()) : sla::fail(ErrorCode::kInvalidArgument, "expected a duration such as 9h");
        if (!d) {
          err(out, v.Mark(), path, d.error().message);
        } else if (d->kind != Duration::Kind::kFixed || d->millis <= 0) {
          err(out, v.Mark(), path, "must be a positive fixed duration such as 9h or 8h30m, not '" + v.Scalar() + "'");
        } else {
          out.spec.day_length_millis = d->millis;
        }
      } else if (k == "holidays") {
        parse_holidays(out, path, v);
      } else if (k == "closures") {
        parse_closures(out, path, v);
      } else if (k == "include") {
        if (!v.IsScalar() && !v.IsSequence() && !v.IsNull()) {
          err(out, v.Mark(), path, "expected a calendar name or a list of names");
        }
        std::size_t i = 0;
        for (const auto& item : scalar_items(v)) {
          if (!item.IsScalar()) {
            err(out, item.Mark(), path + "[" + std::to_string(i) + "]", "expected a calendar name");
          } else {
            out.includes.push_back({item.Scalar(), item.Mark(), path});
          }
          ++i;
        }
      } else if (k == "ics") {
        parse_ics(out, path, v);
      } else if (k == "description" || k == "name") {
        // Free text for humans.
      } else {
        err(out, it->first.Mark(), path,
            "unknown key '" + k + "' (expected timezone, hours, day_length, holidays, closures, include, ics)");
      }
    }
    if (!have_tz) err(out, key.Mark(), base, "missing required key 'timezone'");
    if (!have_hours) err(out, key.Mark(), base, "missing required key 'hours'");
    return out;
  }

 private:
  void err(Parsed& p, const YAML::Mark& m, const std::string& path, const std::string& what) {
    p.ok = false;
    ctx_.error(m, path, what);
  }

  struct HourItem {
    LocalInterval iv;
    YAML::Mark mark;
    std::string text;
    std::string path;
  };

  void parse_hours(Parsed& out, const std::string& path, const YAML::Node& key, const YAML::Node& v) {
    if (!v.IsMap()) {
      err(out, v.IsNull() ? key.Mark() : v.Mark(), path,
          "expected a mapping of weekdays to intervals, e.g. mon-fri: [\"09:00-18:00\"]");
      return;
    }
    std::vector<HourItem> per_day[7];
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string days_text = it->first.Scalar();
      const std::string item_path = path + "." + days_text;
      auto mask = parse_weekdays(days_text);
      if (!mask) {
        err(out, it->first.Mark(), item_path, mask.error().message);
        continue;
      }
      const YAML::Node ivs = it->second;  // a copy: it-> yields a temporary proxy
      if (!ivs.IsNull() && !ivs.IsScalar() && !ivs.IsSequence()) {
        err(out, ivs.Mark(), item_path, "expected a list of intervals such as [\"09:00-18:00\"]");
        continue;
      }
      std::size_t i = 0;
      for (const auto& n : scalar_items(ivs)) {
        const std::string ip = ivs.IsSequence() ? item_path + "[" + std::to_string(i++) + "]" : item_path;
        if (!n.IsScalar()) {
          err(out, n.Mark(), ip, "expected an interval HH:MM-HH:MM");
          continue;
        }
        if (n.Scalar() == "closed") continue;
        auto iv = parse_interval(n.Scalar());
        if (!iv) {
          err(out, n.Mark(), ip, iv.error().message);
          continue;
        }
        for (std::size_t d = 0; d < 7; ++d) {
          if (((static_cast<unsigned>(*mask) >> d) & 1U) != 0) per_day[d].push_back({*iv, n.Mark(), n.Scalar(), ip});
        }
      }
    }
    // One error per overlapping pair of items, naming every weekday it hits.
    struct Overlap {
      const HourItem* here;
      const HourItem* other;
      std::string days;
    };
    std::vector<Overlap> overlaps;
    for (std::size_t d = 0; d < 7; ++d) {
      auto& items = per_day[d];
      std::stable_sort(items.begin(), items.end(),
                       [](const HourItem& a, const HourItem& b) { return a.iv.start_sec < b.iv.start_sec; });
      for (std::size_t i = 1; i < items.size(); ++i) {
        if (items[i].iv.start_sec >= items[i - 1].iv.end_sec) continue;
        // Report at whichever of the two comes later in the file.
        const bool later = items[i].mark.pos >= items[i - 1].mark.pos;
        const HourItem* here = later ? &items[i] : &items[i - 1];
        const HourItem* other = later ? &items[i - 1] : &items[i];
        auto it = std::find_if(overlaps.begin(), overlaps.end(), [&](const Overlap& o) {
          return o.here->path == here->path && o.other->path == other->path;
        });
        if (it == overlaps.end()) {
          overlaps.push_back({here, other, std::string(kWeekdayNames[d])});
        } else {
          it->days += ", " + std::string(kWeekdayNames[d]);
        }
      }
    }
    for (const auto& o : overlaps) {
      err(out, o.here->mark, o.here->path,
          "interval '" + o.here->text + "' overlaps '" + o.other->text + "' (" + o.other->path + ") on " + o.days);
    }
    for (std::size_t d = 0; d < 7; ++d) {
      for (const auto& item : per_day[d]) out.spec.hours[d].push_back(item.iv);
    }
  }

  std::optional<Weekday> one_weekday(Parsed& out, const YAML::Node& n, const std::string& path) {
    if (n.IsScalar()) {
      auto m = parse_weekdays(n.Scalar());
      if (m && std::has_single_bit(static_cast<unsigned>(*m))) {
        return static_cast<Weekday>(std::countr_zero(static_cast<unsigned>(*m)));
      }
      if (!m) {
        err(out, n.Mark(), path, m.error().message);
        return std::nullopt;
      }
    }
    err(out, n.Mark(), path, "expected one weekday (mon..sun), found " + describe(n));
    return std::nullopt;
  }

  static bool parse_date(const std::string& s, HolidayRule& r) {
    // "MM-DD" (every year) or "YYYY-MM-DD" (once).
    auto num = [&](std::size_t at, std::size_t len) -> int {
      if (at + len > s.size()) return -1;
      int v = 0;
      for (std::size_t i = at; i < at + len; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
      }
      return v;
    };
    if (s.size() == 5 && s[2] == '-') {
      r.kind = HolidayRule::Kind::kFixed;
      r.month = num(0, 2);
      r.day = num(3, 2);
      return r.month >= 1 && r.month <= 12 && r.day >= 1 && r.day <= detail::days_in_month(2000, r.month);
    }
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
      r.kind = HolidayRule::Kind::kOnce;
      r.year = num(0, 4);
      r.month = num(5, 2);
      r.day = num(8, 2);
      return r.year >= 1900 && r.year <= 2399 && r.month >= 1 && r.month <= 12 && r.day >= 1 &&
             r.day <= detail::days_in_month(r.year, r.month);
    }
    return false;
  }

  void parse_holidays(Parsed& out, const std::string& path, const YAML::Node& v) {
    if (v.IsNull()) return;
    if (!v.IsSequence()) {
      err(out, v.Mark(), path, "expected a list of holidays, found " + describe(v));
      return;
    }
    std::size_t idx = 0;
    for (const auto& h : v) {
      const std::string hp = path + "[" + std::to_string(idx++) + "]";
      HolidayRule r;
      if (h.IsScalar()) {
        if (!parse_date(h.Scalar(), r)) {
          err(out, h.Mark(), hp, "invalid date '" + h.Scalar() + "' (expected MM-DD or YYYY-MM-DD)");
        } else {
          out.spec.holidays.push_back(r);
        }
        continue;
      }
      if (!h.IsMap()) {
        err(out, h.Mark(), hp, "expected a holiday such as {name: \"New Year\", date: \"01-01\"}");
        continue;
      }
      bool ok = true;
      std::optional<YAML::Node> date, easter, nth, weekday, month, observed;
      for (auto it = h.begin(); it != h.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (k == "name") {
          r.name = it->second.IsScalar() ? it->second.Scalar() : "";
        } else if (k == "date") {
          date.emplace(it->second);
        } else if (k == "easter") {
          easter.emplace(it->second);
        } else if (k == "nth") {
          nth.emplace(it->second);
        } else if (k == "weekday") {
          weekday.emplace(it->second);
        } else if (k == "month") {
          month.emplace(it->second);
        } else if (k == "observed") {
          observed.emplace(it->second);
        } else {
          err(out, it->first.Mark(), hp + "." + k,
              "unknown key '" + k + "' (expected name, date, easter, nth, weekday, month, observed)");
          ok = false;
        }
      }
      const int kinds = (date ? 1 : 0) + (easter ? 1 : 0) + (nth || weekday || month ? 1 : 0);
      if (kinds != 1) {
        err(out, h.Mark(), hp,
            kinds == 0 ? "a holiday needs one of: date (MM-DD or YYYY-MM-DD), easter (days from Easter), "
                         "or nth + weekday + month"
                       : "a holiday takes only one of: date, easter, nth/weekday/month");
        continue;
      }
      if (date) {
        if (!(*date).IsScalar() || !parse_date((*date).Scalar(), r)) {
          err(out, (*date).Mark(), hp + ".date",
              "invalid date " + describe(*date) + " (expected MM-DD every year or YYYY-MM-DD once)");
          ok = false;
        }
      } else if (easter) {
        r.kind = HolidayRule::Kind::kEaster;
        auto n = (*easter).IsScalar() ? to_int((*easter).Scalar()) : std::nullopt;
        if (!n || *n < -200 || *n > 200) {
          err(out, (*easter).Mark(), hp + ".easter",
              "expected days from Easter Sunday in -200..200 (e.g. -2 for Good Friday), found " + describe(*easter));
          ok = false;
        } else {
          r.offset_days = static_cast<int>(*n);
        }
      } else {
        r.kind = HolidayRule::Kind::kNthWeekday;
        if (!nth || !weekday || !month) {
          err(out, h.Mark(), hp, std::string("an nth-weekday holiday needs nth, weekday and month; missing ") +
                                     (!nth ? "nth" : !weekday ? "weekday" : "month"));
          continue;
        }
        if ((*nth).IsScalar() && (*nth).Scalar() == "last") {
          r.nth = -1;
        } else if (auto n = (*nth).IsScalar() ? to_int((*nth).Scalar()) : std::nullopt; n && *n >= 1 && *n <= 5) {
          r.nth = static_cast<int>(*n);
        } else {
          err(out, (*nth).Mark(), hp + ".nth", "expected 1..5 or last, found " + describe(*nth));
          ok = false;
        }
        if (auto wd = one_weekday(out, *weekday, hp + ".weekday")) {
          r.weekday = *wd;
        } else {
          ok = false;
        }
        const int m = (*month).IsScalar() ? month_index((*month).Scalar()) : 0;
        if (m == 0) {
          err(out, (*month).Mark(), hp + ".month", "expected a month 1..12 or jan..dec, found " + describe(*month));
          ok = false;
        }
        r.month = m;
      }
      if (observed) {
        if ((*observed).IsScalar() && (*observed).Scalar() == "nearest_weekday") {
          r.observed_nearest_weekday = true;
        } else if (!((*observed).IsScalar() && ((*observed).Scalar() == "none" || (*observed).Scalar() == "false"))) {
          err(out, (*observed).Mark(), hp + ".observed", "expected nearest_weekday or none, found " + describe(*observed));
          ok = false;
        }
      }
      if (ok) out.spec.holidays.push_back(r);
    }
  }

  void parse_closures(Parsed& out, const std::string& path, const YAML::Node& v) {
    if (v.IsNull()) return;
    if (!v.IsSequence()) {
      err(out, v.Mark(), path, "expected a list such as [{weekday: sun, hours: \"02:00-04:00\"}]");
      return;
    }
    std::size_t idx = 0;
    for (const auto& c : v) {
      const std::string cp = path + "[" + std::to_string(idx++) + "]";
      if (!c.IsMap()) {
        err(out, c.Mark(), cp, "expected {weekday: sun, hours: \"02:00-04:00\"}");
        continue;
      }
      std::optional<YAML::Node> wd_opt, hours_opt;
      bool ok = true;
      for (auto it = c.begin(); it != c.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (k == "weekday" || k == "weekdays" || k == "days") {
          wd_opt.emplace(it->second);
        } else if (k == "hours") {
          hours_opt.emplace(it->second);
        } else if (k != "name") {
          err(out, it->first.Mark(), cp + "." + k, "unknown key '" + k + "' (expected weekday, hours, name)");
          ok = false;
        }
      }
      if (!wd_opt || !hours_opt) {
        err(out, c.Mark(), cp, std::string("a closure needs weekday and hours; missing ") + (!wd_opt ? "weekday" : "hours"));
        continue;
      }
      const YAML::Node& wd = *wd_opt;
      const YAML::Node& hours = *hours_opt;
      auto mask = wd.IsScalar() ? parse_weekdays(wd.Scalar())
                                : sla::Result<std::uint8_t>(sla::fail(ErrorCode::kInvalidArgument, "expected weekdays such as sun or sat,sun"));
      if (!mask) {
        err(out, wd.Mark(), cp + ".weekday", mask.error().message);
        ok = false;
      }
      std::vector<LocalInterval> ivs;
      for (const auto& n : scalar_items(hours)) {
        auto iv = n.IsScalar() ? parse_interval(n.Scalar())
                               : sla::Result<LocalInterval>(sla::fail(ErrorCode::kInvalidArgument, "expected HH:MM-HH:MM"));
        if (!iv) {
          err(out, n.Mark(), cp + ".hours", iv.error().message);
          ok = false;
        } else {
          ivs.push_back(*iv);
        }
      }
      if (!hours.IsScalar() && !hours.IsSequence()) {
        err(out, hours.Mark(), cp + ".hours", "expected HH:MM-HH:MM");
        ok = false;
      }
      if (!ok) continue;
      for (std::size_t d = 0; d < 7; ++d) {
        if (((static_cast<unsigned>(*mask) >> d) & 1U) != 0) {
          for (const auto& iv : ivs) out.spec.closures.push_back({static_cast<Weekday>(d), iv});
        }
      }
    }
  }

  void parse_ics(Parsed& out, const std::string& path, const YAML::Node& v) {
    if (!v.IsScalar() && !v.IsSequence()) {
      err(out, v.Mark(), path, "expected a file name or a list of file names");
      return;
    }
    for (const auto& n : scalar_items(v)) {
      if (!n.IsScalar()) {
        err(out, n.Mark(), path, "expected a file name");
        continue;
      }
      if (!ctx_.opts.read_file) {
        err(out, n.Mark(), path, "cannot read '" + n.Scalar() + "': no file reader configured");
        continue;
      }
      auto text = ctx_.opts.read_file(n.Scalar());
      if (!text) {
        err(out, n.Mark(), path, "cannot read '" + n.Scalar() + "': " + text.error().message);
        continue;
      }
      auto dates = detail::parse_ics_dates(*text);
      if (!dates) {
        err(out, n.Mark(), path, "bad iCalendar file '" + n.Scalar() + "': " + dates.error().message);
        continue;
      }
      out.spec.extra_holiday_dates.insert(out.spec.extra_holiday_dates.end(), dates->begin(), dates->end());
    }
  }

  Ctx& ctx_;
};

/// Adds the holidays of everything `name` includes (transitively) to `into`.
/// Unknown names are reported at the include naming them directly; a cycle
/// back to the calendar being resolved is reported at that calendar's own
/// include (`via`) that leads into it.
void resolve_includes(const std::string& name, std::map<std::string, Parsed>& all, std::vector<std::string>& stack,
                      std::set<std::string>& seen, CalendarSpec& into, Ctx& ctx, bool& ok,
                      const IncludeRef* via) {
  const Parsed& p = all.at(name);
  stack.push_back(name);
  for (const auto& inc : p.includes) {
    const IncludeRef* root_ref = stack.size() == 1 ? &inc : via;
    if (inc.name == "24x7") continue;  // no holidays
    auto it = all.find(inc.name);
    if (it == all.end()) {
      if (stack.size() == 1) ctx.error(inc.mark, inc.path, "unknown calendar '" + inc.name + "'");
      ok = false;
      continue;
    }
    if (std::find(stack.begin(), stack.end(), inc.name) != stack.end()) {
      if (inc.name == stack.front()) {
        std::string chain;
        for (const auto& s : stack) chain += s + " -> ";
        ctx.error(root_ref->mark, root_ref->path, "include cycle: " + chain + inc.name);
      }
      ok = false;
      continue;
    }
    if (!seen.insert(inc.name).second) continue;  // diamond: already merged
    const CalendarSpec& other = it->second.spec;
    into.holidays.insert(into.holidays.end(), other.holidays.begin(), other.holidays.end());
    into.extra_holiday_dates.insert(into.extra_holiday_dates.end(), other.extra_holiday_dates.begin(),
                                    other.extra_holiday_dates.end());
    resolve_includes(inc.name, all, stack, seen, into, ctx, ok, root_ref);
  }
  stack.pop_back();
}

}  // namespace

std::shared_ptr<const CalendarSet> load_calendars(const YAML::Node& calendars, const LoadOptions& opts,
                                                  std::vector<LoadError>& errors) {
  Ctx ctx{opts, errors};
  const std::size_t before = errors.size();
  auto set = std::make_shared<CalendarSet>();
  try {
    if (!calendars || calendars.IsNull()) return set;
    if (!calendars.IsMap()) {
      ctx.error(calendars.Mark(), "calendars", "expected a mapping of calendar names to definitions");
      return nullptr;
    }
    Loader loader(ctx);
    std::map<std::string, Parsed> all;
    for (auto it = calendars.begin(); it != calendars.end(); ++it) {
      const std::string name = it->first.Scalar();
      if (name == "24x7") {
        ctx.error(it->first.Mark(), "calendars.24x7", "'24x7' is built in and cannot be redefined");
        continue;
      }
      if (all.count(name) != 0) {
        ctx.error(it->first.Mark(), "calendars." + name, "calendar defined twice");
        continue;
      }
      all.emplace(name, loader.parse_calendar(name, it->first, it->second));
    }
    for (auto& [name, parsed] : all) {
      CalendarSpec spec = parsed.spec;
      std::vector<std::string> stack;
      std::set<std::string> seen;
      bool ok = parsed.ok;
      resolve_includes(name, all, stack, seen, spec, ctx, ok, nullptr);
      if (!ok || errors.size() != before) continue;
      auto cal = Calendar::build(std::move(spec));
      if (!cal) {
        ctx.error(parsed.mark, "calendars." + name, cal.error().message);
        continue;
      }
      set->add(std::move(*cal));
    }
  } catch (const YAML::Exception& e) {
    ctx.error(e.mark, "calendars", e.msg);
  }
  if (errors.size() != before) return nullptr;
  return set;
}

std::shared_ptr<const CalendarSet> load_calendars_from_text(std::string_view yaml_text, const LoadOptions& opts,
                                                            std::vector<LoadError>& errors) {
  Ctx ctx{opts, errors};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    ctx.error(e.mark, "", "invalid YAML: " + e.msg);
    return nullptr;
  }
  if (!root || root.IsNull()) return std::make_shared<CalendarSet>();
  if (!root.IsMap()) {
    ctx.error(root.Mark(), "", "expected a mapping at the top level (version, calendars, ...)");
    return nullptr;
  }
  const std::size_t before = errors.size();
  if (const YAML::Node v = root["version"]; v && !(v.IsScalar() && v.Scalar() == "1")) {
    ctx.error(v.Mark(), "version", "unsupported version " + describe(v) + " (expected 1)");
  }
  auto set = load_calendars(root["calendars"], opts, errors);
  if (errors.size() != before) return nullptr;
  return set;
}

std::string format(const LoadError& e) {
  std::string out = e.file.empty() ? "<input>" : e.file;
  if (e.line > 0) out += ":" + std::to_string(e.line) + ":" + std::to_string(e.column);
  return out + ": " + e.message;
}

}  // namespace sla::calendar
