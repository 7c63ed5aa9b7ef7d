// sla-kafka-limit: what Kafka itself allows on this host, with no daemon in
// the way: a bare librdkafka consumer and a bare librdkafka producer, for the
// `limit` phase of tools/loadgen/measure.sh (docs/benchmarks.md, "Service").
// librdkafka's C API only: no code of the project.
//
//   sla-kafka-limit consume BROKERS TOPIC RECORDS
//       reads RECORDS records from every partition of TOPIC, from the
//       beginning, with the daemon's fetch settings (max.partition.fetch.bytes
//       4 MB); times the first record to the last.
//   sla-kafka-limit produce BROKERS PREFIX SOURCE...
//       reads each SOURCE topic to its end (untimed), then produces the same
//       records (keys, values, tombstones) to PREFIX+SOURCE, a topic with the
//       same partitions, with the settings of the daemon's bulk producer
//       (acks=all, idempotence, lz4, linger.ms 100); times the first produce
//       to the last delivery report.
//
// Prints one line `LIMIT <mode> records=N bytes=B seconds=S records_per_s=R`.
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "sla-kafka-limit: %s\n", why.c_str());
  std::exit(1);
}

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Kafka = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

Kafka client(rd_kafka_type_t type, const std::vector<std::pair<const char*, std::string>>& props,
             void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [name, value] : props) {
    if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) die(err);
  }
  if (dr != nullptr) rd_kafka_conf_set_dr_msg_cb(conf, dr);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) die(err);
  return Kafka(rk);
}

int partition_count(rd_kafka_t* rk, const char* topic) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic, nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1) {
    die(std::string("no metadata for ") + topic);
  }
  const int n = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  if (n <= 0) die(std::string("topic ") + topic + " has no partitions");
  return n;
}

/// A consumer assigned every partition of `topic` from the beginning
/// (no group coordination: nothing to wait for).
Kafka assigned_consumer(const std::string& brokers, const char* topic, const char* group, int& partitions) {
  Kafka rk = client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", brokers},
                                        {"group.id", group},
                                        {"enable.auto.commit", "false"},
                                        {"enable.partition.eof", "false"},
                                        {"max.partition.fetch.bytes", "4194304"}});
  rd_kafka_poll_set_consumer(rk.get());
  partitions = partition_count(rk.get(), topic);
  PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_assign(rk.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) die("assign failed");
  return rk;
}

void print(const char* mode, std::size_t records, std::size_t bytes, double seconds) {
  std::printf("LIMIT %s records=%zu bytes=%zu seconds=%.3f records_per_s=%.0f\n", mode, records, bytes, seconds,
              seconds > 0 ? static_cast<double>(records) / seconds : 0.0);
  std::fflush(stdout);
}

int consume(const std::string& brokers, const char* topic, std::size_t records) {
  int partitions = 0;
  Kafka rk = assigned_consumer(brokers, topic, "sla-kafka-limit", partitions);
  std::size_t n = 0;
  std::size_t bytes = 0;
  Clock::time_point first{};
  const auto give_up = Clock::now() + std::chrono::minutes(5);
  while (n < records) {
    MessagePtr m(rd_kafka_consumer_poll(rk.get(), 100));
    if (!m) {
      if (Clock::now() > give_up) die("timed out after " + std::to_string(n) + " records");
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // transient; reported by librdkafka
    if (n++ == 0) first = Clock::now();
    bytes += m->len + m->key_len;
  }
  print("consume", n, bytes, std::chrono::duration<double>(Clock::now() - first).count());
  rd_kafka_consumer_close(rk.get());
  return 0;
}

struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* h) const { rd_kafka_headers_destroy(h); }
};

struct Record {
  std::string key;
  std::string value;
  bool null_value = false;
  int partition = 0;
  std::unique_ptr<rd_kafka_headers_t, HeadersDeleter> headers;  ///< as the daemon wrote them
};

/// Every record of `topic` up to its high watermarks at the start.
std::vector<Record> read_all(const std::string& brokers, const char* topic, int& partitions) {
  Kafka rk = assigned_consumer(brokers, topic, "sla-kafka-limit-read", partitions);
  std::vector<std::int64_t> end(static_cast<std::size_t>(partitions));
  std::size_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0;
    if (rd_kafka_query_watermark_offsets(rk.get(), topic, p, &low, &end[static_cast<std::size_t>(p)], 10000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      die(std::string("no watermarks for ") + topic);
    }
    total += static_cast<std::size_t>(end[static_cast<std::size_t>(p)] - low);
  }
  std::vector<Record> out;
  out.reserve(total);
  std::vector<std::int64_t> next(end.size(), 0);
  const auto done = [&] {
    for (std::size_t p = 0; p < end.size(); ++p) {
      if (next[p] < end[p]) return false;
    }
    return true;
  };
  const auto give_up = Clock::now() + std::chrono::minutes(5);
  while (!done()) {
    MessagePtr m(rd_kafka_consumer_poll(rk.get(), 100));
    if (Clock::now() > give_up) die(std::string("timed out reading ") + topic);
    if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    const auto p = static_cast<std::size_t>(m->partition);
    next[p] = m->offset + 1;
    if (m->offset >= end[p]) continue;
    Record r;
    if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
    r.null_value = m->payload == nullptr;
    if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
    r.partition = m->partition;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      r.headers.reset(rd_kafka_headers_copy(headers));
    }
    out.push_back(std::move(r));
  }
  rd_kafka_consumer_close(rk.get());
  return out;
}

std::size_t g_delivered = 0;
std::size_t g_failed = 0;

void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* /*opaque*/) {
  ++(m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? g_delivered : g_failed);
}

int produce(const std::string& brokers, const std::string& prefix, const std::vector<const char*>& sources) {
  struct Source {
    std::string target;
    std::vector<Record> records;
  };
  std::vector<Source> all;
  std::size_t records = 0;
  std::size_t bytes = 0;
  for (const char* s : sources) {
    int partitions = 0;
    Source src{prefix + s, read_all(brokers, s, partitions)};
    records += src.records.size();
    for (const auto& r : src.records) bytes += r.key.size() + r.value.size();
    all.push_back(std::move(src));
  }
  Kafka rk = client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", brokers},
                                        {"enable.idempotence", "true"},
                                        {"acks", "all"},
                                        {"compression.type", "lz4"},
                                        {"linger.ms", "100"},
                                        {"queue.buffering.max.messages", "2000000"},
                                        {"queue.buffering.max.kbytes", "2097152"}},
                    &on_delivery);
  std::vector<rd_kafka_topic_t*> topics;
  for (const auto& src : all) topics.push_back(rd_kafka_topic_new(rk.get(), src.target.c_str(), nullptr));
  const auto t0 = Clock::now();
  std::size_t sent = 0;
  for (std::size_t t = 0; t < all.size(); ++t) {
    for (const auto& r : all[t].records) {
      std::array<rd_kafka_vu_t, 6> vu{};
      vu[0].vtype = RD_KAFKA_VTYPE_RKT;
      vu[0].u.rkt = topics[t];
      vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
      vu[1].u.i32 = r.partition;
      vu[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
      vu[2].u.i = RD_KAFKA_MSG_F_COPY;  // librdkafka copies; never writes through the pointers
      vu[3].vtype = RD_KAFKA_VTYPE_KEY;
      vu[3].u.mem.ptr = const_cast<char*>(r.key.data());
      vu[3].u.mem.size = r.key.size();
      vu[4].vtype = RD_KAFKA_VTYPE_VALUE;
      vu[4].u.mem.ptr = r.null_value ? nullptr : const_cast<char*>(r.value.data());
      vu[4].u.mem.size = r.value.size();
      vu[5].vtype = RD_KAFKA_VTYPE_HEADERS;
      for (;;) {
        // librdkafka takes the headers when the produce succeeds.
        vu[5].u.headers = r.headers ? rd_kafka_headers_copy(r.headers.get()) : rd_kafka_headers_new(0);
        rd_kafka_error_t* error = rd_kafka_produceva(rk.get(), vu.data(), vu.size());
        if (error == nullptr) break;
        const rd_kafka_resp_err_t err = rd_kafka_error_code(error);
        rd_kafka_error_destroy(error);
        rd_kafka_headers_destroy(vu[5].u.headers);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(std::string("produce: ") + rd_kafka_err2str(err));
        rd_kafka_poll(rk.get(), 10);
      }
      if (++sent % 1024 == 0) rd_kafka_poll(rk.get(), 0);  // delivery reports, as the daemon's loop
    }
  }
  if (rd_kafka_flush(rk.get(), 300000) != RD_KAFKA_RESP_ERR_NO_ERROR) die("flush timed out");
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto* t : topics) rd_kafka_topic_destroy(t);
  if (g_failed != 0 || g_delivered != records) {
    die(std::to_string(g_failed) + " of " + std::to_string(records) + " records not delivered");
  }
  print("produce", records, bytes, s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "consume" && argc == 5) {
    return consume(argv[2], argv[3], static_cast<std::size_t>(std::strtoull(argv[4], nullptr, 10)));
  }
  if (mode == "produce" && argc >= 5) return produce(argv[2], argv[3], std::vector<const char*>(argv + 4, argv + argc));
  std::fprintf(stderr,
               "usage: sla-kafka-limit consume BROKERS TOPIC RECORDS\n"
               "       sla-kafka-limit produce BROKERS PREFIX SOURCE_TOPIC...\n");
  return 2;
}
