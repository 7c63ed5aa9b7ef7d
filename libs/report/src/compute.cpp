// compute(): the figures of a report from the ledger's clocks.
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "sla/report/report.hpp"

namespace sla::report {
namespace {

// RFC 3986 percent-encoding of a query value (ticket ids are free text).
std::string query_escape(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : v) {
    const auto u = static_cast<unsigned char>(ch);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || ch == '-' || ch == '_' ||
        ch == '.' || ch == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4U]);
      out.push_back(kHex[u & 15U]);
    }
  }
  return out;
}

bool in(EpochMillis t, const Query& q) { return t >= q.from && t < q.to; }

// The instant a clock's outcome was decided: its breach, else its met.
std::optional<EpochMillis> decided_at(const ClockRecord& c) {
  if (c.breached_at) return c.breached_at;
  return c.met_at;
}

// Samples of one group: the times of the clocks whose end the log shows
// (met, or met after their breach) and how many breached clocks, not met
// (yet), rank after them.
struct Samples {
  std::vector<std::int64_t> business;
  std::vector<std::int64_t> wall;
  std::uint64_t breached = 0;
};

// Nearest rank: the value at rank ceil(p * n), 1-based; ranks past the known
// times fall on breached clocks not met (yet), whose time is unknown.
Figure nearest_rank(std::vector<std::int64_t>& known, std::uint64_t breached, int percent) {
  const std::uint64_t n = known.size() + breached;
  Figure f;
  if (n == 0) return f;
  const std::uint64_t rank = std::max<std::uint64_t>(1, (n * static_cast<std::uint64_t>(percent) + 99) / 100);
  if (rank > known.size()) {
    f.over_target = true;
    return f;
  }
  std::nth_element(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(rank - 1), known.end());
  f.ms = known[rank - 1];
  return f;
}

Times times_of(std::vector<std::int64_t>& known, std::uint64_t breached) {
  Times t;
  t.median = nearest_rank(known, breached, 50);
  t.p90 = nearest_rank(known, breached, 90);
  return t;
}

struct Acc {
  Group group;
  Samples samples;
};

// A clock's time to meet its target, when the log shows its `met`.
void add_time(Samples& s, const ClockRecord& c) {
  s.business.push_back(c.met_elapsed_ms);
  // Wall time needs the cycle's start; records from before the field carry
  // none and count in the business figures only.
  if (c.started_at != 0) s.wall.push_back(*c.met_at - c.started_at);
}

void account(Acc& a, const ClockRecord& c, const Query& q) {
  Group& g = a.group;
  if (c.started_at != 0 && in(c.started_at, q)) ++g.started;
  const auto when = decided_at(c);
  if (!when || !in(*when, q)) return;
  if (c.breached_at) {
    ++g.breached;
    // Met after the breach (a `met` with after_breach): its time is known.
    if (c.met_at) {
      add_time(a.samples, c);
    } else {
      ++a.samples.breached;
    }
    if (g.breaches.size() < q.max_breaches) {
      g.breaches.push_back(Breach{c.ticket_id, c.tenant_id, c.metric, c.cycle,
                                  c.deadline.value_or(*c.breached_at),  // a clock that breached had one
                                  *c.breached_at,
                                  "/ticket?id=" + query_escape(c.ticket_id)});
    } else {
      g.breaches_truncated = true;
    }
    return;
  }
  ++g.met;
  add_time(a.samples, c);
}

std::optional<double> pct_of(std::uint64_t met, std::uint64_t breached) {
  if (met + breached == 0) return std::nullopt;
  return 100.0 * static_cast<double>(met) / static_cast<double>(met + breached);
}

void finish(Acc& a) {
  Group& g = a.group;
  g.pct_met = pct_of(g.met, g.breached);
  g.business = times_of(a.samples.business, a.samples.breached);
  g.wall = times_of(a.samples.wall, a.samples.breached);
  std::sort(g.breaches.begin(), g.breaches.end(), [](const Breach& x, const Breach& y) {
    return std::tie(x.breached_at, x.ticket_id, x.metric, x.cycle) <
           std::tie(y.breached_at, y.ticket_id, y.metric, y.cycle);
  });
}

bool matches(const ClockRecord& c, const Query& q) {
  return (!q.tenant || c.tenant_id == *q.tenant) && (!q.plan || c.plan == *q.plan) &&
         (!q.severity || c.severity == *q.severity) && (!q.metric || c.metric == *q.metric);
}

// Kept only when the clock could show in the report: started or decided in
// the period (so a group with nothing in it is not listed).
bool relevant(const ClockRecord& c, const Query& q) {
  if (!matches(c, q)) return false;
  const auto when = decided_at(c);
  return (c.started_at != 0 && in(c.started_at, q)) || (when && in(*when, q));
}

// The empty buckets of a checked query: [from + k*w, from + (k+1)*w), the
// last one cut at `to`.
std::vector<Bucket> empty_trend(const Query& q) {
  std::vector<Bucket> trend;
  if (q.bucket_ms <= 0 || !check(q)) return trend;
  // Compared as differences: from + w may not fit when w is centuries.
  for (EpochMillis b = q.from;; b += q.bucket_ms) {
    const bool last = q.to - b <= q.bucket_ms;
    Bucket bucket;
    bucket.from = b;
    bucket.to = last ? q.to : b + q.bucket_ms;
    trend.push_back(bucket);
    if (last) break;
  }
  return trend;
}

// Counts `c` in the bucket where its outcome was decided, by the rule the
// groups follow (account()).
void count_in_trend(std::vector<Bucket>& trend, const ClockRecord& c, const Query& q) {
  const auto when = decided_at(c);
  if (trend.empty() || !when || !in(*when, q)) return;
  Bucket& b = trend[static_cast<std::size_t>((*when - q.from) / q.bucket_ms)];
  ++(c.breached_at ? b.breached : b.met);
}

}  // namespace

sla::Result<void> check(const Query& q) {
  if (q.to <= q.from) return sla::fail(ErrorCode::kInvalidArgument, "to must be after from");
  if (q.bucket_ms < 0) return sla::fail(ErrorCode::kInvalidArgument, "the bucket width must be positive");
  // Divided, not multiplied: a period of centuries must not overflow.
  if (q.bucket_ms > 0 && (q.to - q.from - 1) / q.bucket_ms >= kMaxBuckets) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "the period holds more than " + std::to_string(kMaxBuckets) + " buckets: use a wider bucket");
  }
  return {};
}

sla::Result<std::uint8_t> parse_group_by(std::string_view csv) {
  if (csv.empty()) return kAllDimensions;
  std::uint8_t mask = 0;
  while (!csv.empty()) {
    const auto comma = csv.find(',');
    const std::string_view d = csv.substr(0, comma);
    if (d == "metric") mask |= kByMetric;
    else if (d == "plan") mask |= kByPlan;
    else if (d == "severity") mask |= kBySeverity;
    else if (d == "tenant") mask |= kByTenant;
    else return sla::fail(ErrorCode::kInvalidArgument, "group_by: unknown dimension \"" + std::string(d) +
                                                           "\" (tenant, plan, severity, metric)");
    csv = comma == std::string_view::npos ? std::string_view{} : csv.substr(comma + 1);
  }
  return mask;
}

Report compute(const std::vector<ClockRecord>& clocks, const Query& query, bool complete) {
  using Key = std::tuple<int, std::string, std::string, std::string>;
  std::map<Key, Acc> groups;
  Acc total;
  std::vector<Bucket> trend = empty_trend(query);
  const std::uint8_t by = query.group_by;
  for (const ClockRecord& c : clocks) {
    if (!relevant(c, query)) continue;
    const int metric = (by & kByMetric) ? static_cast<int>(c.metric) : -1;
    Key key{metric, (by & kByPlan) ? c.plan : "", (by & kBySeverity) ? c.severity : "",
            (by & kByTenant) ? c.tenant_id : ""};
    auto [it, fresh] = groups.try_emplace(std::move(key));
    if (fresh) {
      Group& g = it->second.group;
      if (metric >= 0) g.metric = std::string(policy::to_string(c.metric));
      g.plan = std::get<1>(it->first);
      g.severity = std::get<2>(it->first);
      g.tenant = std::get<3>(it->first);
    }
    account(it->second, c, query);
    account(total, c, query);
    count_in_trend(trend, c, query);
  }
  Report r;
  r.query = query;
  r.complete = complete;
  r.groups.reserve(groups.size());
  for (auto& [key, acc] : groups) {
    finish(acc);
    r.groups.push_back(std::move(acc.group));
  }
  finish(total);
  r.total = std::move(total.group);
  for (Bucket& b : trend) b.pct_met = pct_of(b.met, b.breached);
  r.trend = std::move(trend);
  return r;
}

}  // namespace sla::report
