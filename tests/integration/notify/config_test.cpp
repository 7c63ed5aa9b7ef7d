// sla-notify's settings: YAML with file:line:col errors, SLA_NOTIFY_* and
// SLA_KAFKA_* over it, ranges checked.
#include "config.hpp"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sla::notify_service {
namespace {

using ::testing::HasSubstr;

std::string write(const std::string& text) {
  static int n = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("notify-config-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(NotifyConfig, Defaults) {
  const auto c = load_config("", {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.port, 8081);
  EXPECT_EQ(c->topics.pages, "sla.pages");
  EXPECT_EQ(c->topics.dlq, "sla.notify.dlq");
  EXPECT_EQ(c->topics.input, "tickets.events");
  EXPECT_EQ(c->kafka.group_id, "sla-notify");
  EXPECT_EQ(c->ca_file, "");
  EXPECT_TRUE(c->http.allowed_hosts.empty());
}

TEST(NotifyConfig, HttpAllowedHosts) {
  auto c = load_config(write("http: {allowed_hosts: [notify.example.com]}\n"), {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.allowed_hosts, (std::vector<std::string>{"notify.example.com"}));
  c = load_config(write("http: {allowed_hosts: [a]}\n"), {{"SLA_NOTIFY_HTTP_ALLOWED_HOSTS", "b, c"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.allowed_hosts, (std::vector<std::string>{"b", "c"}));
}

TEST(NotifyConfig, FileThenEnvironmentWins) {
  const auto path = write(R"(routes: /etc/sla/routes.yaml
kafka: {brokers: "k1:9092", group_id: g}
topics: {pages: p, dlq: d}
http: {address: 0.0.0.0, port: 9000}
tls: {ca_file: /etc/ca.pem}
pagerduty: {webhook_secret: s1}
request_timeout_ms: 3000
)");
  const auto c = load_config(path, {{"SLA_NOTIFY_HTTP_PORT", "9100"},
                                    {"SLA_NOTIFY_PAGERDUTY_WEBHOOK_SECRET", "s2"},
                                    {"SLA_KAFKA_BROKERS", "k2:9092"},
                                    {"SLA_NOTIFY_TOPIC_PAGES", "pages2"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->routes_path, "/etc/sla/routes.yaml");
  EXPECT_EQ(c->kafka.brokers, "k2:9092");
  EXPECT_EQ(c->kafka.group_id, "g");
  EXPECT_EQ(c->topics.pages, "pages2");
  EXPECT_EQ(c->topics.dlq, "d");
  EXPECT_EQ(c->http.address, "0.0.0.0");
  EXPECT_EQ(c->http.port, 9100);
  EXPECT_EQ(c->ca_file, "/etc/ca.pem");
  EXPECT_EQ(c->pagerduty_webhook_secret, "s2");
  EXPECT_EQ(c->request_timeout_ms, 3000);
}

TEST(NotifyConfig, ErrorsNameTheFileLineAndColumn) {
  auto c = load_config(write("http:\n  port: eighty\n"), {});
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr(".yaml:2:9: bad value for 'port'"));
  c = load_config(write("tls:\n  ca: x\n"), {});
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr(".yaml:2:3: unknown key 'ca' in 'tls'"));
  c = load_config("", {{"SLA_NOTIFY_IO_THREADS", "0"}});
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("io_threads must be in 1..64"));
  c = load_config("", {{"SLA_NOTIFY_POLL_MS", "5x"}});
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("SLA_NOTIFY_POLL_MS: not a number"));
}

}  // namespace
}  // namespace sla::notify_service
