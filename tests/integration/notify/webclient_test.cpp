// The HTTPS client against a real TLS server on loopback with a CA made by
// the test: certificate and host verification, connection reuse, timeouts,
// Retry-After, a connection closed mid-response, and a pooled connection the
// server closed meanwhile.
#include "sla/webclient/client.hpp"

#include <future>
#include <thread>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "receiver.hpp"

namespace sla::webclient {
namespace {

using ::testing::HasSubstr;
using sla::testing::Receiver;
using sla::testing::Reply;

const std::string& ca_dir() {
  static const std::string dir = sla::testing::make_test_ca("/tmp/sla-notify-test-ca-" + std::to_string(::getuid()));
  return dir;
}

class WebClient : public ::testing::Test {
 protected:
  void SetUp() override { io_thread_ = std::thread([this] { ioc_.run(); }); }
  void TearDown() override {
    for (auto& c : clients_) c->shutdown();
    work_.reset();
    ioc_.stop();
    io_thread_.join();
  }
  Client& client(ClientOptions o = {}) {
    if (o.ca_file.empty()) o.ca_file = ca_dir() + "/ca.pem";
    clients_.push_back(std::make_unique<Client>(ioc_, o));
    return *clients_.back();
  }
  static Response post(Client& c, const std::string& url, std::string body = "{}") {
    std::promise<Response> p;
    c.post(url, {{"Content-Type", "application/json"}, {"X-Test", "1"}}, std::move(body),
           [&](Response r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  static std::unique_ptr<Receiver> receiver(Receiver::Behaviour b = {}, const std::string& cert = "server") {
    return std::make_unique<Receiver>(ca_dir() + "/" + cert + ".pem", ca_dir() + "/" + cert + ".key", std::move(b));
  }

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::thread io_thread_;
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST(Url, Parse) {
  auto u = parse_url("https://example.com/v2/enqueue?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/v2/enqueue?x=1");
  u = parse_url("https://127.0.0.1:8443");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->target, "/");
  u = parse_url("https://[::1]:9/a");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_FALSE(parse_url("http://example.com/"));
  EXPECT_FALSE(parse_url("https://user:pw@example.com/"));
  EXPECT_FALSE(parse_url("https://example.com:x/"));
  EXPECT_FALSE(parse_url("https:///path"));
}

TEST_F(WebClient, PostsOverVerifiedTlsAndReusesTheConnection) {
  auto rx = receiver();
  auto& c = client();
  for (int i = 0; i < 5; ++i) {
    const auto r = post(c, rx->url("/hook"), R"({"n":)" + std::to_string(i) + "}");
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"success"})");
    EXPECT_EQ(r.reused, i > 0);
  }
  EXPECT_EQ(c.connections_opened(), 1u);
  EXPECT_EQ(rx->connections(), 1u);
  const auto reqs = rx->requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[4].target, "/hook");
  EXPECT_EQ(reqs[4].body, R"({"n":4})");
  EXPECT_EQ(reqs[4].header("x-test"), "1");
  EXPECT_EQ(reqs[4].header("content-type"), "application/json");
  EXPECT_EQ(reqs[4].header("user-agent"), "sla-notify");
}

TEST_F(WebClient, RefusesAServerItsCaDidNotSign) {
  auto rx = receiver();
  ClientOptions o;
  o.ca_file = ca_dir() + "/other-ca.pem";
  auto& c = client(o);
  const auto r = post(c, rx->url());
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.error, HasSubstr("handshake"));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(rx->count(), 0u);  // nothing was sent
}

TEST_F(WebClient, RefusesACertificateForAnotherHost) {
  auto rx = receiver({}, "wronghost");
  auto& c = client();
  const auto r = post(c, rx->url());
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.error, HasSubstr("handshake"));
  EXPECT_EQ(rx->count(), 0u);
}

TEST_F(WebClient, ReportsStatusAndRetryAfter) {
  auto rx = receiver([](const auto& req) {
    Reply r;
    r.status = req.target == "/busy" ? 429 : 500;
    if (r.status == 429) r.headers.emplace_back("Retry-After", "7");
    return r;
  });
  auto& c = client();
  auto r = post(c, rx->url("/busy"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after, "7");
  r = post(c, rx->url("/broken"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.retry_after, "");
}

TEST_F(WebClient, AHangingServerTimesOut) {
  auto rx = receiver([](const auto&) {
    Reply r;
    r.kind = Reply::Kind::kHang;
    return r;
  });
  ClientOptions o;
  o.request_timeout = std::chrono::milliseconds(300);
  auto& c = client(o);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = post(c, rx->url());
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.status, 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  EXPECT_EQ(rx->count(), 1u);
  rx->stop();
}

TEST_F(WebClient, AConnectionClosedMidResponseIsATransportError) {
  auto rx = receiver([](const auto&) {
    Reply r;
    r.kind = Reply::Kind::kCloseMidResponse;
    r.body = std::string(2000, 'x');
    return r;
  });
  auto& c = client();
  const auto r = post(c, rx->url());
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(rx->count(), 1u);  // header seen: no silent resend
}

TEST_F(WebClient, APooledConnectionClosedByTheServerIsReplacedOnce) {
  auto rx = receiver();
  auto& c = client();
  ASSERT_EQ(post(c, rx->url()).status, 200);
  EXPECT_EQ(c.idle_connections(), 1u);
  // The server drops its idle connection (as servers do after keep-alive timeouts).
  const auto port = rx->port();
  rx.reset();
  rx = std::make_unique<Receiver>(ca_dir() + "/server.pem", ca_dir() + "/server.key", Receiver::Behaviour{}, port);
  const auto r = post(c, rx->url());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(c.connections_opened(), 2u);
  EXPECT_EQ(rx->count(), 1u);
}

TEST_F(WebClient, RefusedConnectionIsATransportError) {
  std::uint16_t port = 0;
  {
    auto rx = receiver();
    port = rx->port();
  }
  auto& c = client();
  const auto r = post(c, "https://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.error, HasSubstr("connect"));
}

TEST_F(WebClient, ConcurrentRequestsOpenSeveralConnections) {
  auto rx = receiver();
  auto& c = client();
  constexpr int kN = 8;
  std::vector<std::promise<Response>> ps(kN);
  for (int i = 0; i < kN; ++i) {
    c.post(rx->url(), {}, "{}", [&ps, i](Response r) { ps[static_cast<std::size_t>(i)].set_value(std::move(r)); });
  }
  for (auto& p : ps) EXPECT_EQ(p.get_future().get().status, 200);
  EXPECT_EQ(rx->count(), static_cast<std::size_t>(kN));
  EXPECT_GE(c.idle_connections(), 1u);
}

}  // namespace
}  // namespace sla::webclient
