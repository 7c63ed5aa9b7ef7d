// Fuzz target for calendar arithmetic (SPEC 8). The input builds a calendar
// (time zone from a list with odd offsets and DST rules, weekly hours with
// overnight intervals, holiday rules of every kind, extra dates, closures,
// a day length), then the rest of the bytes pick instants (mostly 2024..2028,
// sometimes around the ends of the supported range, 1900 and 2400) and
// counted durations, and
// add/elapsed/next_open/next_close/is_open/closed_reason are checked against
// each other. Invariants: never crashes; a spec is built or refused with a
// message; add(t, d) is the earliest instant with elapsed(t, .) == d; elapsed
// is additive, at most the wall time, and 0 up to next_open; open all the way
// to next_close.
// LLVMFuzzerTestOneInput works with libFuzzer (the `fuzz` preset); without it
// main() is the corpus runner (sla/testing/fuzz_main.hpp): it replays the
// committed corpus, and loads the seed policies' calendars from YAML (plus
// mutations of them) and probes those the same way.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "sla/calendar/calendar.hpp"
#include "sla/calendar/yaml_loader.hpp"
#include "sla/testing/fuzz_main.hpp"

namespace {

using sla::testing::fuzz_require;

namespace cal = sla::calendar;
using sla::EpochMillis;

/// Takes bytes from the front of the input; zeros once it is used up.
struct Reader {
  std::string_view in;
  std::uint64_t take(unsigned bytes) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < bytes; ++i) {
      v = (v << 8) | (in.empty() ? 0U : static_cast<unsigned char>(in[0]));
      if (!in.empty()) in.remove_prefix(1);
    }
    return v;
  }
  std::int64_t range(std::int64_t lo, std::int64_t hi, unsigned bytes) {  // [lo, hi]
    return lo + static_cast<std::int64_t>(take(bytes) % static_cast<std::uint64_t>(hi - lo + 1));
  }
};

constexpr EpochMillis kDay = 86'400'000;
constexpr EpochMillis k2024 = 1'704'067'200'000;     // 2024-01-01T00:00:00Z
constexpr EpochMillis kMin1900 = -2'208'988'800'000;  // 1900-01-01T00:00:00Z

void probe_pair(const cal::Calendar& c, EpochMillis t, std::int64_t d, EpochMillis u) {
  const EpochMillis due = c.add(t, d);
  fuzz_require(due >= t, "add(t, d) >= t");
  if (due < cal::Calendar::kMaxInstant) {
    fuzz_require(c.elapsed(t, due) == d, "elapsed(t, add(t, d)) == d");
    if (d > 0) fuzz_require(c.elapsed(t, due - 1) < d, "add is the earliest instant");
    fuzz_require(c.add(t, d / 2) <= due, "add is monotonic in the count");
  }
  const EpochMillis open = c.next_open(t);
  fuzz_require(open >= t, "next_open(t) >= t");
  if (open < cal::Calendar::kMaxInstant) fuzz_require(c.is_open(open), "is_open(next_open(t))");
  if (t < cal::Calendar::kMaxInstant) fuzz_require(c.is_open(t) == (open == t), "is_open(t) iff next_open(t) == t");
  fuzz_require(c.elapsed(t, open) == 0, "no open time before next_open");
  const EpochMillis close = c.next_close(t);
  fuzz_require(close >= t, "next_close(t) >= t");
  if (close < cal::Calendar::kMaxInstant) fuzz_require(!c.is_open(close), "!is_open(next_close(t))");
  fuzz_require(c.elapsed(t, close) == close - t, "open all the way to next_close");
  fuzz_require((c.closed_reason(t) == cal::Calendar::ClosedReason::kOpen) == c.is_open(t), "closed_reason agrees");
  const EpochMillis a = std::min(t, u);
  const EpochMillis b = std::max(t, u);
  const EpochMillis mid = a + (b - a) / 2;
  const std::int64_t whole = c.elapsed(a, b);
  fuzz_require(whole >= 0 && whole <= b - a, "0 <= elapsed(a, b) <= b - a");
  fuzz_require(c.elapsed(a, mid) + c.elapsed(mid, b) == whole, "elapsed is additive");
  fuzz_require(c.elapsed(b, a) == 0, "elapsed of a reversed range is 0");
  const EpochMillis nbd = c.add(t, cal::Duration::nbd());
  if (t < cal::Calendar::kMaxInstant) fuzz_require(nbd > t, "nbd after start");
}

/// Where one input's probes fall. Each UTC year a probe touches is built on
/// first use (about a millisecond under the sanitizers, most of a run's
/// time), so an input's probes share one window: mostly a 120-day stretch
/// somewhere in 2024..2028, now and then the two years around either end of
/// the supported range (1900, 2400), where clamping and kMaxInstant apply.
struct Window {
  EpochMillis from = 0;
  std::int64_t span = 0;
};

Window pick_window(Reader& r) {
  switch (r.take(1) % 16) {
    case 0: return {kMin1900 - 2 * 365 * kDay, 4 * 365 * kDay};
    case 1: return {cal::Calendar::kMaxInstant - 2 * 365 * kDay, 3 * 365 * kDay};
    default: return {k2024 + r.range(0, 5 * 365 * kDay, 6), 120 * kDay};
  }
}

/// Probes `c` `rounds` times. Counts go up to `max_count` of business time
/// (20 days, or about six weeks of a sparse calendar's hours: a count of 20
/// days on 15 minutes a week spans decades, each year built for it).
void probe(const cal::Calendar& c, Reader& r, int rounds, std::int64_t max_count = 20 * kDay) {
  const Window w = pick_window(r);
  for (int i = 0; i < rounds; ++i) {
    const EpochMillis t = w.from + r.range(0, w.span, 6);
    const std::int64_t d = r.take(1) % 4 == 0 ? r.range(0, 1000, 2) : r.range(0, max_count, 5);
    probe_pair(c, t, d, t + r.range(-40 * kDay, 40 * kDay, 5));
  }
}

constexpr std::array<std::string_view, 12> kZones = {
    "UTC",           "Europe/Warsaw",  "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",  "Pacific/Chatham",
    "America/Sao_Paulo", "Africa/Casablanca", "Pacific/Apia", "Asia/Tehran", "America/St_Johns", "Etc/GMT+12"};

cal::LocalInterval read_interval(Reader& r, std::int32_t from) {
  const std::int32_t start = std::min<std::int32_t>(86'399, from + static_cast<std::int32_t>(r.range(0, 43'200, 3)));
  // Mostly quarter hours; now and then any second, overnight, or 24:00.
  const auto len = static_cast<std::int32_t>(r.take(1) % 4 == 0 ? r.range(1, 86'400, 3) : r.range(1, 64, 1) * 900);
  return {start, std::min(start + len, start + 86'400)};
}

cal::HolidayRule read_holiday(Reader& r) {
  cal::HolidayRule h;
  h.kind = static_cast<cal::HolidayRule::Kind>(r.take(1) % 4);
  h.name = "h";
  h.year = static_cast<int>(r.range(1995, 2045, 1));
  h.month = static_cast<int>(r.range(1, 12, 1));
  h.day = static_cast<int>(r.range(1, 31, 1));
  h.offset_days = static_cast<int>(r.range(-70, 70, 1));
  h.nth = static_cast<int>(r.range(-1, 5, 1));
  h.weekday = static_cast<cal::Weekday>(r.take(1) % 7);
  h.observed_nearest_weekday = (r.take(1) & 1U) != 0;
  return h;
}

cal::CalendarSpec read_spec(Reader& r) {
  cal::CalendarSpec spec;
  spec.name = "fuzz";
  spec.timezone = std::string(kZones[r.take(1) % kZones.size()]);
  for (auto& day : spec.hours) {
    std::int32_t from = 0;
    for (auto n = r.take(1) % 4; n > 0 && from < 86'400; --n) {
      day.push_back(read_interval(r, from));
      from = day.back().end_sec + static_cast<std::int32_t>(r.range(0, 3, 1)) * 900;
    }
  }
  for (auto n = r.take(1) % 5; n > 0; --n) spec.holidays.push_back(read_holiday(r));
  for (auto n = r.take(1) % 4; n > 0; --n) {
    spec.extra_holiday_dates.push_back(
        {static_cast<int>(r.range(2023, 2029, 1)), static_cast<int>(r.range(1, 12, 1)), static_cast<int>(r.range(1, 31, 1))});
  }
  for (auto n = r.take(1) % 3; n > 0; --n) {
    const auto wd = static_cast<cal::Weekday>(r.take(1) % 7);
    spec.closures.push_back({wd, read_interval(r, 0)});
  }
  if (r.take(1) % 4 == 0) spec.day_length_millis = r.range(1, 86'400, 3) * 1000;
  return spec;
}

/// The libFuzzer target: a calendar from the bytes, probed; the built-in
/// 24x7 calendar is probed at the same instants.
void check(std::string_view bytes) {
  Reader r{bytes};
  cal::CalendarSpec spec = read_spec(r);
  std::int64_t weekly = 0;  // open ms in a week by the hours alone
  for (const auto& day : spec.hours) {
    for (const auto& iv : day) weekly += std::int64_t{iv.end_sec - iv.start_sec} * 1000;
  }
  auto built = cal::Calendar::build(std::move(spec));
  Reader same = r;
  probe(*cal::Calendar::always_open_calendar(), same, 4);
  if (!built) {
    fuzz_require(!built.error().message.empty(), "a refused spec says why");
    return;
  }
  probe(**built, r, 4, std::clamp<std::int64_t>(6 * weekly, 1000, 20 * kDay));
}

/// The corpus runner's seed mode: YAML calendars (the seed policies),
/// probed at instants derived from the text.
[[maybe_unused]] void check_yaml(std::string_view text) {
  cal::LoadOptions opts;
  opts.file = "fuzz.yaml";
  opts.allow_files = false;
  std::vector<cal::LoadError> errors;
  auto set = cal::load_calendars_from_text(text, opts, errors);
  fuzz_require((set == nullptr) == !errors.empty(), "set iff no errors");
  for (const auto& e : errors) fuzz_require(!e.message.empty(), "error has a message");
  if (auto d = cal::parse_duration(text); d) {
    fuzz_require(cal::parse_duration(cal::to_string(*d)).value() == *d, "round trip");
  }
  if (!set) return;
  for (const auto& name : set->names()) {
    Reader r{text};
    probe(*set->find(name), r, 4);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifndef SLA_LIBFUZZER
int main(int argc, char** argv) {
  return sla::testing::run_fuzz_corpus("calendar_fuzz", argc, argv, check, 200, "0123456789:-,[]{}\"' \nabcdefmnorstuwy#",
                                       check_yaml);
}
#endif
