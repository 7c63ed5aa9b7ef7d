#include "sla/http/origin.hpp"

#include <arpa/inet.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace sla::http {

namespace beast_http = boost::beast::http;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool all_digits(std::string_view text) { return text.find_first_not_of("0123456789") == std::string_view::npos; }

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::optional<std::string_view> header(const Request& request, beast_http::field name) {
  const auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string_view{it->value().data(), it->value().size()};
}

bool unsafe_method(beast_http::verb method) {
  return method != beast_http::verb::get && method != beast_http::verb::head && method != beast_http::verb::options;
}

}  // namespace

std::optional<Authority> parse_authority(std::string_view text) {
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {  // [v6] or [v6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port = rest.substr(1);
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    if (text.find(':', colon + 1) != std::string_view::npos) return std::nullopt;  // bare IPv6
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.ends_with('.')) host.remove_suffix(1);
  if (host.empty() || port.size() > 5 || !all_digits(port)) return std::nullopt;
  if (host.find_first_of(" \t/@?#\\") != std::string_view::npos) return std::nullopt;
  return Authority{lower(host), std::string(port)};
}

bool host_allowed(std::string_view host, const std::vector<std::string>& allowed_hosts) {
  const std::string h = lower(host);
  if (h == "localhost" || is_ip_literal(h)) return true;
  for (const auto& raw : allowed_hosts) {
    std::string entry = lower(raw);
    if (entry.ends_with('.')) entry.pop_back();
    if (entry == "*" || entry == h) return true;
    // ".example.com": the domain itself and every name under it.
    if (entry.size() > 1 && entry.starts_with('.') && (h.ends_with(entry) || h == entry.substr(1))) return true;
  }
  return false;
}

std::optional<Response> check_host(const Request& request, const std::vector<std::string>& allowed_hosts) {
  const auto value = header(request, beast_http::field::host);
  if (!value) return std::nullopt;
  const auto authority = parse_authority(*value);
  if (authority && host_allowed(authority->host, allowed_hosts)) return std::nullopt;
  return error_response(request, 421,
                        "host '" + std::string(*value) +
                            "' is not served here: the API answers to IP addresses, localhost and the names in "
                            "the http.allowed_hosts setting");
}

std::optional<Response> check_origin(const Request& request) {
  if (!unsafe_method(request.method())) return std::nullopt;
  const auto origin = header(request, beast_http::field::origin);
  if (!origin) return std::nullopt;
  const std::string method(request.method_string());
  auto refuse = [&](const std::string& why) {
    return error_response(request, 403, "cross-origin " + method + " refused: " + why);
  };
  std::string_view rest = *origin;
  std::string default_port;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    default_port = "80";
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    default_port = "443";
  } else {
    return refuse("Origin '" + std::string(*origin) + "' is not this server");
  }
  const auto from = parse_authority(rest);
  const auto host = header(request, beast_http::field::host);
  const auto to = host ? parse_authority(*host) : std::nullopt;
  if (!from || !to) return refuse("Origin '" + std::string(*origin) + "' is not this server");
  const std::string& from_port = from->port.empty() ? default_port : from->port;
  const std::string& to_port = to->port.empty() ? default_port : to->port;
  if (from->host != to->host || from_port != to_port) {
    return refuse("Origin '" + std::string(*origin) + "' is not this server (Host '" + std::string(*host) + "')");
  }
  return std::nullopt;
}

std::optional<Response> check_host_and_origin(const Request& request, const std::vector<std::string>& allowed_hosts) {
  if (auto denied = check_host(request, allowed_hosts)) return denied;
  return check_origin(request);
}

}  // namespace sla::http
