#include "sla/http/log.hpp"

#include <spdlog/spdlog.h>

#include "sla/http/session.hpp"

namespace sla::http {

std::shared_ptr<spdlog::logger> logger() {
  // One named logger per adapter library (STYLE); a clone of the default so
  // the daemon's sinks and pattern (JSON) apply when it set them up first.
  static const std::shared_ptr<spdlog::logger> instance = [] {
    if (auto existing = spdlog::get("http")) return existing;
    auto l = spdlog::default_logger()->clone("http");
    try {
      spdlog::register_logger(l);
    } catch (const spdlog::spdlog_ex&) {
      if (auto existing = spdlog::get("http")) return existing;  // registered concurrently
    }
    return l;
  }();
  return instance;
}

namespace detail {

void log_session_error(std::string_view what, const boost::beast::error_code& ec) {
  namespace net = boost::asio;
  const bool ordinary = ec == net::error::operation_aborted || ec == net::error::connection_reset ||
                        ec == net::error::eof || ec == boost::beast::error::timeout ||
                        ec == net::error::broken_pipe || ec == boost::beast::http::error::partial_message;
  if (ordinary) {
    logger()->debug("connection {}: {}", what, ec.message());
  } else {
    logger()->warn("connection {}: {}", what, ec.message());
  }
}

}  // namespace detail

}  // namespace sla::http
