// The Host and Origin rules (origin.hpp) on their own and through handle():
// a page in the operator's browser can neither post to the local API
// (cross-site request forgery) nor read it under its own name (DNS
// rebinding), while probes, scrapes, the CLI and the dashboard keep working.
#include "sla/http/origin.hpp"

#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <gtest/gtest.h>

namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;
using sla::http::Request;
using sla::http::Response;

Request make(bhttp::verb method, std::string target, const char* host, const char* origin = nullptr) {
  Request r{method, target, 11};
  if (host != nullptr) r.set(bhttp::field::host, host);
  if (origin != nullptr) r.set(bhttp::field::origin, origin);
  r.prepare_payload();
  return r;
}

std::string error_of(const Response& res) { return json::parse(res.body()).at("error").get<std::string>(); }

TEST(Authority, SplitsHostAndPort) {
  auto a = sla::http::parse_authority("Example.COM.:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, "8080");
  a = sla::http::parse_authority("[::1]:9");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, "9");
  a = sla::http::parse_authority("10.0.0.7");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, "");
  for (const char* bad : {"", ":80", "::1", "[::1", "[::1]x", "a:b", "a:123456", "a b", "a/b", "u@h"}) {
    EXPECT_FALSE(sla::http::parse_authority(bad)) << bad;
  }
}

TEST(HostRule, IpLiteralsAndLocalhostAlwaysPass) {
  for (const char* h : {"127.0.0.1", "10.42.3.17", "::1", "fe80::1", "localhost", "LOCALHOST"}) {
    EXPECT_TRUE(sla::http::host_allowed(h, {})) << h;
  }
  for (const char* h : {"evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "127.1", "sla-timer"}) {
    EXPECT_FALSE(sla::http::host_allowed(h, {})) << h;
  }
}

TEST(HostRule, ConfiguredNamesDomainsAndStar) {
  const std::vector<std::string> allowed{"SLA.example.com", ".svc.cluster.local"};
  EXPECT_TRUE(sla::http::host_allowed("sla.example.com", allowed));
  EXPECT_TRUE(sla::http::host_allowed("sla-timer.ops.svc.cluster.local", allowed));
  EXPECT_TRUE(sla::http::host_allowed("svc.cluster.local", allowed));
  EXPECT_FALSE(sla::http::host_allowed("evilsvc.cluster.local", allowed));
  EXPECT_FALSE(sla::http::host_allowed("x.sla.example.com", allowed));
  EXPECT_TRUE(sla::http::host_allowed("anything.at.all", {"*"}));
}

TEST(HostRule, RefusesAnUnknownNameWith421) {
  auto denied = sla::http::check_host(make(bhttp::verb::get, "/metrics", "rebind.evil.example:8080"), {});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->result_int(), 421u);
  EXPECT_NE(error_of(*denied).find("rebind.evil.example"), std::string::npos);
  EXPECT_NE(error_of(*denied).find("http.allowed_hosts"), std::string::npos);
  EXPECT_TRUE(sla::http::check_host(make(bhttp::verb::get, "/", "a b"), {"*"}));  // malformed, even with *
  EXPECT_TRUE(sla::http::check_host(make(bhttp::verb::get, "/", "[::1"), {}));  // malformed
  // A Kubernetes probe or scrape (Host: pod IP:port) and a client without Host.
  EXPECT_FALSE(sla::http::check_host(make(bhttp::verb::get, "/readyz", "10.244.1.9:8080"), {}));
  EXPECT_FALSE(sla::http::check_host(make(bhttp::verb::get, "/readyz", nullptr), {}));
}

TEST(OriginRule, RefusesCrossOriginUnsafeMethods) {
  for (auto method : {bhttp::verb::post, bhttp::verb::put, bhttp::verb::delete_, bhttp::verb::patch}) {
    auto denied = sla::http::check_origin(make(method, "/v1/deadline", "127.0.0.1:8080", "https://evil.example"));
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->result_int(), 403u);
    EXPECT_NE(error_of(*denied).find("evil.example"), std::string::npos);
  }
  // Same host, another port is another origin; so is `null`.
  for (const char* o : {"http://127.0.0.1:8081", "null", "http://localhost:8080", "file://", "http://127.0.0.1"}) {
    EXPECT_TRUE(sla::http::check_origin(make(bhttp::verb::post, "/v1/deadline", "127.0.0.1:8080", o))) << o;
  }
  // An Origin with nothing to compare it to.
  EXPECT_TRUE(sla::http::check_origin(make(bhttp::verb::post, "/v1/deadline", nullptr, "http://127.0.0.1:8080")));
}

TEST(OriginRule, LetsSameOriginSafeMethodsAndNonBrowsersThrough) {
  EXPECT_FALSE(sla::http::check_origin(make(bhttp::verb::post, "/x", "127.0.0.1:8080", "http://127.0.0.1:8080")));
  EXPECT_FALSE(sla::http::check_origin(make(bhttp::verb::post, "/x", "[::1]:8080", "http://[::1]:8080")));
  // Default ports: behind a TLS ingress the Host has no port.
  EXPECT_FALSE(sla::http::check_origin(make(bhttp::verb::post, "/x", "sla.example.com", "https://SLA.example.com")));
  EXPECT_FALSE(sla::http::check_origin(make(bhttp::verb::post, "/x", "sla.example.com", "https://sla.example.com:443")));
  EXPECT_FALSE(sla::http::check_origin(make(bhttp::verb::post, "/x", "sla.example.com:80", "http://sla.example.com")));
  EXPECT_TRUE(sla::http::check_origin(make(bhttp::verb::post, "/x", "sla.example.com:80", "https://sla.example.com")));
  // curl and slactl send no Origin; GETs are not the Origin rule's business.
  EXPECT_FALSE(sla::http::check_origin(make(bhttp::verb::post, "/x", "127.0.0.1:8080")));
  EXPECT_FALSE(sla::http::check_origin(make(bhttp::verb::get, "/x", "127.0.0.1:8080", "https://evil.example")));
}

class HandleChecks : public ::testing::Test {
 protected:
  int validations = 0;
  int readiness = 0;
  sla::http::Deps deps;
  void SetUp() override {
    deps.ready = [this] {
      ++readiness;
      return sla::http::Readiness{true, ""};
    };
    deps.metrics_text = [] { return std::string("x 1\n"); };
    deps.validate_policy = [this](std::string_view) {
      ++validations;
      return json{{"ok", true}, {"errors", json::array()}};
    };
  }
};

TEST_F(HandleChecks, ACrossSitePostNeverReachesTheCallback) {
  Request r = make(bhttp::verb::post, "/v1/policy/validate", "127.0.0.1:8080", "http://evil.example");
  r.body() = "plans: {}";
  r.prepare_payload();
  EXPECT_EQ(sla::http::handle(r, deps).result_int(), 403u);
  EXPECT_EQ(validations, 0);
  r.set(bhttp::field::origin, "http://127.0.0.1:8080");  // the dashboard's own page
  EXPECT_EQ(sla::http::handle(r, deps).result_int(), 200u);
  r.erase(bhttp::field::origin);  // curl, slactl
  EXPECT_EQ(sla::http::handle(r, deps).result_int(), 200u);
  EXPECT_EQ(validations, 2);
}

TEST_F(HandleChecks, ARebindingNameReadsNothing) {
  for (const char* path : {"/readyz", "/metrics", "/", "/v1/policy"}) {
    auto res = sla::http::handle(make(bhttp::verb::get, path, "rebind.evil.example:8080"), deps);
    EXPECT_EQ(res.result_int(), 421u) << path;
    EXPECT_EQ(res.body().find("x 1"), std::string::npos);
  }
  EXPECT_EQ(readiness, 0);
  deps.allowed_hosts = {"sla.example.com"};
  EXPECT_EQ(sla::http::handle(make(bhttp::verb::get, "/readyz", "sla.example.com"), deps).result_int(), 200u);
  EXPECT_EQ(sla::http::handle(make(bhttp::verb::get, "/readyz", "rebind.evil.example"), deps).result_int(), 421u);
}

TEST_F(HandleChecks, ProbesScrapesAndTheDashboardKeepWorking) {
  // kubelet and Prometheus: Host is the pod IP and port, no Origin.
  EXPECT_EQ(sla::http::handle(make(bhttp::verb::get, "/readyz", "10.244.1.9:8080"), deps).result_int(), 200u);
  EXPECT_EQ(sla::http::handle(make(bhttp::verb::get, "/metrics", "[fd00::9]:8080"), deps).result_int(), 200u);
  // The dashboard and its same-origin fetches (Chrome sends Origin on them).
  EXPECT_EQ(sla::http::handle(make(bhttp::verb::get, "/", "localhost:8080"), deps).result_int(), 200u);
  EXPECT_EQ(sla::http::handle(make(bhttp::verb::get, "/metrics", "localhost:8080", "http://localhost:8080"), deps)
                .result_int(),
            200u);
}

}  // namespace
