#include "sla/webclient/client.hpp"

#include <optional>
#include <stdexcept>

// GCC 12's -Wnull-dereference fires inside Asio's strand/scheduler code once
// inlined (as in libs/http/session.hpp): Asio's paths, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#pragma GCC diagnostic pop

namespace sla::webclient {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return fail(ErrorCode::kInvalidArgument, "not an https URL");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('#') != std::string_view::npos) return fail(ErrorCode::kInvalidArgument, "URL has a fragment");
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  Url out;
  if (slash != std::string_view::npos) {
    out.target = std::string(rest.substr(slash));
    if (out.target.front() == '?') out.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "URL has user info (put secrets in the routes file fields)");
  }
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(ErrorCode::kInvalidArgument, "bad IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') return fail(ErrorCode::kInvalidArgument, "bad port");
      out.port = std::string(authority.substr(1));
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty()) return fail(ErrorCode::kInvalidArgument, "URL has no host");
  if (out.port.empty() || out.port.size() > 5 || out.port.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "bad port");
  }
  return out;
}

struct Client::Connection {
  Connection(const asio::any_io_executor& ex, ssl::context& tls) : stream(ex, tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
};

struct Client::Op : std::enable_shared_from_this<Client::Op> {
  Op(Client& c, Url u, Completion d) : client(c), url(std::move(u)), done(std::move(d)) {
    key = url.host + ":" + url.port;
    started = std::chrono::steady_clock::now();
  }

  Client& client;
  Url url;
  std::string key;
  http::request<http::string_body> req;
  Completion done;
  std::unique_ptr<Connection> conn;
  std::optional<tcp::resolver> resolver;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  std::chrono::steady_clock::time_point started;
  bool reused = false;
  bool retried = false;

  void start() {
    conn = client.take_idle(key);
    if (conn) {
      reused = true;
      asio::dispatch(conn->stream.get_executor(), [self = shared_from_this()] { self->write(); });
    } else {
      connect();
    }
  }

  void connect() {
    reused = false;
    const auto strand = asio::make_strand(client.ioc_);
    conn = std::make_unique<Connection>(strand, *client.tls_);
    // SNI, and the certificate must name the host (or the IP literal).
    // SSL_set_tlsext_host_name is a macro with a C cast; the call it expands to:
    if (SSL_ctrl(conn->stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(url.host.c_str())) != 1) {
      return finish_error("cannot set TLS server name", false);
    }
    conn->stream.set_verify_mode(ssl::verify_peer);
    conn->stream.set_verify_callback(ssl::host_name_verification(url.host));
    resolver.emplace(strand);
    asio::dispatch(strand, [self = shared_from_this()] {
      beast::get_lowest_layer(self->conn->stream).expires_after(self->client.options_.connect_timeout);
      self->resolver->async_resolve(
          self->url.host, self->url.port,
          [self](const beast::error_code& ec, const tcp::resolver::results_type& results) { self->on_resolve(ec, results); });
    });
  }

  void on_resolve(const beast::error_code& ec, const tcp::resolver::results_type& results) {
    if (ec) return finish_error("resolve " + url.host + ": " + ec.message(), false);
    beast::get_lowest_layer(conn->stream)
        .async_connect(results, [self = shared_from_this()](const beast::error_code& e, const tcp::endpoint&) {
          self->on_connect(e);
        });
  }

  void on_connect(const beast::error_code& ec) {
    if (ec) return finish_error("connect " + key + ": " + ec.message(), ec == beast::error::timeout);
    conn->stream.async_handshake(ssl::stream_base::client,
                                 [self = shared_from_this()](const beast::error_code& e) { self->on_handshake(e); });
  }

  void on_handshake(const beast::error_code& ec) {
    if (ec) return finish_error("TLS handshake with " + key + ": " + ec.message(), ec == beast::error::timeout);
    client.opened_.fetch_add(1);
    write();
  }

  void write() {
    beast::get_lowest_layer(conn->stream).expires_after(client.options_.request_timeout);
    http::async_write(conn->stream, req, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
      self->on_write(ec);
    });
  }

  void on_write(const beast::error_code& ec) {
    if (ec) return after_failure(ec, "write");
    parser.emplace();
    parser->body_limit(client.options_.max_response_body);
    buffer.clear();
    http::async_read(conn->stream, buffer, *parser, [self = shared_from_this()](const beast::error_code& e, std::size_t) {
      self->on_read(e);
    });
  }

  void after_failure(const beast::error_code& ec, const char* what) {
    const bool header_seen = parser && parser->is_header_done();
    // A pooled connection the server closed meanwhile fails before any
    // response byte: try once more on a fresh one (same request, so a
    // duplicate at worst, which the dedup_key makes harmless).
    if (reused && !retried && !header_seen && ec != beast::error::timeout) {
      retried = true;
      conn.reset();
      parser.reset();
      return connect();
    }
    finish_error(std::string(what) + " " + key + ": " + ec.message(), ec == beast::error::timeout);
  }

  void on_read(const beast::error_code& ec) {
    if (ec) return after_failure(ec, "read");
    auto res = parser->release();
    Response out;
    out.status = static_cast<int>(res.result_int());
    if (const auto it = res.find(http::field::retry_after); it != res.end()) out.retry_after = std::string(it->value());
    out.body = res.body().substr(0, client.options_.keep_body_bytes);
    out.reused = reused;
    out.elapsed = std::chrono::steady_clock::now() - started;
    if (res.keep_alive()) {
      beast::get_lowest_layer(conn->stream).expires_never();
      client.give_back(key, std::move(conn));
    } else {
      close();
    }
    done(std::move(out));
  }

  void close() {
    if (!conn) return;
    beast::error_code ignored;
    beast::get_lowest_layer(conn->stream).socket().close(ignored);
    conn.reset();
  }

  void finish_error(std::string message, bool timed_out) {
    close();
    Response out;
    out.error = std::move(message);
    out.timed_out = timed_out;
    out.reused = reused;
    out.elapsed = std::chrono::steady_clock::now() - started;
    done(std::move(out));
  }
};

Client::Client(asio::io_context& ioc, ClientOptions options)
    : ioc_(ioc), options_(std::move(options)), tls_(std::make_unique<ssl::context>(ssl::context::tls_client)) {
  tls_->set_verify_mode(ssl::verify_peer);
  tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (options_.ca_file.empty()) {
    tls_->set_default_verify_paths(ec);
  } else {
    tls_->load_verify_file(options_.ca_file, ec);
  }
  if (ec) {
    throw std::runtime_error("cannot load CA certificates" +
                             (options_.ca_file.empty() ? std::string() : " from " + options_.ca_file) + ": " +
                             ec.message());
  }
}

Client::~Client() { shutdown(); }

void Client::post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                  std::string body, Completion done) {
  auto parsed = parse_url(url);
  if (!parsed) {
    Response r;
    r.error = parsed.error().message;
    done(std::move(r));
    return;
  }
  auto op = std::make_shared<Op>(*this, std::move(*parsed), std::move(done));
  op->req.method(http::verb::post);
  op->req.target(op->url.target);
  op->req.version(11);
  op->req.set(http::field::host, op->url.port == "443" ? op->url.host : op->key);
  op->req.set(http::field::user_agent, options_.user_agent);
  for (const auto& [name, value] : headers) op->req.set(name, value);
  op->req.keep_alive(true);
  op->req.body() = std::move(body);
  op->req.prepare_payload();
  op->start();
}

std::unique_ptr<Client::Connection> Client::take_idle(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  auto c = std::move(it->second.back());
  it->second.pop_back();
  return c;
}

void Client::give_back(const std::string& key, std::unique_ptr<Connection> c) {
  std::unique_ptr<Connection> drop;
  {
    std::lock_guard lock(mutex_);
    auto& v = idle_[key];
    if (shut_ || v.size() >= options_.max_idle_per_host) {
      drop = std::move(c);
    } else {
      v.push_back(std::move(c));
    }
  }
  if (drop) {
    beast::error_code ignored;
    beast::get_lowest_layer(drop->stream).socket().close(ignored);
  }
}

void Client::shutdown() {
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  {
    std::lock_guard lock(mutex_);
    shut_ = true;
    idle.swap(idle_);
  }
  for (auto& [key, conns] : idle) {
    for (auto& c : conns) {
      beast::error_code ignored;
      beast::get_lowest_layer(c->stream).socket().close(ignored);
    }
  }
}

std::size_t Client::idle_connections() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [k, v] : idle_) n += v.size();
  return n;
}

}  // namespace sla::webclient
