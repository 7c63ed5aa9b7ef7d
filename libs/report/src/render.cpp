// The report's four renderings: JSON (the API), Markdown, CSV and HTML.
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sla/calendar/calendar.hpp"
#include "sla/report/report.hpp"

namespace sla::report {
namespace {

using nlohmann::json;

json figure_json(const Figure& f) {
  return f.ms ? json(*f.ms) : json(nullptr);
}

json times_json(const Times& t) {
  return {{"median_ms", figure_json(t.median)},
          {"median_over_target", t.median.over_target},
          {"p90_ms", figure_json(t.p90)},
          {"p90_over_target", t.p90.over_target}};
}

json counts_json(const Group& g) {
  return {{"started", g.started},
          {"met", g.met},
          {"breached", g.breached},
          {"pct_met", g.pct_met ? json(*g.pct_met) : json(nullptr)},
          {"business", times_json(g.business)},
          {"wall", times_json(g.wall)}};
}

json group_json(const Group& g) {
  json j = counts_json(g);
  j["metric"] = g.metric;
  j["plan"] = g.plan;
  j["severity"] = g.severity;
  j["tenant"] = g.tenant;
  json list = json::array();
  for (const Breach& b : g.breaches) {
    list.push_back({{"ticket_id", b.ticket_id},
                    {"tenant", b.tenant_id},
                    {"metric", std::string(policy::to_string(b.metric))},
                    {"cycle", b.cycle},
                    {"deadline", calendar::format_rfc3339(b.deadline)},
                    {"breached_at", calendar::format_rfc3339(b.breached_at)},
                    {"link", b.link}});
  }
  j["breaches"] = std::move(list);
  j["breaches_truncated"] = g.breaches_truncated;
  return j;
}

json group_by_json(std::uint8_t by) {
  json j = json::array();
  if (by & kByTenant) j.push_back("tenant");
  if (by & kByPlan) j.push_back("plan");
  if (by & kBySeverity) j.push_back("severity");
  if (by & kByMetric) j.push_back("metric");
  return j;
}

json optional_json(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json trend_json(const std::vector<Bucket>& trend) {
  json list = json::array();
  for (const Bucket& b : trend) {
    list.push_back({{"from", calendar::format_rfc3339(b.from)},
                    {"to", calendar::format_rfc3339(b.to)},
                    {"met", b.met},
                    {"breached", b.breached},
                    {"pct_met", b.pct_met ? json(*b.pct_met) : json(nullptr)}});
  }
  return list;
}

std::string pct(const std::optional<double>& p) {
  if (!p) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", *p);
  return buf;
}

// A rank that falls on a breached clock: its final time is not in the log.
std::string figure_text(const Figure& f) {
  if (f.over_target) return "over target";
  return f.ms ? format_duration(*f.ms) : "-";
}

std::string seconds(const Figure& f) {
  if (f.over_target) return "over_target";
  if (!f.ms) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(*f.ms) / 1000.0);
  return buf;
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string md_cell(const std::string& v) {
  std::string out;
  for (const char c : v) {
    if (c == '|' || c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']' || c == '<') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out.empty() ? "all" : out;
}

std::string html_escape(const std::string& v) {
  std::string out;
  for (const char c : v) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string period(const Report& r) {
  std::string s = calendar::format_rfc3339(r.query.from) + " to " + calendar::format_rfc3339(r.query.to);
  if (r.query.tenant) s += ", tenant " + *r.query.tenant;
  if (r.query.plan) s += ", plan " + *r.query.plan;
  if (r.query.severity) s += ", severity " + *r.query.severity;
  if (r.query.metric) s += ", metric " + std::string(policy::to_string(*r.query.metric));
  return s;
}

}  // namespace

std::string format_duration(std::int64_t ms) {
  if (ms < 0) return "-" + format_duration(-ms);
  std::int64_t s = ms / 1000;
  std::string out;
  const std::int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  if (d) out += std::to_string(d) + "d";
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (sec || out.empty()) out += std::to_string(sec) + "s";
  return out;
}

std::string to_json(const Report& r) {
  json groups = json::array();
  for (const Group& g : r.groups) groups.push_back(group_json(g));
  json j = {{"from", calendar::format_rfc3339(r.query.from)},
            {"to", calendar::format_rfc3339(r.query.to)},
            {"tenant", optional_json(r.query.tenant)},
            {"plan", optional_json(r.query.plan)},
            {"severity", optional_json(r.query.severity)},
            {"metric", r.query.metric ? json(std::string(policy::to_string(*r.query.metric))) : json(nullptr)},
            {"group_by", group_by_json(r.query.group_by)},
            {"source", "sla.escalations"},
            {"complete", r.complete},
            {"totals", counts_json(r.total)},
            {"groups", std::move(groups)},
            {"bucket_ms", r.query.bucket_ms > 0 ? json(r.query.bucket_ms) : json(nullptr)},
            {"trend", trend_json(r.trend)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string to_markdown(const Report& r) {
  std::ostringstream o;
  o << "# SLA compliance report\n\nPeriod: " << md_cell(period(r)) << " (end excluded). Source: the sla.escalations log.";
  if (!r.complete) o << " **Incomplete**: the report's memory bound was reached; some clocks are missing.";
  o << "\n\n| metric | plan | severity | tenant | started | met | breached | % met | median (business) | "
       "p90 (business) | median (wall) | p90 (wall) |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  auto row = [&o](const Group& g) {
    o << "| " << md_cell(g.metric) << " | " << md_cell(g.plan) << " | " << md_cell(g.severity) << " | "
      << md_cell(g.tenant) << " | " << g.started << " | " << g.met << " | " << g.breached << " | " << pct(g.pct_met)
      << " | " << figure_text(g.business.median) << " | " << figure_text(g.business.p90) << " | "
      << figure_text(g.wall.median) << " | " << figure_text(g.wall.p90) << " |\n";
  };
  for (const Group& g : r.groups) row(g);
  if (r.groups.size() > 1) {
    Group all = r.total;
    all.metric = "total";
    row(all);
  }
  if (!r.trend.empty()) {
    o << "\n## Trend\n\nClocks met and breached per " << format_duration(r.query.bucket_ms)
      << " (each in the bucket where it was decided).\n\n| from | to | met | breached | % met |\n|---|---|---:|---:|---:|\n";
    for (const Bucket& b : r.trend) {
      o << "| " << calendar::format_rfc3339(b.from) << " | " << calendar::format_rfc3339(b.to) << " | " << b.met << " | "
        << b.breached << " | " << pct(b.pct_met) << " |\n";
    }
  }
  o << "\n## Breaches\n\n";
  bool any = false;
  for (const Group& g : r.groups) {
    for (const Breach& b : g.breaches) {
      any = true;
      o << "- " << calendar::format_rfc3339(b.breached_at) << " [" << md_cell(b.ticket_id) << "](" << b.link << ") "
        << policy::to_string(b.metric) << " cycle " << b.cycle << ", tenant " << md_cell(b.tenant_id) << ", due "
        << calendar::format_rfc3339(b.deadline) << "\n";
    }
    if (g.breaches_truncated) o << "- (more breaches of this group not listed)\n";
  }
  if (!any) o << "None.\n";
  return o.str();
}

std::string to_csv(const Report& r) {
  std::ostringstream o;
  o << "metric,plan,severity,tenant,started,met,breached,pct_met,business_median_s,business_p90_s,wall_median_s,"
       "wall_p90_s\n";
  for (const Group& g : r.groups) {
    char p[32] = "";
    if (g.pct_met) std::snprintf(p, sizeof p, "%.2f", *g.pct_met);
    o << csv_field(g.metric) << ',' << csv_field(g.plan) << ',' << csv_field(g.severity) << ','
      << csv_field(g.tenant) << ',' << g.started << ',' << g.met << ',' << g.breached << ',' << p << ','
      << seconds(g.business.median) << ',' << seconds(g.business.p90) << ',' << seconds(g.wall.median) << ','
      << seconds(g.wall.p90) << "\n";
  }
  return o.str();
}

std::string to_html(const Report& r) {
  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SLA compliance report</title>"
       "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
       "padding:.3em .6em}td.n{text-align:right}</style></head><body>\n<h1>SLA compliance report</h1>\n<p>"
    << html_escape(period(r)) << " (end excluded). Source: the sla.escalations log."
    << (r.complete ? "" : " <strong>Incomplete</strong>: the memory bound was reached.") << "</p>\n<table><thead><tr>";
  for (const char* h : {"metric", "plan", "severity", "tenant", "started", "met", "breached", "% met",
                        "median (business)", "p90 (business)", "median (wall)", "p90 (wall)"}) {
    o << "<th>" << h << "</th>";
  }
  o << "</tr></thead><tbody>\n";
  for (const Group& g : r.groups) {
    o << "<tr><td>" << html_escape(g.metric) << "</td><td>" << html_escape(g.plan) << "</td><td>"
      << html_escape(g.severity) << "</td><td>" << html_escape(g.tenant) << "</td><td class=n>" << g.started
      << "</td><td class=n>" << g.met << "</td><td class=n>" << g.breached << "</td><td class=n>" << pct(g.pct_met)
      << "</td><td class=n>" << html_escape(figure_text(g.business.median)) << "</td><td class=n>"
      << html_escape(figure_text(g.business.p90)) << "</td><td class=n>"
      << html_escape(figure_text(g.wall.median)) << "</td><td class=n>" << html_escape(figure_text(g.wall.p90))
      << "</td></tr>\n";
  }
  o << "</tbody></table>\n";
  if (!r.trend.empty()) {
    o << "<h2>Trend</h2>\n<p>Clocks met and breached per " << format_duration(r.query.bucket_ms)
      << ".</p>\n<table><thead><tr><th>from</th><th>to</th><th>met</th><th>breached</th><th>% met</th></tr></thead>"
         "<tbody>\n";
    for (const Bucket& b : r.trend) {
      o << "<tr><td>" << calendar::format_rfc3339(b.from) << "</td><td>" << calendar::format_rfc3339(b.to)
        << "</td><td class=n>" << b.met << "</td><td class=n>" << b.breached << "</td><td class=n>" << pct(b.pct_met)
        << "</td></tr>\n";
    }
    o << "</tbody></table>\n";
  }
  o << "<h2>Breaches</h2>\n<ul>\n";
  for (const Group& g : r.groups) {
    for (const Breach& b : g.breaches) {
      o << "<li>" << calendar::format_rfc3339(b.breached_at) << " <a href=\"" << html_escape(b.link) << "\">"
        << html_escape(b.ticket_id) << "</a> " << policy::to_string(b.metric) << " cycle " << b.cycle << ", tenant "
        << html_escape(b.tenant_id) << "</li>\n";
    }
  }
  o << "</ul>\n</body></html>\n";
  return o.str();
}

}  // namespace sla::report
