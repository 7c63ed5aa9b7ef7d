// Fuzz target for the HTTP request path (SPEC 8): raw bytes as a connection's
// input, parsed by Beast's request parser with the server's limits (as
// http::Session does), up to four pipelined requests, each answered by
// sla::http::handle with test Deps: once without auth and once with a bearer
// token required. The Deps use a real policy for /v1/policy, /v1/policy/validate
// (validate_policy_json: the loader as the daemon calls it) and /v1/deadline;
// the other callbacks echo what they were given. Invariants: never crashes;
// no 500 (no callback throws); every answer serialises; every JSON answer
// parses; a parse failure gets an error_response.
// LLVMFuzzerTestOneInput works with libFuzzer (the `fuzz` preset); without it
// main() is the corpus runner (sla/testing/fuzz_main.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "sla/http/handler.hpp"
#include "sla/http/views.hpp"
#include "sla/policy/loader.hpp"
#include "sla/testing/fuzz_main.hpp"
#include "sla/testing/sample_policy.hpp"

namespace {

using sla::testing::fuzz_require;

namespace bhttp = boost::beast::http;
using nlohmann::json;

std::shared_ptr<const sla::policy::Policy> sample_policy() {
  static const auto p = sla::testing::load_policy_file_or_abort(SLA_SAMPLE_POLICY);
  return p;
}

sla::http::Deps make_deps(bool auth) {
  sla::http::Deps d;
  d.healthy = [] { return true; };
  d.ready = [] { return sla::http::Readiness{false, "no partitions assigned"}; };
  d.metrics_text = [] { return std::string("# TYPE x counter\nx 1\n"); };
  d.ticket = [](std::string_view id) -> std::optional<json> {
    if (id.size() % 2 == 0) return std::nullopt;
    return json{{"ticket_id", std::string(id)}};
  };
  d.at_risk = [](const sla::http::AtRiskParams& p) {
    return json{{"within_ms", p.within_ms}, {"limit", p.limit}, {"tenant", p.tenant.value_or("")},
                {"plan", p.plan.value_or("")}, {"severity", p.severity.value_or("")},
                {"metric", p.metric.value_or("")}, {"tickets", json::array()}};
  };
  d.ack_page = [](std::string_view page_id, std::string_view responder) -> sla::Result<json> {
    if (page_id.find('/') == std::string_view::npos) {
      return sla::fail(sla::ErrorCode::kInvalidArgument, "not a page id");
    }
    return json{{"page_id", std::string(page_id)}, {"responder", std::string(responder)}};
  };
  d.policy_summary = [] { return sla::http::policy_json(*sample_policy()); };
  d.validate_policy = [](std::string_view text) {
    sla::policy::LoadOptions o;
    o.file = "posted.yaml";
    return sla::http::validate_policy_json(text, o);
  };
  d.deadline = [](std::string_view cal, sla::EpochMillis start, const sla::calendar::Duration& dur) {
    return sla::http::policy_deadline(*sample_policy(), cal, start, dur);
  };
  if (auth) d.bearer_tokens = {"s3cret", "other-token"};
  return d;
}

void check_response(const sla::http::Response& res) {
  const unsigned status = res.result_int();
  fuzz_require(status != 500, "no callback throws, so no 500");
  fuzz_require(status >= 200 && status < 600, "a status code");
  const auto type = res[bhttp::field::content_type];
  if (type.starts_with("application/json")) {
    fuzz_require(json::accept(res.body()), "a JSON answer parses");
  }
  std::ostringstream wire;
  wire << res;
  fuzz_require(!wire.str().empty(), "the answer serialises");
}

void answer(const sla::http::Request& req) {
  static const sla::http::Deps open_deps = make_deps(false);
  static const sla::http::Deps auth_deps = make_deps(true);
  check_response(sla::http::handle(req, open_deps));
  check_response(sla::http::handle(req, auth_deps));
}

void check(std::string_view bytes) {
  for (int i = 0; i < 4 && !bytes.empty(); ++i) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(std::size_t{1} << 20);  // ServerOptions::session defaults
    parser.header_limit(16 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec == bhttp::error::need_more && used > 0) continue;
      break;
    }
    if (ec == bhttp::error::need_more) return;  // the input ends inside a request: no answer
    if (ec) {
      check_response(sla::http::error_response(parser.get(), 400, ec.message()));
      return;
    }
    if (!parser.is_done()) return;
    answer(parser.get());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifndef SLA_LIBFUZZER
int main(int argc, char** argv) {
  return sla::testing::run_fuzz_corpus("http_fuzz", argc, argv, check, 500, "");
}
#endif
