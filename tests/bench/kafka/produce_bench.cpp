// produce_bench: the cost of Producer::produce() (the enqueue the daemon's
// apply threads pay per output) for a 200-byte record, with no headers and
// with the three every output carries (content-type, sla-type, sla-schema).
// The broker address is unreachable, so records only queue: what is timed is
// the client's enqueue, not the network. 200,000 records a repetition, a new
// producer each, its queue purged afterwards; 5 repetitions. Not a test.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>

#include "sla/kafka/producer.hpp"

namespace {

void BM_Produce(benchmark::State& state) {
  sla::kafka::KafkaConfig cfg;
  cfg.brokers = "127.0.0.1:1";  // nothing listens: records stay queued
  cfg.properties["queue.buffering.max.messages"] = "1000000";
  cfg.properties["queue.buffering.max.kbytes"] = "2000000";
  sla::kafka::ProducerOptions opts;
  opts.poll_on_produce = false;  // as the daemon
  auto producer = sla::kafka::Producer::create(cfg, opts);
  if (!producer) {
    state.SkipWithError(producer.error().message.c_str());
    return;
  }
  std::vector<sla::kafka::Header> headers;
  if (state.range(0) != 0) {
    headers = {{"content-type", "application/x-protobuf"}, {"sla-type", "sla.v1.SlaEvent"}, {"sla-schema", "1"}};
  }
  const std::string topic = "sla.escalations";
  const std::string payload(200, 'x');
  std::uint64_t n = 0;
  for (auto _ : state) {
    const std::string key = "TCK-" + std::to_string(n++ % 100000);
    if (!(*producer)->produce(topic, key, payload, headers)) state.SkipWithError("produce failed");
  }
  (void)rd_kafka_purge((*producer)->raw(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

// Arg: 0 no headers, 1 the output headers.
BENCHMARK(BM_Produce)->Arg(0)->Arg(1)->Iterations(200000)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
