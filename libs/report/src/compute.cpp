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

// Samples of one group: met clocks' times (known) and how many breached
// clocks rank after them.
struct Samples {
  std::vector<std::int64_t> business;
  std::vector<std::int64_t> wall;
  std::uint64_t breached = 0;
};

// Nearest rank: the value at rank ceil(p * n), 1-based; ranks past the met
// clocks fall on breached ones, whose final time the log does not carry.
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

void account(Acc& a, const ClockRecord& c, const Query& q) {
  Group& g = a.group;
  if (c.started_at != 0 && in(c.started_at, q)) ++g.started;
  const auto when = decided_at(c);
  if (!when || !in(*when, q)) return;
  if (c.breached_at) {
    ++g.breached;
    ++a.samples.breached;
    if (g.breaches.size() < q.max_breaches) {
      g.breaches.push_back(Breach{c.ticket_id, c.tenant_id, c.metric, c.cycle, c.deadline, *c.breached_at,
                                  "/ticket?id=" + query_escape(c.ticket_id)});
    } else {
      g.breaches_truncated = true;
    }
    return;
  }
  ++g.met;
  a.samples.business.push_back(c.met_elapsed_ms);
  // Wall time needs the cycle's start; records from before the field carry
  // none and count in the business figures only.
  if (c.started_at != 0) a.samples.wall.push_back(*c.met_at - c.started_at);
}

void finish(Acc& a) {
  Group& g = a.group;
  if (g.met + g.breached > 0) {
    g.pct_met = 100.0 * static_cast<double>(g.met) / static_cast<double>(g.met + g.breached);
  }
  g.business = times_of(a.samples.business, a.samples.breached);
  g.wall = times_of(a.samples.wall, a.samples.breached);
  std::sort(g.breaches.begin(), g.breaches.end(), [](const Breach& x, const Breach& y) {
    return std::tie(x.breached_at, x.ticket_id, x.metric, x.cycle) <
           std::tie(y.breached_at, y.ticket_id, y.metric, y.cycle);
  });
}

// Kept only when the clock could show in the report: started or decided in
// the period (so a group with nothing in it is not listed).
bool relevant(const ClockRecord& c, const Query& q) {
  if (q.tenant && c.tenant_id != *q.tenant) return false;
  const auto when = decided_at(c);
  return (c.started_at != 0 && in(c.started_at, q)) || (when && in(*when, q));
}

}  // namespace

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
  return r;
}

}  // namespace sla::report
