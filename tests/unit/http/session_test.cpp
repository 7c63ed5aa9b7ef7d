// Session<test::stream>: requests in, responses out, keep-alive, pipelining,
// limits, and failures at every step (fail_count) without crashing.
#include <memory>
#include <string>

// Same Asio -Wnull-dereference false positives as in session.hpp.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/fail_count.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#pragma GCC diagnostic pop
#include <gtest/gtest.h>

#include "sla/http/session.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using sla::http::Request;
using sla::http::Response;
using sla::http::Session;
using sla::http::SessionOptions;
using TestStream = beast::test::stream;

std::shared_ptr<const sla::http::RequestHandler> echo_handler(int* calls = nullptr) {
  return std::make_shared<const sla::http::RequestHandler>([calls](const Request& req) {
    if (calls != nullptr) ++*calls;
    Response res{bhttp::status::ok, req.version()};
    res.keep_alive(req.keep_alive());
    res.body() = std::string(req.target()) + "|" + req.body();
    res.prepare_payload();
    return res;
  });
}

/// Parses every response the client received.
std::vector<bhttp::response<bhttp::string_body>> responses(const std::string& wire) {
  std::vector<bhttp::response<bhttp::string_body>> out;
  std::string rest = wire;
  while (!rest.empty()) {
    bhttp::response_parser<bhttp::string_body> p;
    p.eager(true);
    beast::error_code ec;
    const std::size_t n = p.put(net::buffer(rest), ec);
    if (ec || !p.is_done()) break;
    out.push_back(p.release());
    rest.erase(0, n);
  }
  return out;
}

/// A session's stream and the test's client stream, connected.
struct Pair {
  net::io_context ioc;
  TestStream server{ioc};
  TestStream client{ioc};
  Pair() { server.connect(client); }

  /// Writes `request` as the client, runs `session` over it (the test's
  /// reference dropped, so the session lives only as long as its own work)
  /// and returns every response the client received.
  std::vector<bhttp::response<bhttp::string_body>> exchange(std::shared_ptr<Session<TestStream>> session,
                                                             const std::string& request) {
    client.write_some(net::buffer(request));
    session->run();
    session.reset();
    ioc.run();
    return responses(std::string(client.str()));
  }
};

TEST(Session, AnswersOneRequestThenClosesOnConnectionClose) {
  Pair p;
  int calls = 0;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(&calls), SessionOptions{});
  std::weak_ptr<Session<TestStream>> weak = s;
  auto rs = p.exchange(std::move(s), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(rs.size(), 1u) << p.client.str();
  EXPECT_EQ(rs[0].result_int(), 200u);
  EXPECT_EQ(rs[0].body(), "/healthz|");
  EXPECT_FALSE(rs[0].keep_alive());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(weak.expired());
}

TEST(Session, KeepAliveServesTwoRequestsInOrder) {
  Pair p;
  int calls = 0;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(&calls), SessionOptions{});
  std::weak_ptr<Session<TestStream>> weak = s;
  s->run();
  s.reset();
  p.client.write_some(net::buffer(std::string("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")));
  p.ioc.poll();
  p.ioc.restart();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(weak.expired()) << "the session waits for the next request";
  p.client.write_some(
      net::buffer(std::string("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz")));
  p.ioc.poll();
  p.ioc.restart();
  EXPECT_EQ(calls, 2);
  p.client.close();  // the peer sees eof and closes
  p.ioc.run();
  EXPECT_TRUE(weak.expired());
  auto rs = responses(std::string(p.client.str()));
  ASSERT_EQ(rs.size(), 2u) << p.client.str();
  EXPECT_EQ(rs[0].body(), "/a|");
  EXPECT_TRUE(rs[0].keep_alive());
  EXPECT_EQ(rs[1].body(), "/b|xyz");
}

TEST(Session, PipelinedRequestsBeyondTheQueueAreAllAnswered) {
  Pair p;
  int calls = 0;
  SessionOptions o;
  o.max_queue = 2;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(&calls), o);
  std::string wire;
  for (int i = 0; i < 6; ++i) wire += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  wire += "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto rs = p.exchange(std::move(s), wire);
  ASSERT_EQ(rs.size(), 7u) << p.client.str();
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(rs[static_cast<std::size_t>(i)].body(), "/" + std::to_string(i) + "|");
  EXPECT_EQ(rs[6].body(), "/last|");
  EXPECT_EQ(calls, 7);
}

TEST(Session, ExpectContinueIsAnsweredBeforeTheBody) {
  Pair p;
  int calls = 0;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(&calls), SessionOptions{});
  s->run();
  s.reset();
  p.client.write_some(
      net::buffer(std::string("POST /v1/policy/validate HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                              "Content-Length: 3\r\nConnection: close\r\n\r\n")));
  p.ioc.poll();
  p.ioc.restart();
  EXPECT_EQ(std::string(p.client.str()), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(calls, 0);
  p.client.write_some(net::buffer(std::string("abc")));
  p.ioc.run();
  auto rs = responses(std::string(p.client.str()));
  ASSERT_EQ(rs.size(), 2u) << p.client.str();
  EXPECT_EQ(rs[0].result_int(), 100u);
  EXPECT_EQ(rs[1].result_int(), 200u);
  EXPECT_EQ(rs[1].body(), "/v1/policy/validate|abc");
}

TEST(Session, ExpectContinueWithAnOversizeBodyIs413Straight) {
  Pair p;
  SessionOptions o;
  o.body_limit = 8;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(), o);
  auto rs = p.exchange(std::move(s), "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: 1000000\r\n\r\n");
  ASSERT_EQ(rs.size(), 1u) << p.client.str();
  EXPECT_EQ(rs[0].result_int(), 413u);
}

TEST(Session, OversizeBodyIs413AndCloses) {
  Pair p;
  int calls = 0;
  SessionOptions o;
  o.body_limit = 8;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(&calls), o);
  std::weak_ptr<Session<TestStream>> weak = s;
  auto rs = p.exchange(std::move(s), "POST /v1/policy/validate HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n123456789");
  ASSERT_EQ(rs.size(), 1u) << p.client.str();
  EXPECT_EQ(rs[0].result_int(), 413u);
  EXPECT_FALSE(rs[0].keep_alive());
  EXPECT_NE(rs[0].body().find("\"error\""), std::string::npos);
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(weak.expired());
}

TEST(Session, MalformedRequestIs400AndCloses) {
  Pair p;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(), SessionOptions{});
  auto rs = p.exchange(std::move(s), "GET /x HTTP/9.9\r\n\r\n");
  ASSERT_EQ(rs.size(), 1u) << p.client.str();
  EXPECT_EQ(rs[0].result_int(), 400u);
}

TEST(Session, HugeHeaderIs431) {
  Pair p;
  SessionOptions o;
  o.header_limit = 256;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(), o);
  auto rs = p.exchange(std::move(s), "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1000, 'a') + "\r\n\r\n");
  ASSERT_EQ(rs.size(), 1u) << p.client.str();
  EXPECT_EQ(rs[0].result_int(), 431u);
}

TEST(Session, ClosedStreamEndsTheSessionQuietly) {
  Pair p;
  int calls = 0;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(&calls), SessionOptions{});
  std::weak_ptr<Session<TestStream>> weak = s;
  p.client.close();
  s->run();
  s.reset();
  p.ioc.run();
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(weak.expired());
}

TEST(Session, PartialRequestThenCloseEndsQuietly) {
  Pair p;
  int calls = 0;
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), echo_handler(&calls), SessionOptions{});
  std::weak_ptr<Session<TestStream>> weak = s;
  p.client.write_some(
      net::buffer(std::string("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")));
  p.client.close();
  s->run();
  s.reset();
  p.ioc.run();
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(weak.expired());
}

TEST(Session, FailuresAtEveryStepNeverCrashOrLeak) {
  // Fail the n-th stream operation for growing n until a run succeeds.
  bool succeeded = false;
  for (std::size_t n = 0; n < 50 && !succeeded; ++n) {
    beast::test::fail_count fc(n);
    net::io_context ioc;
    TestStream server(ioc, fc);
    TestStream client(ioc);
    server.connect(client);
    int calls = 0;
    SessionOptions o;
    o.max_queue = 1;
    auto s = std::make_shared<Session<TestStream>>(std::move(server), echo_handler(&calls), o);
    std::weak_ptr<Session<TestStream>> weak = s;
    client.write_some(
        net::buffer(std::string("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
    client.close();
    s->run();
    s.reset();
    ioc.run();
    EXPECT_TRUE(weak.expired()) << "n=" << n;
    if (responses(std::string(client.str())).size() == 3) succeeded = true;
  }
  EXPECT_TRUE(succeeded);
}

TEST(Session, WithTheRealHandler) {
  Pair p;
  auto deps = std::make_shared<sla::http::Deps>();
  deps->healthy = [] { return true; };
  auto handler = std::make_shared<const sla::http::RequestHandler>(
      [deps](const Request& req) { return sla::http::handle(req, *deps); });
  auto s = std::make_shared<Session<TestStream>>(std::move(p.server), handler, SessionOptions{});
  p.client.write_some(
      // An IP as Host: the real handler refuses names it does not serve (origin.hpp).
      net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
                              "GET /missing HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n")));
  s->run();
  s.reset();
  p.ioc.run();
  auto rs = responses(std::string(p.client.str()));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].result_int(), 200u);
  EXPECT_EQ(rs[0].body(), R"({"status":"ok"})");
  EXPECT_EQ(rs[1].result_int(), 404u);
}

}  // namespace
