// The outputs' two encodings (topics.encoding): encode time and bytes per
// record of an SlaEvent, a PageEvent and a TicketDeadlines snapshot of a
// typical ticket (two running clocks, one finished cycle, one page ladder),
// and the decode time of a snapshot (what every daemon's view does per
// record of sla.deadlines). Counter `bytes`: the encoded size.
#include <string>

#include <benchmark/benchmark.h>

#include "sla/codec/codec.hpp"

namespace {

using sla::codec::ContentType;

sla::engine::SlaOutput sla_event() {
  sla::engine::SlaOutput o;
  o.event_id = "TCK-104233/resolution/0/breached/0";
  o.ticket_id = "TCK-104233";
  o.tenant_id = "acme-retail";
  o.plan = "enterprise";
  o.severity = "P1";
  o.metric = sla::engine::MetricKind::kResolution;
  o.deadline = 1'775'000'000'000;
  o.fired_at = 1'775'000'000'004;
  o.started_at = 1'774'985'600'000;
  o.elapsed_ms = 14'400'000;
  o.target_ms = 14'400'000;
  o.kind = sla::engine::SlaKind::kBreached;
  return o;
}

sla::engine::PageOutput page_event() {
  sla::engine::PageOutput p;
  p.page_id = "TCK-104233/resolution/0/page/p1-oncall/1/oncall/0/0";
  p.dedup_key = "TCK-104233/resolution/0/page/p1-oncall/1/oncall";
  p.ticket_id = "TCK-104233";
  p.tenant_id = "acme-retail";
  p.plan = "enterprise";
  p.severity = "P1";
  p.metric = sla::engine::MetricKind::kResolution;
  p.target = "oncall";
  p.rotation = "primary";
  p.responder = "ana";
  p.ack_deadline = 1'775'000'300'000;
  p.fired_at = 1'775'000'000'004;
  return p;
}

sla::engine::TicketView view() {
  sla::engine::TicketView v;
  v.ticket_id = "TCK-104233";
  v.tenant_id = "acme-retail";
  v.plan = "enterprise";
  v.severity = "P1";
  v.status = "open";
  v.opened = true;
  v.opened_at = 1'774'985'600'000;
  v.next_due = 1'775'000'000'000;
  for (const auto m : {sla::engine::MetricKind::kUpdate, sla::engine::MetricKind::kResolution}) {
    auto& c = v.clocks.emplace_back();
    c.metric = m;
    c.elapsed_ms = 3'600'000;
    c.target_ms = 14'400'000;
    c.deadline = 1'775'000'000'000;
    c.calendar = "business";
    c.fired = {"warning/50%", "warning/75%"};
    c.started_at = 1'774'985'600'000;
  }
  v.history.push_back({sla::engine::MetricKind::kResponse, 0, 1'774'985'600'000, 1'774'986'500'000, 900'000, "met"});
  auto& p = v.pages.emplace_back();
  p.key = "TCK-104233/resolution/0/page/p1-oncall/1/oncall";
  p.target = "oncall";
  p.pages_sent = 1;
  p.pages_total = 3;
  p.state = "paging";
  p.rotation = "primary";
  p.responder = "ana";
  p.last_page_at = 1'775'000'000'004;
  p.ack_deadline = 1'775'000'300'000;
  return v;
}

void BM_EncodeSlaEvent(benchmark::State& state) {
  const auto type = static_cast<ContentType>(state.range(0));
  const sla::engine::Output out = sla_event();
  std::string bytes;
  for (auto _ : state) {
    sla::codec::encode_output(out, type, bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

void BM_EncodePageEvent(benchmark::State& state) {
  const auto type = static_cast<ContentType>(state.range(0));
  const sla::engine::Output out = page_event();
  std::string bytes;
  for (auto _ : state) {
    sla::codec::encode_output(out, type, bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

void BM_EncodeDeadlines(benchmark::State& state) {
  const auto type = static_cast<ContentType>(state.range(0));
  const auto v = view();
  std::string bytes;
  for (auto _ : state) {
    sla::codec::encode_deadlines(v, 1'775'000'000'100, type, bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

void BM_DecodeDeadlines(benchmark::State& state) {
  const auto type = static_cast<ContentType>(state.range(0));
  std::string bytes;
  sla::codec::encode_deadlines(view(), 1'775'000'000'100, type, bytes);
  for (auto _ : state) {
    auto d = sla::codec::decode_deadlines(bytes, type);
    if (!d) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(d);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

// Arg 0: protobuf binary, 1: proto3-JSON (ContentType).
BENCHMARK(BM_EncodeSlaEvent)->Arg(0)->Arg(1);
BENCHMARK(BM_EncodePageEvent)->Arg(0)->Arg(1);
BENCHMARK(BM_EncodeDeadlines)->Arg(0)->Arg(1);
BENCHMARK(BM_DecodeDeadlines)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
