// The HTTP plane under load (SPEC 7, "HTTP"): 1M open tickets in the
// cluster-wide view, 4 clients polling the at-risk query over HTTP
// keep-alive, while a feed thread keeps applying snapshots (as the
// `sla.deadlines` reader does) and a timer thread fires a timer every 2 ms
// and records how late it woke. Three phases in one run, side by side:
// without pollers; the pollers back to back (each sends its next query as
// soon as the answer is read: a stress test that keeps every core busy);
// the pollers paced, each sending one query every --interval-ms (a fixed
// schedule; a late query goes at once and its round trip still counts from
// when it was sent). Prints query p50/p99 (the client's round trip over
// HTTP, and the time the server spent answering: view query + JSON) and
// lateness p50/p99/max for each.
//
//   http_bench [--tickets N] [--seconds S] [--clients C] [--limit L] [--within-ms W] [--interval-ms I]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#pragma GCC diagnostic pop

#include "sla/http/server.hpp"
#include "sla/views/deadline_view.hpp"
#include "sla/views/json.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

sla::EpochMillis wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t n = 0;
};

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = v.back();
  return p;
}

const char* kTenants[] = {"acme", "globex", "initech", "umbrella", "hooli"};
const char* kPlans[] = {"enterprise", "business", "standard"};
const char* kSeverities[] = {"p1", "p2", "p3", "p4"};

sla::views::ViewUpdate make_ticket(std::uint64_t i, sla::EpochMillis now, std::mt19937_64& rng) {
  sla::views::ViewTicket t;
  t.view.ticket_id = "T-" + std::to_string(i);
  t.view.tenant_id = kTenants[i % 5];
  t.view.plan = kPlans[(i / 5) % 3];
  t.view.severity = kSeverities[(i / 15) % 4];
  t.view.status = "open";
  t.view.opened = true;
  t.as_of = now;
  for (int m = 0; m < 2; ++m) {
    sla::engine::ClockView c;
    c.metric = m == 0 ? sla::engine::MetricKind::kResponse : sla::engine::MetricKind::kResolution;
    c.state = sla::engine::ClockState::kRunning;
    c.target_ms = 4 * 3'600'000;
    // Deadlines spread over the next 14 days, a few already passed.
    c.deadline = now - 3'600'000 + static_cast<sla::EpochMillis>(rng() % (15ULL * 24 * 3'600'000));
    c.calendar = "24x7";
    t.view.clocks.push_back(std::move(c));
  }
  return sla::views::ViewUpdate{t.view.ticket_id, std::move(t)};
}

sla::views::Freshness fresh(sla::EpochMillis now) {
  sla::views::Freshness f;
  f.loaded = true;
  f.as_of = now;
  return f;
}

struct Phase {
  std::vector<double> lateness_ms;
  std::vector<double> query_ms;
  std::size_t snapshots_applied = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t tickets = 1'000'000;
  int seconds = 10;
  int clients = 4;
  std::size_t limit = 100;
  std::int64_t within_ms = 3'600'000;
  int interval_ms = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--tickets") tickets = std::strtoull(v, nullptr, 10);
    else if (a == "--seconds") seconds = std::atoi(v);
    else if (a == "--clients") clients = std::atoi(v);
    else if (a == "--limit") limit = std::strtoull(v, nullptr, 10);
    else if (a == "--within-ms") within_ms = std::strtoll(v, nullptr, 10);
    else if (a == "--interval-ms") interval_ms = std::atoi(v);
  }

  auto view = std::make_shared<sla::views::DeadlineView>();
  std::mt19937_64 rng(42);
  const sla::EpochMillis t0 = wall_ms();
  {
    const auto start = Clock::now();
    std::vector<sla::views::ViewUpdate> batch;
    for (std::uint64_t i = 0; i < tickets; ++i) {
      batch.push_back(make_ticket(i, t0, rng));
      if (batch.size() == 10'000) {
        view->apply(batch);
        batch.clear();
      }
    }
    view->apply(batch);
    std::printf("loaded %zu tickets (%zu clocks indexed) in %.1f s\n", view->size(), view->indexed_clocks(),
                std::chrono::duration<double>(Clock::now() - start).count());
  }

  // The time the server spends answering (view query + JSON), per call.
  std::mutex answer_mu;
  std::vector<double> answer_ms;
  auto deps = std::make_shared<sla::http::Deps>();
  deps->healthy = [] { return true; };
  deps->at_risk = [view, &answer_mu, &answer_ms](const sla::http::AtRiskParams& p) {
    const auto a = Clock::now();
    const auto q = sla::views::to_query(p, wall_ms());
    auto j = sla::views::at_risk_json(view->at_risk(q), q, fresh(q.now));
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - a).count();
    const std::lock_guard lock(answer_mu);
    answer_ms.push_back(ms);
    return j;
  };
  sla::http::ServerOptions opts;
  opts.address = "127.0.0.1";
  opts.port = 0;
  opts.threads = 2;
  sla::http::Server server(opts, deps);
  if (auto r = server.start(); !r) {
    std::fprintf(stderr, "server: %s\n", r.error().message.c_str());
    return 1;
  }
  const std::string target =
      "/v1/tickets?at_risk_within=" + std::to_string(within_ms / 60'000) + "m&limit=" + std::to_string(limit);

  // interval 0: back to back.
  auto run_phase = [&](int pollers, int interval) {
    Phase ph;
    std::atomic<bool> stop{false};
    // The feed: 20k snapshots/s replacing existing tickets (the view's writer).
    std::thread feed([&] {
      std::mt19937_64 r(7);
      std::vector<sla::views::ViewUpdate> b;
      auto next = Clock::now();
      while (!stop.load()) {
        b.clear();
        for (int i = 0; i < 2000; ++i) b.push_back(make_ticket(r() % tickets, wall_ms(), r));
        view->apply(b);
        ph.snapshots_applied += b.size();
        next += std::chrono::milliseconds(100);
        std::this_thread::sleep_until(next);
      }
    });
    // The timer thread: a timer due every 2 ms; lateness = wake - due.
    std::thread timers([&] {
      auto due = Clock::now();
      while (!stop.load()) {
        due += std::chrono::milliseconds(2);
        std::this_thread::sleep_until(due);
        ph.lateness_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
      }
    });
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(pollers));
    std::vector<std::thread> polls;
    for (int c = 0; c < pollers; ++c) {
      polls.emplace_back([&, c] {
        boost::asio::io_context ioc;
        boost::beast::tcp_stream s(ioc);
        s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
        boost::beast::flat_buffer buf;
        auto next = Clock::now() + std::chrono::microseconds(c * interval * 1000 / std::max(1, pollers));
        while (!stop.load()) {
          if (interval > 0) {
            std::this_thread::sleep_until(next);
            next += std::chrono::milliseconds(interval);
          }
          bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
          req.set(bhttp::field::host, "127.0.0.1");
          const auto a = Clock::now();
          bhttp::write(s, req);
          bhttp::response<bhttp::string_body> res;
          bhttp::read(s, buf, res);
          lat[static_cast<std::size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
          if (res.result_int() != 200) {
            std::fprintf(stderr, "query failed: %u %s\n", res.result_int(), res.body().c_str());
            std::exit(1);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop.store(true);
    for (auto& t : polls) t.join();
    timers.join();
    feed.join();
    for (auto& l : lat) ph.query_ms.insert(ph.query_ms.end(), l.begin(), l.end());
    return ph;
  };

  // One sample answer, to show what is measured.
  {
    sla::http::AtRiskParams params;
    params.within_ms = within_ms;
    params.limit = limit;
    const auto q = sla::views::to_query(params, wall_ms());
    const auto r = view->at_risk(q);
    std::printf("query %s: %zu returned of %zu matches (%zu overdue)\n", target.c_str(), r.items.size(), r.total,
                r.overdue);
  }
  // Each phase's answers are collected apart: cleared before, read after.
  auto answers = [&] {
    const std::lock_guard lock(answer_mu);
    auto a = percentiles(answer_ms);
    answer_ms.clear();
    return a;
  };
  const Phase quiet = run_phase(0, 0);
  answers();
  const Phase busy = run_phase(clients, 0);
  const auto qa_busy = answers();
  const Phase paced = run_phase(clients, interval_ms);
  const auto qa_paced = answers();
  std::printf("\n| phase | queries | query p50 ms | query p99 ms | answer p50 ms | answer p99 ms | queries/s | timers | lateness p50 ms | lateness p99 ms | lateness max ms | snapshots applied |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const auto la = percentiles(quiet.lateness_ms);
  std::printf("| no pollers | 0 | - | - | - | - | - | %zu | %.3f | %.3f | %.3f | %zu |\n", la.n, la.p50, la.p99, la.max,
              quiet.snapshots_applied);
  auto row = [&](const std::string& name, const Phase& ph, const Percentiles& qa) {
    const auto ql = percentiles(ph.query_ms);
    const auto lb = percentiles(ph.lateness_ms);
    std::printf("| %s | %zu | %.3f | %.3f | %.3f | %.3f | %.0f | %zu | %.3f | %.3f | %.3f | %zu |\n", name.c_str(), ql.n,
                ql.p50, ql.p99, qa.p50, qa.p99, static_cast<double>(ql.n) / seconds, lb.n, lb.p50, lb.p99, lb.max,
                ph.snapshots_applied);
  };
  row(std::to_string(clients) + " pollers back to back", busy, qa_busy);
  row(std::to_string(clients) + " pollers, each every " + std::to_string(interval_ms) + " ms", paced, qa_paced);
  std::printf("(query: the client's round trip over HTTP; answer: the server's view query + JSON)\n");
  server.stop();
  return 0;
}
