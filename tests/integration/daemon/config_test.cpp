// sla-timerd settings: YAML, the SLA_* environment over it, and errors that
// name the file, line and column.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "config.hpp"

namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    // ctest runs each test in its own process, in parallel: the pid keeps
    // their files apart.
    path_ = ::testing::TempDir() + "sla-timerd-config-" + std::to_string(::getpid()) + "-" +
            std::to_string(++counter_) + ".yaml";
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  std::string path_;
  static inline int counter_ = 0;
};

TEST_F(ConfigTest, DefaultsWithoutAFile) {
  auto c = sla::timerd::load_config("", {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->topics.input, "tickets.events");
  EXPECT_EQ(c->topics.dlq, "sla.dlq");
  EXPECT_EQ(c->poll_ms, 50);
  EXPECT_EQ(c->max_events_per_second, 0);
  EXPECT_EQ(c->redis.port, 6379);
  EXPECT_EQ(c->poll_batch, 20000);
  EXPECT_EQ(c->commit_interval_ms, 200);
  EXPECT_EQ(c->bulk_linger_ms, 100);
  EXPECT_EQ(c->apply_threads, 0);  // one per core
  EXPECT_EQ(c->http.threads, 2u);
  EXPECT_EQ(c->http.max_connections, 1024u);
  // Takeover within 10 s of a kill (SPEC 7): not librdkafka's 45 s.
  EXPECT_EQ(c->group.session_timeout_ms, 6000);
  EXPECT_EQ(c->group.heartbeat_interval_ms, 1000);
  EXPECT_EQ(c->group.assignment_strategy, "cooperative-sticky");
  EXPECT_EQ(c->kafka.group_instance_id, "");
  EXPECT_EQ(c->views_nice, 10);
}

TEST_F(ConfigTest, ViewsNice) {
  EXPECT_EQ(sla::timerd::load_config("", {{"SLA_VIEWS_NICE", "0"}})->views_nice, 0);
  EXPECT_EQ(sla::timerd::load_config(write("views_nice: 19\n"), {})->views_nice, 19);
  auto c = sla::timerd::load_config("", {{"SLA_VIEWS_NICE", "20"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "environment: SLA_VIEWS_NICE: 20 is out of range (0..19)");
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_VIEWS_NICE", "-1"}}));
}

TEST_F(ConfigTest, GroupMembershipSettings) {
  auto c = sla::timerd::load_config(write("kafka:\n  session_timeout_ms: 10000\n  heartbeat_interval_ms: 2000\n"
                                          "  assignment_strategy: roundrobin\n  group_instance_id: timerd-0\n"),
                                    {{"SLA_KAFKA_HEARTBEAT_INTERVAL_MS", "1500"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->group.session_timeout_ms, 10000);
  EXPECT_EQ(c->group.heartbeat_interval_ms, 1500);  // environment over file
  EXPECT_EQ(c->group.assignment_strategy, "roundrobin");
  EXPECT_EQ(c->kafka.group_instance_id, "timerd-0");
  c = sla::timerd::load_config("", {{"SLA_KAFKA_GROUP_INSTANCE_ID", "pod-7"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kafka.group_instance_id, "pod-7");
  c = sla::timerd::load_config("", {{"SLA_KAFKA_HEARTBEAT_INTERVAL_MS", "6000"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("must be below kafka.session_timeout_ms"), std::string::npos) << c.error().message;
  c = sla::timerd::load_config("", {{"SLA_KAFKA_ASSIGNMENT_STRATEGY", "sticky"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("'sticky'"), std::string::npos) << c.error().message;
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_KAFKA_SESSION_TIMEOUT_MS", "6s"}}));
}

TEST_F(ConfigTest, OutputEncoding) {
  auto c = sla::timerd::load_config("", {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->topics.encoding, "protobuf");
  c = sla::timerd::load_config(write("topics: {encoding: json}\n"), {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->topics.encoding, "json");
  c = sla::timerd::load_config(write("topics: {encoding: json}\n"), {{"SLA_TOPIC_ENCODING", "protobuf"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->topics.encoding, "protobuf");  // environment over file
  c = sla::timerd::load_config("", {{"SLA_TOPIC_ENCODING", "avro"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("topics.encoding: 'avro' is not protobuf or json"), std::string::npos)
      << c.error().message;
}

TEST_F(ConfigTest, HttpThreadsAndConnectionCap) {
  auto c = sla::timerd::load_config(write("http: {threads: 4, max_connections: 300}\n"),
                                    {{"SLA_HTTP_MAX_CONNECTIONS", "200"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.threads, 4u);
  EXPECT_EQ(c->http.max_connections, 200u);  // environment over file
}

TEST_F(ConfigTest, HttpAllowedHosts) {
  auto c = sla::timerd::load_config("", {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->http.allowed_hosts.empty());  // IP literals and localhost only
  c = sla::timerd::load_config(write("http: {allowed_hosts: [sla.example.com, .svc.cluster.local]}\n"), {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.allowed_hosts, (std::vector<std::string>{"sla.example.com", ".svc.cluster.local"}));
  c = sla::timerd::load_config(write("http: {allowed_hosts: [a]}\n"), {{"SLA_HTTP_ALLOWED_HOSTS", "b, c"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.allowed_hosts, (std::vector<std::string>{"b", "c"}));
}

TEST_F(ConfigTest, FileValuesAndTheEnvironmentWins) {
  const auto path = write(
      "policy: /etc/sla/policy.yaml\n"
      "max_events_per_second: 5000\n"
      "commit_interval_ms: 1000\n"
      "bulk_linger_ms: 50\n"
      "apply_threads: 4\n"
      "kafka:\n"
      "  brokers: k1:9092,k2:9092\n"
      "  group_id: sla-prod\n"
      "  properties: {session.timeout.ms: '10000'}\n"
      "redis: {host: redis.internal, port: 6380}\n"
      "topics: {input: support.events}\n"
      "http: {port: 9000, tokens: [a, b]}\n");
  auto c = sla::timerd::load_config(path, {{"SLA_REDIS_PORT", "7000"},
                                           {"SLA_MAX_EVENTS_PER_SECOND", "250"},
                                           {"SLA_APPLY_THREADS", "1"},
                                           {"SLA_FLUSH_TIMEOUT_MS", "5000"},
                                           {"SLA_KAFKA_PROPERTY_FETCH_MAX_BYTES", "1048576"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->policy_path, "/etc/sla/policy.yaml");
  EXPECT_EQ(c->kafka.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c->kafka.group_id, "sla-prod");
  EXPECT_EQ(c->kafka.properties.at("session.timeout.ms"), "10000");
  EXPECT_EQ(c->kafka.properties.at("fetch.max.bytes"), "1048576");
  EXPECT_EQ(c->redis.host, "redis.internal");
  EXPECT_EQ(c->redis.port, 7000);              // environment over file
  EXPECT_EQ(c->max_events_per_second, 250);   // environment over file
  EXPECT_EQ(c->commit_interval_ms, 1000);
  EXPECT_EQ(c->bulk_linger_ms, 50);
  EXPECT_EQ(c->apply_threads, 1);             // environment over file
  EXPECT_EQ(c->flush_timeout_ms, 5000);
  EXPECT_EQ(c->topics.input, "support.events");
  EXPECT_EQ(c->topics.escalations, "sla.escalations");
  EXPECT_EQ(c->http.port, 9000);
  EXPECT_EQ(c->http.tokens, (std::vector<std::string>{"a", "b"}));
}

TEST_F(ConfigTest, UnknownKeyNamesFileLineAndColumn) {
  const auto path = write("redis:\n  host: r\n  prot: 6380\n");
  auto c = sla::timerd::load_config(path, {});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find(path + ":3:3"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("prot"), std::string::npos) << c.error().message;
}

TEST_F(ConfigTest, BadValuesAreRejected) {
  auto c = sla::timerd::load_config(write("poll_ms: soon\n"), {});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find(":1:10"), std::string::npos) << c.error().message;
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_REDIS_PORT", "63 79"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_MAX_EVENTS_PER_SECOND", "-1"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_POLL_MS", "0"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_FLUSH_TIMEOUT_MS", "0"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_COMMIT_INTERVAL_MS", "0"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_BULK_LINGER_MS", "-5"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_APPLY_THREADS", "65"}}));
  EXPECT_FALSE(sla::timerd::load_config(write("kafka: [a, b]\n"), {}));
  auto broken = sla::timerd::load_config(write("redis: {host: r\n"), {});
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find(path_ + ":"), std::string::npos) << broken.error().message;
  auto missing = sla::timerd::load_config("/nonexistent/sla.yaml", {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/sla.yaml"), std::string::npos);
}

// Numbers are range-checked where their final value comes from: the port
// from the environment used to wrap (70000 became 4464).
TEST_F(ConfigTest, OutOfRangeNumbersAreRejectedNotWrapped) {
  auto c = sla::timerd::load_config("", {{"SLA_HTTP_PORT", "70000"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "environment: SLA_HTTP_PORT: 70000 is out of range (0..65535)");
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_HTTP_PORT", "-1"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_REDIS_PORT", "65536"}}));
  EXPECT_FALSE(sla::timerd::load_config("", {{"SLA_HTTP_THREADS", "4294967297"}}));
  const auto path = write("http: {port: 70000}\n");
  c = sla::timerd::load_config(path, {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, path + ":1:14: http.port: 70000 is out of range (0..65535)");
  // The environment wins, so a bad file value it replaces is only type-checked.
  c = sla::timerd::load_config(path, {{"SLA_HTTP_PORT", "9000"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.port, 9000);
  EXPECT_TRUE(sla::timerd::load_config("", {{"SLA_HTTP_PORT", "0"}}));  // any free port
  EXPECT_TRUE(sla::timerd::load_config("", {{"SLA_REDIS_CLUSTER", "1"}})->redis.cluster);
  c = sla::timerd::load_config("", {{"SLA_REDIS_CLUSTER", "maybe"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "environment: SLA_REDIS_CLUSTER: expected 1 or 0, got 'maybe'");
}

// Like `slactl validate` for policies: every problem in one pass, the file's
// in file order with their positions, then the environment's.
TEST_F(ConfigTest, EveryProblemIsListedAtOnce) {
  const auto path = write(
      "poll_ms: soon\n"
      "redis:\n"
      "  prot: 6380\n"
      "  port: 99999\n"
      "http: {threads: 0, tokens: a}\n"
      "colour: blue\n");
  auto c = sla::timerd::load_config(path, {{"SLA_POLL_BATCH", "0"}, {"SLA_APPLY_THREADS", "many"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message,
            path + ":1:10: poll_ms: expected a whole number, got 'soon'\n" +
            path + ":3:3: unknown key 'prot' in redis (expected one of: host, port, cluster, db, username, password, "
                   "key_prefix, connect_timeout_ms, command_timeout_ms)\n" +
            path + ":4:9: redis.port: 99999 is out of range (1..65535)\n" +
            path + ":5:17: http.threads: 0 is out of range (1..256)\n" +
            path + ":5:28: http.tokens: expected a list, got a scalar 'a'\n" +
            path + ":6:1: unknown key 'colour' in the settings (expected one of: policy, kafka, redis, topics, "
                   "http, poll_ms, flush_timeout_ms, embedded_partitions, max_events_per_second, poll_batch, "
                   "commit_interval_ms, bulk_linger_ms, apply_threads, dlq_max_bytes, assign_timeout_ms, max_lateness, "
                   "report_max_clocks, views_nice)\n"
            "environment: SLA_POLL_BATCH: 0 is out of range (1..100000)\n"
            "environment: SLA_APPLY_THREADS: expected a whole number, got 'many'");
}

}  // namespace
