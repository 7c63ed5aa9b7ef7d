// Server on a real loopback socket (127.0.0.1 only, ephemeral port).
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <poll.h>

#include <sys/socket.h>
#include <sys/time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#pragma GCC diagnostic pop
#include <gtest/gtest.h>

#include "sla/http/server.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

std::shared_ptr<const sla::http::Deps> deps() {
  auto d = std::make_shared<sla::http::Deps>();
  d->healthy = [] { return true; };
  d->ready = [] { return sla::http::Readiness{false, "no partitions assigned"}; };
  return d;
}

sla::http::ServerOptions loopback() {
  sla::http::ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.session.read_timeout = std::chrono::seconds(5);
  o.session.write_timeout = std::chrono::seconds(5);
  return o;
}

/// Sync reads never hang a failing test: they give up after 10 s.
void receive_timeout(tcp::socket& socket) {
  timeval tv{};
  tv.tv_sec = 10;
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/// A synchronous Beast client on 127.0.0.1 with a timeout on every step.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(ioc_) {
    stream_.expires_after(std::chrono::seconds(10));
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    receive_timeout(stream_.socket());
  }
  bhttp::response<bhttp::string_body> request(bhttp::verb method, const std::string& target,
                                              std::string body = {}, bool keep_alive = true,
                                              const std::vector<std::pair<bhttp::field, std::string>>& headers = {}) {
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.keep_alive(keep_alive);
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(stream_.socket(), req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream_.socket(), buffer_, res);
    return res;
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

TEST(Server, HealthzOverLoopback) {
  sla::http::Server server(loopback(), deps());
  ASSERT_TRUE(server.start());
  ASSERT_NE(server.port(), 0);
  Client client(server.port());
  auto res = client.request(bhttp::verb::get, "/healthz");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), R"({"status":"ok"})");
  // Same connection, second request.
  auto ready = client.request(bhttp::verb::get, "/readyz", {}, false);
  EXPECT_EQ(ready.result_int(), 503u);
  EXPECT_EQ(ready.body(), R"({"reason":"no partitions assigned","status":"not ready"})");
  server.stop();
  EXPECT_EQ(server.port(), 0);
}

TEST(Server, BodyLimitOnTheWire) {
  auto o = loopback();
  o.session.body_limit = 64;
  sla::http::Server server(o, deps());
  ASSERT_TRUE(server.start());
  Client client(server.port());
  auto res = client.request(bhttp::verb::post, "/v1/policy/validate", std::string(65, 'x'));
  EXPECT_EQ(res.result_int(), 413u);
}

TEST(Server, A413ArrivesWhileTheClientIsStillUploading) {
  auto o = loopback();
  o.session.body_limit = 64 * 1024;
  sla::http::Server server(o, deps());
  ASSERT_TRUE(server.start());
  Client client(server.port());
  // Far more than the socket buffers hold: the server answers 413 before the
  // upload is done, and must not reset the connection under it.
  auto res = client.request(bhttp::verb::post, "/v1/policy/validate", std::string(8 * 1024 * 1024, 'x'));
  EXPECT_EQ(res.result_int(), 413u);
}

TEST(Server, StopWithAnIdleConnectionOpenAndRestart) {
  sla::http::Server server(loopback(), deps());
  ASSERT_TRUE(server.start());
  {
    Client idle(server.port());
    server.stop();
  }
  ASSERT_TRUE(server.start());
  Client client(server.port());
  EXPECT_EQ(client.request(bhttp::verb::get, "/healthz").result_int(), 200u);
}

TEST(Server, HostAndOriginAreCheckedOnTheWire) {
  sla::http::Server server(loopback(), deps());
  ASSERT_TRUE(server.start());
  const std::string self = "127.0.0.1:" + std::to_string(server.port());
  Client client(server.port());
  // DNS rebinding: the browser sends the attacker's name as Host.
  auto res = client.request(bhttp::verb::get, "/healthz", {}, true, {{bhttp::field::host, "rebind.evil.example"}});
  EXPECT_EQ(res.result_int(), 421u);
  EXPECT_EQ(client.request(bhttp::verb::get, "/healthz", {}, true, {{bhttp::field::host, self}}).result_int(), 200u);
  // A page on another site posting: 403; the same request from the server's
  // own page gets through to the route (501: no deadline calculator here).
  const std::string body = R"({"calendar":"c","start":"2026-01-01T00:00:00Z","duration":"1h"})";
  res = client.request(bhttp::verb::post, "/v1/deadline", body, true,
                       {{bhttp::field::host, self}, {bhttp::field::origin, "http://evil.example"}});
  EXPECT_EQ(res.result_int(), 403u);
  res = client.request(bhttp::verb::post, "/v1/deadline", body, false,
                       {{bhttp::field::host, self}, {bhttp::field::origin, "http://" + self}});
  EXPECT_EQ(res.result_int(), 501u);
}

TEST(Server, IdleConnectionsTimeOut) {
  auto o = loopback();
  o.session.read_timeout = std::chrono::milliseconds(200);
  sla::http::Server server(o, deps());
  ASSERT_TRUE(server.start());
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
  receive_timeout(socket);
  // Half a request, then silence: the server must give up and close.
  net::write(socket, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
  const auto started = std::chrono::steady_clock::now();
  char byte = 0;
  beast::error_code ec;
  const std::size_t n = socket.read_some(net::buffer(&byte, 1), ec);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(Server, StartErrors) {
  sla::http::Server first(loopback(), deps());
  ASSERT_TRUE(first.start());
  auto again = first.start();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, sla::ErrorCode::kInternal);

  auto o = loopback();
  o.port = first.port();
  sla::http::Server second(o, deps());
  auto busy = second.start();
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, sla::ErrorCode::kUnavailable);

  auto bad = loopback();
  bad.address = "localhost";  // names are not resolved
  sla::http::Server third(bad, deps());
  auto invalid = third.start();
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, sla::ErrorCode::kInvalidArgument);
}

TEST(Server, TwoThreadsServeConcurrentClients) {
  auto o = loopback();
  o.threads = 2;
  sla::http::Server server(o, deps());
  ASSERT_TRUE(server.start());
  Client a(server.port());
  Client b(server.port());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a.request(bhttp::verb::get, "/healthz").result_int(), 200u);
    EXPECT_EQ(b.request(bhttp::verb::get, "/nope").result_int(), 404u);
  }
}

/// Whether the server closed `socket` (EOF or reset) within `ms`.
bool closed_by_server(tcp::socket& socket, int ms) {
  pollfd p{socket.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return false;
  char c = 0;
  const auto n = ::recv(socket.native_handle(), &c, 1, MSG_DONTWAIT);
  return n <= 0;
}

TEST(Server, IdleSocketsOverTheCapAreEvictedAndHealthzStillAnswers) {
  auto o = loopback();
  o.threads = 2;
  o.max_connections = 8;
  o.connection_reserve = 2;
  sla::http::Server server(o, deps());
  ASSERT_TRUE(server.start());
  net::io_context ioc;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 40; ++i) {
    idle.emplace_back(ioc);
    idle.back().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
  }
  Client probe(server.port());
  const auto t0 = std::chrono::steady_clock::now();
  auto res = probe.request(bhttp::verb::get, "/healthz");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  // The oldest idle sockets made room: closed by the server (EOF), never
  // more open than the cap plus the reserve.
  int closed = 0;
  for (auto& s : idle) closed += closed_by_server(s, 100) ? 1 : 0;
  EXPECT_GE(closed, 40 - 8 - 2);
  const auto stats = server.connection_stats();
  EXPECT_GE(stats.evicted + stats.refused, 40u - 8u - 2u);
  EXPECT_LE(stats.open, 8u + 2u);
}

TEST(Server, PastTheReserveWithEveryConnectionBusyNewOnesAreClosedAtOnce) {
  auto o = loopback();
  o.threads = 4;
  o.max_connections = 2;
  o.connection_reserve = 1;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> inside{0};
  sla::http::Server server(o, [&](const sla::http::Request& req) {
    inside.fetch_add(1);
    released.wait();
    return sla::http::error_response(req, 404, "late");
  });
  ASSERT_TRUE(server.start());
  // Three connections each inside a request (busy: not evictable).
  std::vector<std::future<unsigned>> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(std::async(std::launch::async, [port = server.port()] {
      Client c(port);
      return c.request(bhttp::verb::get, "/slow").result_int();
    }));
    while (inside.load() < i + 1) std::this_thread::yield();
  }
  net::io_context ioc;
  tcp::socket extra(ioc);
  extra.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
  EXPECT_TRUE(closed_by_server(extra, 5000));
  release.set_value();
  for (auto& f : busy) EXPECT_EQ(f.get(), 404u);
  EXPECT_EQ(server.connection_stats().refused, 1u);
}

}  // namespace
