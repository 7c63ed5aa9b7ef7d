// Integration tests of sla::kafka against librdkafka's mock cluster: round
// trips with headers, start offsets on assignment, consumer-group splits and
// take-overs, producer flush/acks, dead letters (and their smaller forms when
// too large), pause/resume, and a broker
// outage during produce.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "sla/kafka/config.hpp"
#include "sla/kafka/consumer.hpp"
#include "sla/kafka/dead_letter.hpp"
#include "sla/kafka/mock_cluster.hpp"
#include "sla/kafka/producer.hpp"

namespace sla::kafka {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::set<std::int32_t> partitions_of(const std::vector<TopicPartition>& tps) {
  std::set<std::int32_t> out;
  for (const auto& tp : tps) out.insert(tp.partition);
  return out;
}

class KafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::start(1);
    ASSERT_TRUE(cluster) << cluster.error().message;
    cluster_ = std::move(*cluster);
  }

  /// Settings that make the mock's group protocol and reconnects fast.
  KafkaConfig config(const std::string& group = "sla-test", bool for_consumer = false) const {
    KafkaConfig c;
    c.brokers = cluster_->bootstrap_servers();
    c.group_id = group;
    c.client_id = "sla-kafka-test";
    c.properties = {
        {"topic.metadata.refresh.interval.ms", "500"},
        {"reconnect.backoff.ms", "50"},
        {"reconnect.backoff.max.ms", "200"},
    };
    if (for_consumer) {
      c.properties["session.timeout.ms"] = "3000";  // the mock waits session-1s for members to rejoin
      c.properties["heartbeat.interval.ms"] = "250";
      c.properties["fetch.wait.max.ms"] = "20";
    } else {
      c.properties["retry.backoff.ms"] = "50";
    }
    return c;
  }

  std::unique_ptr<Producer> producer(ProducerOptions options = {}) const {
    auto p = Producer::create(config(), std::move(options));
    EXPECT_TRUE(p) << p.error().message;
    return p ? std::move(*p) : nullptr;
  }

  std::unique_ptr<Consumer> consumer(const std::string& group, const std::string& topic,
                                     ConsumerOptions options = {}) const {
    auto c = Consumer::create(config(group, /*for_consumer=*/true), {topic}, std::move(options));
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : nullptr;
  }

  /// Polls until `done(messages so far)` or `timeout`.
  static std::vector<Message> poll_until(Consumer& c, const std::function<bool(const std::vector<Message>&)>& done,
                                         std::chrono::milliseconds timeout = 20s) {
    std::vector<Message> got;
    const auto deadline = Clock::now() + timeout;
    while (!done(got) && Clock::now() < deadline) {
      auto batch = c.poll(100ms);
      EXPECT_TRUE(batch) << batch.error().message;
      if (!batch) break;
      for (auto& m : *batch) got.push_back(std::move(m));
    }
    return got;
  }

  static std::function<bool(const std::vector<Message>&)> at_least(std::size_t n) {
    return [n](const std::vector<Message>& got) { return got.size() >= n; };
  }

  void group_splits_and_takes_over(const std::string& strategy);

  std::unique_ptr<MockCluster> cluster_;
};

TEST(KafkaConfigTest, EnvironmentOverlaysFieldsAndProperties) {
  KafkaConfig base;
  base.properties["socket.timeout.ms"] = "1000";
  const Environment env{
      {"SLA_KAFKA_BROKERS", "k1:9092,k2:9092"},
      {"SLA_KAFKA_SECURITY_PROTOCOL", "sasl_ssl"},
      {"SLA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"},
      {"SLA_KAFKA_SASL_USERNAME", "sla"},
      {"SLA_KAFKA_SASL_PASSWORD", "secret"},
      {"SLA_KAFKA_GROUP_ID", "g1"},
      {"SLA_KAFKA_PROPERTY_SOCKET_TIMEOUT_MS", "5000"},
      {"SLA_KAFKA_PROPERTY_SSL_CA_LOCATION", "/etc/ca.pem"},
      {"SLA_OTHER", "ignored"},
  };
  const auto c = with_env(base, env);
  EXPECT_EQ(c.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c.group_id, "g1");
  EXPECT_EQ(c.client_id, "sla-timerd");  // untouched
  const auto props = to_properties(c);
  EXPECT_EQ(props.at("bootstrap.servers"), "k1:9092,k2:9092");
  EXPECT_EQ(props.at("security.protocol"), "sasl_ssl");
  EXPECT_EQ(props.at("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(props.at("sasl.username"), "sla");
  EXPECT_EQ(props.at("sasl.password"), "secret");
  EXPECT_EQ(props.at("socket.timeout.ms"), "5000");
  EXPECT_EQ(props.at("ssl.ca.location"), "/etc/ca.pem");
  EXPECT_EQ(props.count("group.id"), 0u);  // the consumer adds it
}

TEST(KafkaConfigTest, BadPropertyIsAnInvalidArgumentNamingIt) {
  KafkaConfig c;
  c.properties["no.such.property"] = "1";
  auto p = Producer::create(c);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(p.error().message.find("no.such.property"), std::string::npos) << p.error().message;
}

TEST_F(KafkaTest, RoundTripWithKeysHeadersAndTimestamps) {
  ASSERT_TRUE(cluster_->create_topic("in", 2));
  auto p = producer();
  ASSERT_TRUE(p);
  for (int i = 0; i < 10; ++i) {
    const std::vector<Header> headers{{"content-type", "application/json"}, {"n", std::to_string(i)}};
    std::string payload = "payload-" + std::to_string(i);
    payload.push_back('\0');  // bytes, not C strings
    ASSERT_TRUE(p->produce("in", "ticket-" + std::to_string(i), payload, headers));
  }
  ASSERT_TRUE(p->flush(10s));
  EXPECT_EQ(p->delivered(), 10u);

  auto c = consumer("rt", "in");
  ASSERT_TRUE(c);
  const auto got = poll_until(*c, at_least(10));
  ASSERT_EQ(got.size(), 10u);
  std::set<std::string> keys;
  for (const auto& m : got) {
    EXPECT_EQ(m.topic, "in");
    ASSERT_EQ(m.headers.size(), 2u);
    EXPECT_EQ(m.header("content-type"), "application/json");
    const auto n = std::string(m.header("n").value_or("?"));
    EXPECT_EQ(m.key, "ticket-" + n);
    EXPECT_EQ(m.payload, std::string("payload-") + n + std::string(1, '\0'));
    ASSERT_TRUE(m.timestamp_ms.has_value());
    EXPECT_GT(*m.timestamp_ms, 1'600'000'000'000);
    keys.insert(m.key);
  }
  EXPECT_EQ(keys.size(), 10u);
  // Same key, same partition (murmur2, as the Java client).
  ASSERT_TRUE(p->produce("in", "ticket-3", "again"));
  ASSERT_TRUE(p->flush(10s));
  const auto again = poll_until(*c, at_least(1));
  ASSERT_EQ(again.size(), 1u);
  const auto first = std::find_if(got.begin(), got.end(), [](const Message& m) { return m.key == "ticket-3"; });
  EXPECT_EQ(again[0].partition, first->partition);
}

// poll(timeout, batch) overwrites the messages of the previous poll in place:
// with batches of 3, every slot is reused many times, by messages with and
// without key, headers and payload, long and short. None may keep a field of
// the message that was in its slot before.
TEST_F(KafkaTest, PollingIntoOneBatchOverwritesEveryField) {
  ASSERT_TRUE(cluster_->create_topic("reuse", 1));
  auto p = producer();
  ASSERT_TRUE(p);
  constexpr int kCount = 40;
  for (int i = 0; i < kCount; ++i) {
    std::vector<Header> headers;
    for (int h = 0; h < i % 3; ++h) headers.push_back({"h" + std::to_string(h), std::string(static_cast<std::size_t>(i), 'v')});
    const std::string key = i % 4 == 0 ? "" : "key-" + std::to_string(i);
    const std::string payload = i % 5 == 0 ? "" : std::to_string(i) + std::string(static_cast<std::size_t>(i * 7), 'x');
    ASSERT_TRUE(p->produce("reuse", key, payload, headers));
  }
  ASSERT_TRUE(p->flush(10s));

  ConsumerOptions opts;
  opts.max_batch = 3;
  auto c = consumer("reuse", "reuse", std::move(opts));
  ASSERT_TRUE(c);
  MessageBatch batch;
  std::vector<Message> got;
  const auto deadline = Clock::now() + 20s;
  while (got.size() < static_cast<std::size_t>(kCount) && Clock::now() < deadline) {
    ASSERT_TRUE(c->poll(100ms, batch));
    EXPECT_LE(batch.size(), 3U);
    for (const auto& m : batch) got.push_back(m);
  }
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    const auto& m = got[static_cast<std::size_t>(i)];  // one partition: in order
    EXPECT_EQ(m.topic, "reuse");
    EXPECT_EQ(m.offset, i);
    EXPECT_EQ(m.key, i % 4 == 0 ? "" : "key-" + std::to_string(i));
    EXPECT_EQ(m.payload, i % 5 == 0 ? "" : std::to_string(i) + std::string(static_cast<std::size_t>(i * 7), 'x'));
    ASSERT_EQ(m.headers.size(), static_cast<std::size_t>(i % 3)) << i;
    for (int h = 0; h < i % 3; ++h) {
      EXPECT_EQ(m.headers[static_cast<std::size_t>(h)], (Header{"h" + std::to_string(h), std::string(static_cast<std::size_t>(i), 'v')}));
    }
    EXPECT_TRUE(m.timestamp_ms.has_value());
  }
}

TEST_F(KafkaTest, FlushReturnsOnlyWhenEveryMessageIsAcknowledged) {
  ASSERT_TRUE(cluster_->create_topic("out", 3));
  std::vector<DeliveryReport> reports;
  ProducerOptions options;
  options.on_delivery = [&reports](const DeliveryReport& r) { reports.push_back(r); };
  auto p = producer(std::move(options));
  ASSERT_TRUE(p);
  ASSERT_TRUE(cluster_->broker_down(1));  // nothing can be acknowledged yet
  for (std::uint64_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(p->produce("out", "k" + std::to_string(i), "v", {}, i));
  }
  const auto early = p->flush(300ms);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(early.error().message.find("not acknowledged"), std::string::npos) << early.error().message;
  EXPECT_EQ(p->delivered(), 0u);
  EXPECT_GT(p->in_flight(), 0);
  ASSERT_TRUE(cluster_->broker_up(1));
  const auto flushed = p->flush(20s);
  ASSERT_TRUE(flushed) << flushed.error().message;
  EXPECT_EQ(p->delivered(), 200u);
  EXPECT_EQ(p->failed(), 0u);
  EXPECT_EQ(p->in_flight(), 0);
  ASSERT_EQ(reports.size(), 200u);
  std::set<std::uint64_t> tags;
  for (const auto& r : reports) {
    EXPECT_FALSE(r.error.has_value());
    EXPECT_EQ(r.topic, "out");
    EXPECT_GE(r.offset, 0);
    tags.insert(r.tag);
  }
  EXPECT_EQ(tags.size(), 200u);
}

TEST_F(KafkaTest, FailedDeliveryIsReportedByFlushOnce) {
  ASSERT_TRUE(cluster_->create_topic("out", 1));
  KafkaConfig c = config();
  c.properties["message.timeout.ms"] = "300";
  auto created = Producer::create(c);
  ASSERT_TRUE(created);
  auto& p = **created;
  ASSERT_TRUE(cluster_->broker_down(1));
  ASSERT_TRUE(p.produce("out", "k", "v1"));
  ASSERT_TRUE(p.produce("out", "k", "v2"));
  const auto flushed = p.flush(10s);
  ASSERT_FALSE(flushed);
  EXPECT_NE(flushed.error().message.find("2 messages failed"), std::string::npos) << flushed.error().message;
  EXPECT_EQ(p.failed(), 2u);
  EXPECT_TRUE(p.flush(1s));  // already reported
}

TEST_F(KafkaTest, ConsumptionStartsWhereOnAssignSays) {
  ASSERT_TRUE(cluster_->create_topic("in", 1));
  auto p = producer();
  ASSERT_TRUE(p);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p->produce("in", "k", std::to_string(i)));
  ASSERT_TRUE(p->flush(10s));

  std::vector<TopicPartition> assigned;
  ConsumerOptions options;
  options.on_assign = [&assigned](std::vector<TopicPartition>& tps) {
    for (auto& tp : tps) tp.offset = 7;  // the store says: resume at 7
    assigned = tps;
  };
  auto c = consumer("start", "in", std::move(options));
  ASSERT_TRUE(c);
  const auto got = poll_until(*c, at_least(3));
  ASSERT_EQ(assigned.size(), 1u);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].offset, 7);
  EXPECT_EQ(got[0].payload, "7");
  EXPECT_EQ(got[2].offset, 9);
  EXPECT_TRUE(poll_until(*c, at_least(1), 500ms).empty());
}

TEST_F(KafkaTest, CommittedOffsetIsUsedWhenOnAssignLeavesItStored) {
  ASSERT_TRUE(cluster_->create_topic("in", 1));
  auto p = producer();
  ASSERT_TRUE(p);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(p->produce("in", "k", std::to_string(i)));
  ASSERT_TRUE(p->flush(10s));
  {
    auto c = consumer("committed", "in");
    ASSERT_TRUE(c);
    const auto got = poll_until(*c, at_least(6));
    ASSERT_EQ(got.size(), 6u);
    const auto committed = c->commit({TopicPartition{"in", 0, 4}}, /*async=*/false);
    ASSERT_TRUE(committed) << committed.error().message;
  }
  auto c = consumer("committed", "in");
  ASSERT_TRUE(c);
  const auto got = poll_until(*c, at_least(2));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].offset, 4);
}

/// Two members of `strategy` split four partitions, each revoked before its
/// new owner gets it; when one leaves, the other takes its partitions.
void KafkaTest::group_splits_and_takes_over(const std::string& strategy) {
  constexpr int kPartitions = 4;
  ASSERT_TRUE(cluster_->create_topic("in", kPartitions));
  struct Member {
    std::set<std::int32_t> owned;
    std::vector<std::string> events;  // "+p" on assign, "-p" on revoke
  };
  Member a;
  Member b;
  const auto options_for = [&strategy](Member& m) {
    ConsumerOptions o;
    o.assignment_strategy = strategy;
    o.on_assign = [&m](std::vector<TopicPartition>& tps) {
      for (const auto& tp : tps) {
        EXPECT_TRUE(m.owned.insert(tp.partition).second) << "assigned twice: " << tp.partition;
        m.events.push_back("+" + std::to_string(tp.partition));
      }
    };
    o.on_revoke = [&m](const std::vector<TopicPartition>& tps, bool lost) {
      EXPECT_FALSE(lost);
      for (const auto& tp : tps) {
        EXPECT_EQ(m.owned.erase(tp.partition), 1u) << "revoked but not owned: " << tp.partition;
        m.events.push_back("-" + std::to_string(tp.partition));
      }
    };
    return o;
  };
  const auto poll_both_until = [](Consumer* ca, Consumer* cb, const std::function<bool()>& done) {
    const auto deadline = Clock::now() + 30s;
    while (!done() && Clock::now() < deadline) {
      if (ca != nullptr) {
        EXPECT_TRUE(ca->poll(50ms));
      }
      if (cb != nullptr) {
        EXPECT_TRUE(cb->poll(50ms));
      }
    }
    return done();
  };

  auto ca = consumer("group", "in", options_for(a));
  ASSERT_TRUE(ca);
  ASSERT_TRUE(poll_both_until(ca.get(), nullptr, [&] { return a.owned.size() == kPartitions; }));

  auto cb = consumer("group", "in", options_for(b));
  ASSERT_TRUE(cb);
  ASSERT_TRUE(poll_both_until(ca.get(), cb.get(), [&] { return a.owned.size() == 2 && b.owned.size() == 2; }))
      << "a owns " << a.owned.size() << ", b owns " << b.owned.size();
  std::set<std::int32_t> all = a.owned;
  all.insert(b.owned.begin(), b.owned.end());
  EXPECT_EQ(all.size(), std::size_t{kPartitions});
  EXPECT_EQ(partitions_of(ca->assignment()), a.owned);
  EXPECT_EQ(partitions_of(cb->assignment()), b.owned);
  // a was asked to give up (and flush) what b now owns before b got it.
  for (const auto p : b.owned) {
    EXPECT_NE(std::find(a.events.begin(), a.events.end(), "-" + std::to_string(p)), a.events.end())
        << ::testing::PrintToString(a.events);
  }

  const auto b_had = b.owned;
  cb->close();  // b leaves: its partitions are revoked (not lost) first
  EXPECT_TRUE(b.owned.empty());
  ASSERT_TRUE(poll_both_until(ca.get(), nullptr, [&] { return a.owned.size() == kPartitions; }));
  for (const auto p : b_had) EXPECT_TRUE(a.owned.count(p)) << p;
}

TEST_F(KafkaTest, GroupSplitsPartitionsAndTakesOverWhenAMemberLeaves) { group_splits_and_takes_over("roundrobin"); }

// Incremental: only the partitions that move are revoked and assigned
// (rd_kafka_incremental_assign/unassign); the rest stay with their owner.
TEST_F(KafkaTest, CooperativeGroupSplitsPartitionsAndTakesOver) {
  group_splits_and_takes_over("cooperative-sticky");
}

// SIGTERM while sla-timerd starts: a cooperative consumer closed before any
// assignment. close() must not ask librdkafka for the rebalance protocol
// once closed (it answers NULL: a first version crashed on it here), and
// keeps the handle when no assignment came (librdkafka 2.0.2 dereferences
// the sticky assignor's missing state in rd_kafka_destroy() when the join
// completed without a sync, #4312; that window is not reproduced here).
TEST_F(KafkaTest, CooperativeConsumerClosedBeforeItsFirstAssignment) {
  ASSERT_TRUE(cluster_->create_topic("early", 2));
  ConsumerOptions o;
  o.assignment_strategy = "cooperative-sticky";
  auto c = consumer("early-group", "early", std::move(o));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->assignment().empty());
  c.reset();  // close() and the destructor, before any assignment
}

TEST_F(KafkaTest, DeadLetterKeepsTheBytesAndNamesTheSource) {
  ASSERT_TRUE(cluster_->create_topic("in", 1));
  ASSERT_TRUE(cluster_->create_topic("sla.dlq", 1));
  auto p = producer();
  ASSERT_TRUE(p);
  const std::string poison("\xff\x00garbage", 9);
  ASSERT_TRUE(p->produce("in", "ticket-9", "fine"));
  ASSERT_TRUE(p->produce("in", "ticket-9", poison, std::vector<Header>{{"content-type", "application/x-protobuf"}}));
  ASSERT_TRUE(p->flush(10s));

  auto c = consumer("dlq-in", "in");
  ASSERT_TRUE(c);
  const auto in = poll_until(*c, at_least(2));
  ASSERT_EQ(in.size(), 2u);
  DeadLetter dlq(*p, "sla.dlq");
  ASSERT_TRUE(dlq.send(in[1], "undecodable", "protobuf: truncated message"));
  ASSERT_TRUE(p->flush(10s));
  EXPECT_EQ(dlq.sent(), 1u);

  auto d = consumer("dlq-reader", "sla.dlq");
  ASSERT_TRUE(d);
  const auto out = poll_until(*d, at_least(1));
  ASSERT_EQ(out.size(), 1u);
  const auto& m = out[0];
  EXPECT_EQ(m.payload, poison);
  EXPECT_EQ(m.key, "ticket-9");
  const std::vector<Header> expected{
      {"content-type", "application/x-protobuf"},
      {"sla-dlq-reason", "undecodable"},
      {"sla-dlq-error", "protobuf: truncated message"},
      {"sla-source-topic", "in"},
      {"sla-source-partition", "0"},
      {"sla-source-offset", "1"},
  };
  EXPECT_EQ(m.headers, expected);
}

// A dead letter larger than the DLQ takes is never refused for good: over
// max_bytes it goes at once without its payload, and with its key cut and
// without its own headers when that is still too large; the source headers
// always name the original.
TEST_F(KafkaTest, DeadLetterTooLargeGoesWithoutItsBody) {
  ASSERT_TRUE(cluster_->create_topic("sla.dlq", 1));
  auto p = producer();
  ASSERT_TRUE(p);
  Message m;
  m.topic = "in";
  m.partition = 3;
  m.offset = 41;
  m.key = "ticket-7";
  m.payload = "small";
  m.headers = {{"content-type", "application/json"}};
  DeadLetter dlq(*p, "sla.dlq", 4096);
  auto whole = dlq.send(m, "undecodable", "bad json");
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, DeadLetter::Form::kWhole);
  Message big = m;
  big.offset = 42;
  big.payload = std::string(8000, 'x');
  auto bodiless = dlq.send(big, "oversize", "payload of 8000 bytes");
  ASSERT_TRUE(bodiless);
  EXPECT_EQ(*bodiless, DeadLetter::Form::kBodiless);
  Message huge_key = big;
  huge_key.offset = 43;
  huge_key.key = std::string(8000, 'k');
  auto minimal = dlq.send(huge_key, "key_mismatch", std::string(5000, 'e'));
  ASSERT_TRUE(minimal);
  EXPECT_EQ(*minimal, DeadLetter::Form::kMinimal);
  ASSERT_TRUE(p->flush(10s));
  EXPECT_EQ(dlq.sent(), 3u);
  EXPECT_EQ(dlq.shrunk(), 2u);

  auto d = consumer("dlq-reader", "sla.dlq");
  ASSERT_TRUE(d);
  const auto out = poll_until(*d, at_least(3));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].payload, "small");
  EXPECT_EQ(out[0].header("sla-dlq-reason"), "undecodable");
  EXPECT_FALSE(out[0].header("sla-dlq-dropped"));

  EXPECT_EQ(out[1].key, "ticket-7");
  EXPECT_EQ(out[1].payload, "");
  EXPECT_EQ(out[1].header("content-type"), "application/json");
  EXPECT_EQ(out[1].header("sla-dlq-reason"), "oversize");
  EXPECT_EQ(out[1].header("sla-dlq-original-reason"), "oversize");
  EXPECT_EQ(out[1].header("sla-dlq-dropped"), "payload");
  EXPECT_EQ(out[1].header("sla-source-offset"), "42");
  EXPECT_EQ(out[1].header("sla-source-partition"), "3");
  EXPECT_EQ(out[1].header("sla-source-bytes"), std::to_string(8 + 8000 + 12 + 16 + 10));

  EXPECT_EQ(out[2].key, std::string(DeadLetter::kMaxKeyBytes, 'k'));
  EXPECT_EQ(out[2].payload, "");
  EXPECT_FALSE(out[2].header("content-type"));
  EXPECT_EQ(out[2].header("sla-dlq-reason"), "oversize");
  EXPECT_EQ(out[2].header("sla-dlq-original-reason"), "key_mismatch");
  EXPECT_EQ(out[2].header("sla-dlq-dropped"), "payload,headers,key");
  EXPECT_EQ(out[2].header("sla-dlq-error")->size(), DeadLetter::kMaxErrorBytes);
  EXPECT_EQ(out[2].header("sla-source-offset"), "43");
}

// The broker refuses a batch of dead letters as too large after they were
// produced (the DLQ topic's max.message.bytes is below the producer's): the
// failed reports are taken by the DeadLetter, not settled, and each record
// is sent again under its tag, whose report settles it: the large one
// without its payload, the small one (perhaps only its batch-mate) whole.
TEST_F(KafkaTest, DeadLettersRefusedByTheBrokerAreSentAgain) {
  ASSERT_TRUE(cluster_->create_topic("sla.dlq", 1));
  std::mutex mu;
  std::map<std::uint64_t, bool> settled;  // tag -> ok
  std::atomic<int> taken{0};
  DeadLetter* dlq_ptr = nullptr;
  ProducerOptions options;
  options.on_delivery = [&](const DeliveryReport& r) {
    if (r.error && dlq_ptr != nullptr && dlq_ptr->take_refused(r) == DeadLetter::Refusal::kResent) {
      taken.fetch_add(1);
      return;
    }
    std::lock_guard lock(mu);
    settled[r.tag] = !r.error;
  };
  KafkaConfig batched = config();
  batched.properties["linger.ms"] = "300";  // both records in one batch, refused together
  auto created = Producer::create(batched, std::move(options));
  ASSERT_TRUE(created) << created.error().message;
  auto& p = *created;
  DeadLetter dlq(*p, "sla.dlq");
  dlq_ptr = &dlq;
  constexpr std::int16_t kProduceApiKey = 0;  // RD_KAFKAP_Produce, in a private librdkafka header
  rd_kafka_mock_push_request_errors(cluster_->raw(), kProduceApiKey, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  Message small;
  small.topic = "in";
  small.offset = 5;
  small.key = "ticket-1";
  small.payload = "not protobuf";
  small.headers = {{"trace", "abc"}};
  Message large = small;
  large.offset = 6;
  large.key = "ticket-2";
  large.payload = std::string(70'000, 'x');
  ASSERT_EQ(dlq.send(small, "undecodable", "bad bytes", 71), DeadLetter::Form::kWhole);
  ASSERT_EQ(dlq.send(large, "oversize", "too big", 72), DeadLetter::Form::kWhole);
  const auto deadline = Clock::now() + 20s;
  for (;;) {
    p->poll(50ms);
    (void)dlq.send_replacements([](std::uint64_t, const Error& e) { ADD_FAILURE() << e.message; });
    std::lock_guard lock(mu);
    if (settled.size() == 2 || Clock::now() > deadline) break;
  }
  EXPECT_EQ(taken.load(), 2);
  EXPECT_EQ(settled, (std::map<std::uint64_t, bool>{{71, true}, {72, true}}));
  EXPECT_EQ(dlq.shrunk(), 1u);

  auto d = consumer("dlq-reader", "sla.dlq");
  ASSERT_TRUE(d);
  const auto out = poll_until(*d, at_least(2));
  ASSERT_EQ(out.size(), 2u);
  for (const auto& m : out) {
    if (m.key == "ticket-1") {
      EXPECT_EQ(m.payload, "not protobuf") << "the small batch-mate lost its body";
      EXPECT_EQ(m.header("sla-dlq-reason"), "undecodable");
      EXPECT_EQ(m.header("sla-dlq-refusals"), "1");
      EXPECT_FALSE(m.header("sla-dlq-dropped"));
      EXPECT_EQ(m.header("trace"), "abc");
    } else {
      EXPECT_EQ(m.key, "ticket-2");
      EXPECT_EQ(m.payload, "");
      EXPECT_EQ(m.header("trace"), "abc");
      EXPECT_EQ(m.header("sla-dlq-reason"), "oversize");
      EXPECT_EQ(m.header("sla-dlq-original-reason"), "oversize");
      EXPECT_EQ(m.header("sla-dlq-error"), "too big");
      EXPECT_EQ(m.header("sla-dlq-dropped"), "payload");
      EXPECT_EQ(m.header("sla-source-offset"), "6");
      EXPECT_EQ(m.header("sla-source-bytes"), std::to_string(8 + 70'000 + 8 + 10));
    }
  }
}

TEST_F(KafkaTest, PauseStopsDeliveryAndResumeContinuesWithoutGapsOrDuplicates) {
  ASSERT_TRUE(cluster_->create_topic("in", 1));
  auto p = producer();
  ASSERT_TRUE(p);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p->produce("in", "k", std::to_string(i)));
  ASSERT_TRUE(p->flush(10s));

  ConsumerOptions options;
  options.max_batch = 3;
  auto c = consumer("pause", "in", std::move(options));
  ASSERT_TRUE(c);
  auto got = poll_until(*c, at_least(3));
  ASSERT_GE(got.size(), 3u);
  ASSERT_TRUE(c->pause_all());
  EXPECT_TRUE(c->paused_all());
  for (int i = 10; i < 20; ++i) ASSERT_TRUE(p->produce("in", "k", std::to_string(i)));
  ASSERT_TRUE(p->flush(10s));
  EXPECT_TRUE(poll_until(*c, at_least(1), 1s).empty()) << "delivered while paused";

  ASSERT_TRUE(c->resume_all());
  auto rest = poll_until(*c, [&](const std::vector<Message>& more) { return got.size() + more.size() >= 20; });
  got.insert(got.end(), rest.begin(), rest.end());
  ASSERT_EQ(got.size(), 20u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].offset, static_cast<std::int64_t>(i));
  EXPECT_TRUE(poll_until(*c, at_least(1), 300ms).empty());
  const auto lag = c->lag();
  ASSERT_EQ(lag.size(), 1u);
  EXPECT_EQ(lag[0].position, 20);
}

TEST_F(KafkaTest, PauseAllAlsoHoldsPartitionsAssignedLater) {
  ASSERT_TRUE(cluster_->create_topic("in", 2));
  auto p = producer();
  ASSERT_TRUE(p);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p->produce("in", "k" + std::to_string(i), std::to_string(i)));
  ASSERT_TRUE(p->flush(10s));

  std::size_t assigned = 0;
  ConsumerOptions options;
  options.on_assign = [&assigned](std::vector<TopicPartition>& tps) { assigned += tps.size(); };
  auto c = consumer("pause-later", "in", std::move(options));
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->pause_all());  // the store is down before anything is assigned
  const auto held = poll_until(*c, [&](const std::vector<Message>& got) { return assigned == 2 || !got.empty(); });
  EXPECT_TRUE(held.empty()) << "delivered while paused";
  ASSERT_EQ(assigned, 2u);
  EXPECT_TRUE(poll_until(*c, at_least(1), 500ms).empty()) << "delivered while paused";
  ASSERT_TRUE(c->resume_all());
  EXPECT_EQ(poll_until(*c, at_least(10)).size(), 10u);
}

TEST_F(KafkaTest, BrokerRestartDuringProduceLosesAndDuplicatesNothing) {
  ASSERT_TRUE(cluster_->create_topic("out", 2));
  auto p = producer();
  ASSERT_TRUE(p);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p->produce("out", "k" + std::to_string(i % 7), "a" + std::to_string(i)));
  ASSERT_TRUE(cluster_->broker_down(1));  // some of those are in flight
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p->produce("out", "k" + std::to_string(i % 7), "b" + std::to_string(i)));
  EXPECT_FALSE(p->flush(500ms));
  ASSERT_TRUE(cluster_->broker_up(1));
  const auto flushed = p->flush(30s);
  ASSERT_TRUE(flushed) << flushed.error().message;
  EXPECT_EQ(p->delivered(), 100u);
  EXPECT_EQ(p->failed(), 0u);

  auto c = consumer("restart", "out");
  ASSERT_TRUE(c);
  const auto got = poll_until(*c, at_least(100));
  EXPECT_TRUE(poll_until(*c, at_least(1), 500ms).empty()) << "duplicates after the restart";
  std::set<std::string> payloads;
  for (const auto& m : got) payloads.insert(m.payload);
  EXPECT_EQ(got.size(), 100u);
  EXPECT_EQ(payloads.size(), 100u);
}

TEST_F(KafkaTest, BrokersReachableFollowsTheBroker) {
  ASSERT_TRUE(cluster_->create_topic("in", 1));
  auto c = consumer("reach", "in");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->brokers_reachable(2s));
  ASSERT_TRUE(cluster_->broker_down(1));
  EXPECT_FALSE(c->brokers_reachable(500ms));
  ASSERT_TRUE(cluster_->broker_up(1));
  bool back = false;
  for (int i = 0; i < 20 && !back; ++i) back = c->brokers_reachable(1s);
  EXPECT_TRUE(back);
}

TEST_F(KafkaTest, LastErrorSaysWhyTheBrokersAreUnreachable) {
  ASSERT_TRUE(cluster_->create_topic("in", 1));
  auto c = consumer("why", "in");
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->brokers_reachable(2s));
  EXPECT_EQ(c->last_error(), "");
  ASSERT_TRUE(cluster_->broker_down(1));
  // Errors are served by poll(); poll until one is in, bounded.
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (c->last_error().empty() && std::chrono::steady_clock::now() < until) ASSERT_TRUE(c->poll(100ms));
  EXPECT_FALSE(c->brokers_reachable(500ms));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->poll(100ms));  // "all brokers down" arrives meanwhile
  const std::string why = c->last_error();
  EXPECT_NE(why.find("(_"), std::string::npos) << why;  // the error's name
  EXPECT_EQ(why.find("_ALL_BROKERS_DOWN"), std::string::npos) << "the summary replaced the reason: " << why;
  ASSERT_TRUE(cluster_->broker_up(1));
  bool back = false;
  for (int i = 0; i < 20 && !back; ++i) back = c->brokers_reachable(1s);
  ASSERT_TRUE(back);
  EXPECT_EQ(c->last_error(), "");  // cleared once the brokers answer
}

}  // namespace
}  // namespace sla::kafka
