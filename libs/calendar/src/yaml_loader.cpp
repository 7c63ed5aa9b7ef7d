// YAML -> CalendarSpec -> Calendar. Every problem is recorded through the
// shared YAML reader (sla::yaml) with the position of the offending key or
// value; parsing goes on so one run reports them all.
#include "sla/calendar/yaml_loader.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <optional>
#include <set>

#include <absl/time/time.h>

#include "civil.hpp"
#include "ics.hpp"

namespace sla::calendar {
namespace {

constexpr std::string_view kWeekdayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

struct Ctx {
  const LoadOptions& opts;
  sla::yaml::Reader& reader;

  /// "path: what" at `m` (the marks are the loader's own: a key, a value, an item).
  void error(const YAML::Mark& m, const std::string& path, const std::string& what) {
    reader.error_at(m, path.empty() ? what : path + ": " + what);
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

/// A whole number of a scalar node within [lo, hi], or nothing (the caller
/// words the error: its messages name the range in the user's terms).
std::optional<std::int64_t> int_in(const YAML::Node& n, std::int64_t lo, std::int64_t hi) {
  if (!n.IsScalar()) return std::nullopt;
  auto v = sla::yaml::parse_integer(n.Scalar(), lo, hi);
  if (!v) return std::nullopt;
  return *v;
}

/// What a node is, for "found ..." messages: a scalar as its quoted text.
std::string describe(const YAML::Node& n) {
  return n.IsScalar() ? "'" + n.Scalar() + "'" : sla::yaml::kind_name(n);
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
  if (auto v = sla::yaml::parse_integer(s, 1, 12)) return static_cast<int>(*v);
  return 0;
}

/// A relative path with no ".." component: it names a file under the
/// policy's own folder (the reader resolves it against that folder).
bool inside_policy_folder(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (path.substr(0, slash) == "..") return false;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return true;
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
        } else if (auto zone = check_time_zone_name(v.Scalar()); !zone) {
          err(out, v.Mark(), path, zone.error().message);
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
    for (const auto& h : v) parse_holiday(out, path + "[" + std::to_string(idx++) + "]", h);
  }

  /// The keys of one holiday map (each optional).
  struct HolidayKeys {
    std::optional<YAML::Node> date, easter, nth, weekday, month, observed;
  };

  /// One entry of `holidays:`: a date scalar or a rule map. Appended to the
  /// spec only when it has no error.
  void parse_holiday(Parsed& out, const std::string& hp, const YAML::Node& h) {
    HolidayRule r;
    if (h.IsScalar()) {
      if (!parse_date(h.Scalar(), r)) {
        err(out, h.Mark(), hp, "invalid date '" + h.Scalar() + "' (expected MM-DD or YYYY-MM-DD)");
      } else {
        out.spec.holidays.push_back(r);
      }
      return;
    }
    if (!h.IsMap()) {
      err(out, h.Mark(), hp, "expected a holiday such as {name: \"New Year\", date: \"01-01\"}");
      return;
    }
    HolidayKeys k;
    bool ok = holiday_keys(out, hp, h, r, k);
    const int kinds = (k.date ? 1 : 0) + (k.easter ? 1 : 0) + (k.nth || k.weekday || k.month ? 1 : 0);
    if (kinds != 1) {
      err(out, h.Mark(), hp,
          kinds == 0 ? "a holiday needs one of: date (MM-DD or YYYY-MM-DD), easter (days from Easter), "
                       "or nth + weekday + month"
                     : "a holiday takes only one of: date, easter, nth/weekday/month");
      return;
    }
    if (k.date) {
      if (!(*k.date).IsScalar() || !parse_date((*k.date).Scalar(), r)) {
        err(out, (*k.date).Mark(), hp + ".date",
            "invalid date " + describe(*k.date) + " (expected MM-DD every year or YYYY-MM-DD once)");
        ok = false;
      }
    } else if (k.easter) {
      ok = easter_rule(out, hp, *k.easter, r) && ok;
    } else {
      r.kind = HolidayRule::Kind::kNthWeekday;
      if (!k.nth || !k.weekday || !k.month) {
        err(out, h.Mark(), hp, std::string("an nth-weekday holiday needs nth, weekday and month; missing ") +
                                   (!k.nth ? "nth" : !k.weekday ? "weekday" : "month"));
        return;
      }
      ok = nth_weekday_rule(out, hp, k, r) && ok;
    }
    if (k.observed) ok = observed_rule(out, hp, *k.observed, r) && ok;
    if (ok) out.spec.holidays.push_back(r);
  }

  /// Sorts a holiday map's keys into `k` (and its name into `r`); false after
  /// reporting an unknown key.
  bool holiday_keys(Parsed& out, const std::string& hp, const YAML::Node& h, HolidayRule& r, HolidayKeys& k) {
    bool ok = true;
    for (auto it = h.begin(); it != h.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (key == "name") {
        r.name = it->second.IsScalar() ? it->second.Scalar() : "";
      } else if (key == "date") {
        k.date.emplace(it->second);
      } else if (key == "easter") {
        k.easter.emplace(it->second);
      } else if (key == "nth") {
        k.nth.emplace(it->second);
      } else if (key == "weekday") {
        k.weekday.emplace(it->second);
      } else if (key == "month") {
        k.month.emplace(it->second);
      } else if (key == "observed") {
        k.observed.emplace(it->second);
      } else {
        err(out, it->first.Mark(), hp + "." + key,
            "unknown key '" + key + "' (expected name, date, easter, nth, weekday, month, observed)");
        ok = false;
      }
    }
    return ok;
  }

  /// `easter: N` (days from Easter Sunday); false after reporting an error.
  bool easter_rule(Parsed& out, const std::string& hp, const YAML::Node& easter, HolidayRule& r) {
    r.kind = HolidayRule::Kind::kEaster;
    const auto n = int_in(easter, -200, 200);
    if (!n) {
      err(out, easter.Mark(), hp + ".easter",
          "expected days from Easter Sunday in -200..200 (e.g. -2 for Good Friday), found " + describe(easter));
      return false;
    }
    r.offset_days = static_cast<int>(*n);
    return true;
  }

  /// `nth` + `weekday` + `month` (all present); false after reporting any error.
  bool nth_weekday_rule(Parsed& out, const std::string& hp, const HolidayKeys& k, HolidayRule& r) {
    bool ok = true;
    if ((*k.nth).IsScalar() && (*k.nth).Scalar() == "last") {
      r.nth = -1;
    } else if (const auto n = int_in(*k.nth, 1, 5)) {
      r.nth = static_cast<int>(*n);
    } else {
      err(out, (*k.nth).Mark(), hp + ".nth", "expected 1..5 or last, found " + describe(*k.nth));
      ok = false;
    }
    if (auto wd = one_weekday(out, *k.weekday, hp + ".weekday")) {
      r.weekday = *wd;
    } else {
      ok = false;
    }
    const int m = (*k.month).IsScalar() ? month_index((*k.month).Scalar()) : 0;
    if (m == 0) {
      err(out, (*k.month).Mark(), hp + ".month", "expected a month 1..12 or jan..dec, found " + describe(*k.month));
      ok = false;
    }
    r.month = m;
    return ok;
  }

  /// `observed: nearest_weekday | none | false`; false after reporting an error.
  bool observed_rule(Parsed& out, const std::string& hp, const YAML::Node& observed, HolidayRule& r) {
    if (observed.IsScalar() && observed.Scalar() == "nearest_weekday") {
      r.observed_nearest_weekday = true;
    } else if (!(observed.IsScalar() && (observed.Scalar() == "none" || observed.Scalar() == "false"))) {
      err(out, observed.Mark(), hp + ".observed", "expected nearest_weekday or none, found " + describe(observed));
      return false;
    }
    return true;
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
      if (!ctx_.opts.allow_files) {
        err(out, n.Mark(), path,
            "cannot read '" + n.Scalar() + "': ICS files are only read for a policy loaded from its own folder, "
            "not for one sent to the service");
        continue;
      }
      if (!inside_policy_folder(n.Scalar())) {
        err(out, n.Mark(), path,
            "'" + n.Scalar() + "' must be a path relative to the policy's folder (no leading '/', no '..')");
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

/// The most holiday entries (rules and dates) copied into calendars through
/// `include:`, summed over all calendars of a policy: a bound on the memory
/// and time a policy's includes may cost (a legitimate policy copies a few
/// thousand), so that a long include chain with holidays at every link is a
/// load error, not minutes of work.
constexpr std::size_t kMaxIncludedHolidays = 500'000;
/// A cycle longer than this is named by its first names and the last.
constexpr std::size_t kMaxCycleNames = 10;

/// Resolves `include:` for every calendar at once in time linear in the
/// number of calendars, includes and copied holidays: one depth-first walk
/// (white/grey/black) finds unknown names and cycles, and each calendar's
/// inherited holidays are merged once, when it is finished, from its direct
/// includes' own and already-merged lists. A calendar that includes an
/// unknown name or reaches a cycle is not built; the errors are reported at
/// the include naming the unknown calendar and, for each calendar on a
/// cycle, at its include leading round it.
class IncludeResolver {
 public:
  IncludeResolver(std::map<std::string, Parsed>& all, Ctx& ctx) : ctx_(ctx) {
    for (auto& [name, parsed] : all) {
      index_.emplace(name, nodes_.size());
      Node n;
      n.name = &name;
      n.parsed = &parsed;
      nodes_.push_back(std::move(n));
    }
    for (auto& n : nodes_) {
      for (const auto& inc : n.parsed->includes) {
        if (inc.name == "24x7") {
          n.edges.push_back(kNoHolidays);
        } else if (auto it = index_.find(inc.name); it != index_.end()) {
          n.edges.push_back(it->second);
        } else {
          ctx_.error(inc.mark, inc.path, "unknown calendar '" + inc.name + "'");
          n.edges.push_back(kUnknown);
        }
      }
    }
  }

  /// Walks every calendar; afterwards bad(name) says whether it may be built
  /// and merge_into adds its inherited holidays to a spec.
  void run() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].color == Color::kWhite) walk(i);
    }
  }

  [[nodiscard]] bool bad(const std::string& name) const { return nodes_[index_.at(name)].bad; }

  void merge_into(const std::string& name, CalendarSpec& into) const {
    for (const std::size_t src : nodes_[index_.at(name)].sources) {
      const CalendarSpec& other = nodes_[src].parsed->spec;
      into.holidays.insert(into.holidays.end(), other.holidays.begin(), other.holidays.end());
      into.extra_holiday_dates.insert(into.extra_holiday_dates.end(), other.extra_holiday_dates.begin(),
                                      other.extra_holiday_dates.end());
    }
  }

 private:
  static constexpr std::size_t kNoHolidays = static_cast<std::size_t>(-1);  // 24x7
  static constexpr std::size_t kUnknown = static_cast<std::size_t>(-2);
  enum class Color : std::uint8_t { kWhite, kGrey, kBlack };

  struct Node {
    const std::string* name = nullptr;
    Parsed* parsed = nullptr;
    std::vector<std::size_t> edges;    // per include, in order
    std::vector<std::size_t> sources;  // calendars whose own holidays it inherits, each once
    Color color = Color::kWhite;
    bool bad = false;
    bool on_reported_cycle = false;
    std::size_t stamp = static_cast<std::size_t>(-1);  // last node whose sources listed this one
  };
  struct Frame {
    std::size_t node;
    std::size_t edge;  // the include being followed
  };

  [[nodiscard]] std::size_t own_holidays(std::size_t i) const {
    const CalendarSpec& s = nodes_[i].parsed->spec;
    return s.holidays.size() + s.extra_holiday_dates.size();
  }

  void walk(std::size_t root) {
    std::vector<Frame> stack{{root, 0}};
    nodes_[root].color = Color::kGrey;
    while (!stack.empty()) {
      Frame& f = stack.back();
      Node& u = nodes_[f.node];
      if (f.edge == u.edges.size()) {
        finish(f.node);
        stack.pop_back();
        if (!stack.empty()) {
          nodes_[stack.back().node].bad |= u.bad;
          ++stack.back().edge;
        }
        continue;
      }
      const std::size_t v = u.edges[f.edge];
      if (v == kNoHolidays) {
        ++f.edge;
      } else if (v == kUnknown) {
        u.bad = true;
        ++f.edge;
      } else if (nodes_[v].color == Color::kGrey) {
        u.bad = true;
        report_cycle(stack, v);
        ++f.edge;
      } else if (nodes_[v].color == Color::kBlack) {
        u.bad |= nodes_[v].bad;
        ++f.edge;
      } else {
        nodes_[v].color = Color::kGrey;
        stack.push_back({v, 0});  // `f` and `u` are not used past this point
      }
    }
  }

  /// `stack` from the frame of `v` to its top is a cycle back to `v`. Each
  /// calendar on it gets one error at its include leading round the cycle,
  /// unless a cycle through `v` was already reported.
  void report_cycle(const std::vector<Frame>& stack, std::size_t v) {
    if (nodes_[v].on_reported_cycle) return;
    std::size_t first = stack.size() - 1;
    while (stack[first].node != v) --first;
    const std::size_t len = stack.size() - first;
    for (std::size_t k = 0; k < len; ++k) {
      const Frame& at = stack[first + k];
      Node& n = nodes_[at.node];
      n.on_reported_cycle = true;
      std::string chain;
      for (std::size_t j = 0; j < std::min(len, kMaxCycleNames); ++j) {
        chain += *nodes_[stack[first + (k + j) % len].node].name + " -> ";
      }
      if (len > kMaxCycleNames) chain += "... (" + std::to_string(len - kMaxCycleNames) + " more) -> ";
      const IncludeRef& ref = n.parsed->includes[at.edge];
      ctx_.error(ref.mark, ref.path, "include cycle: " + chain + *n.name);
    }
  }

  /// Lists the calendars whose holidays `i` inherits: each direct include,
  /// then what it inherits, each calendar once (diamonds), in include order.
  void finish(std::size_t i) {
    Node& u = nodes_[i];
    u.color = Color::kBlack;
    if (u.bad) return;
    if (over_budget_) {  // reported once; the rest are not built either
      u.bad = true;
      return;
    }
    auto add = [&](std::size_t src) {
      if (nodes_[src].stamp == i || own_holidays(src) == 0) return;
      nodes_[src].stamp = i;
      u.sources.push_back(src);
      copied_ += own_holidays(src);
    };
    for (const std::size_t v : u.edges) {
      if (v == kNoHolidays) continue;
      add(v);
      for (const std::size_t src : nodes_[v].sources) add(src);
      if (copied_ > kMaxIncludedHolidays) {
        const IncludeRef& ref = u.parsed->includes.front();
        ctx_.error(ref.mark, ref.path,
                   "the calendars' includes copy more than " + std::to_string(kMaxIncludedHolidays) +
                       " holidays in all; include fewer calendars or share fewer holidays");
        u.bad = true;
        u.sources.clear();
        over_budget_ = true;
        return;
      }
    }
  }

  Ctx& ctx_;
  std::vector<Node> nodes_;
  std::map<std::string_view, std::size_t> index_;
  std::size_t copied_ = 0;
  bool over_budget_ = false;
};

}  // namespace

namespace {

std::shared_ptr<const CalendarSet> load(const YAML::Node& calendars, Ctx& ctx) {
  const std::size_t before = ctx.reader.error_count();
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
    IncludeResolver includes(all, ctx);
    includes.run();
    for (auto& [name, parsed] : all) {
      if (!parsed.ok || includes.bad(name) || ctx.reader.error_count() != before) continue;
      CalendarSpec spec = parsed.spec;
      includes.merge_into(name, spec);
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
  if (ctx.reader.error_count() != before) return nullptr;
  return set;
}

/// Appends the reader's errors, in the order found, to the caller's list.
void hand_over(const sla::yaml::Reader& reader, std::vector<LoadError>& errors) {
  errors.insert(errors.end(), reader.errors().begin(), reader.errors().end());
}

}  // namespace

std::shared_ptr<const CalendarSet> load_calendars(const YAML::Node& calendars, const LoadOptions& opts,
                                                  std::vector<LoadError>& errors) {
  sla::yaml::Reader reader(opts.file);
  Ctx ctx{opts, reader};
  auto set = load(calendars, ctx);
  hand_over(reader, errors);
  return set;
}

std::shared_ptr<const CalendarSet> load_calendars_from_text(std::string_view yaml_text, const LoadOptions& opts,
                                                            std::vector<LoadError>& errors) {
  sla::yaml::Reader reader(opts.file);
  Ctx ctx{opts, reader};
  std::shared_ptr<const CalendarSet> set;
  const YAML::Node root = reader.parse(yaml_text, "invalid YAML: ");
  if (reader.error_count() != 0) {
    // a syntax error, already recorded
  } else if (!root || root.IsNull()) {
    set = std::make_shared<CalendarSet>();
  } else if (!root.IsMap()) {
    ctx.error(root.Mark(), "", "expected a mapping at the top level (version, calendars, ...)");
  } else {
    if (const YAML::Node v = root["version"]; v && !(v.IsScalar() && v.Scalar() == "1")) {
      ctx.error(v.Mark(), "version", "unsupported version " + describe(v) + " (expected 1)");
    }
    set = load(root["calendars"], ctx);
    if (reader.error_count() != 0) set = nullptr;
  }
  hand_over(reader, errors);
  return set;
}

}  // namespace sla::calendar
