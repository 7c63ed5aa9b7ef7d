// sla::http Host and Origin checks: what keeps a web page opened on the
// operator's machine from using the local API. A page on another site can
// make the browser POST to http://127.0.0.1:8080 (cross-site request
// forgery; the browser sends its `Origin`), and through DNS rebinding it can
// read answers under its own name (the browser sends `Host: its-name`). So
// a request is answered only when its Host is an IP literal, `localhost` or
// a configured name, and a state-changing one only when its Origin, if
// sent, is the server itself. Probes, scrapes and command-line clients (an
// IP or a configured name as Host, no Origin) pass. Pure functions; not the
// routing (handler.hpp) and not authentication (bearer tokens, handler.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sla/http/handler.hpp"

namespace sla::http {

/// A Host or Origin authority split into a lower-case host (IPv6 without
/// its brackets, a trailing dot dropped) and the port as written ("" when
/// absent).
struct Authority {
  std::string host;
  std::string port;
};

/// Parses `host[:port]` or `[v6]:port`. nullopt when malformed (empty host,
/// non-digit port, an unbracketed IPv6 address).
[[nodiscard]] std::optional<Authority> parse_authority(std::string_view text);

/// Whether `host` (as parse_authority returns it) may be served: an IPv4 or
/// IPv6 literal, `localhost`, or matched by `allowed_hosts`, whose entries
/// are names (case-insensitive, no port), `.example.com` for that domain and
/// every name under it, or `*` for any host.
[[nodiscard]] bool host_allowed(std::string_view host, const std::vector<std::string>& allowed_hosts);

/// The Host rule: nullopt when the request may be served (its Host passes
/// host_allowed, or it has no Host header: browsers always send one), else
/// 421 with a JSON error naming the host and the setting.
[[nodiscard]] std::optional<Response> check_host(const Request& request,
                                                 const std::vector<std::string>& allowed_hosts);

/// The Origin rule, for methods other than GET, HEAD and OPTIONS: nullopt
/// when there is no Origin header (not a browser, or a same-origin GET) or
/// when its host and port are the request's Host (a missing port counts as
/// the scheme's default: 80 for http, 443 for https), else 403 with a JSON
/// error. `Origin: null` (sandboxed frames, file: pages) is refused.
[[nodiscard]] std::optional<Response> check_origin(const Request& request);

/// check_host, then check_origin.
[[nodiscard]] std::optional<Response> check_host_and_origin(const Request& request,
                                                            const std::vector<std::string>& allowed_hosts);

}  // namespace sla::http
