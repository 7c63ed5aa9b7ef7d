#include "receiver.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <list>
#include <stdexcept>

#include <sys/socket.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

namespace sla::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Receiver::Impl {
  asio::io_context ioc;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  Behaviour behaviour;
  std::vector<ReceivedRequest> requests;
  std::list<std::thread> threads;
  std::list<std::shared_ptr<ssl::stream<tcp::socket>>> streams;
  bool stopping = false;
};

Receiver::Receiver(const std::string& cert_file, const std::string& key_file, Behaviour behaviour, std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
  impl_->behaviour = std::move(behaviour);
  impl_->tls.use_certificate_chain_file(cert_file);
  impl_->tls.use_private_key_file(key_file, ssl::context::pem);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] {
    for (;;) {
      beast::error_code ec;
      tcp::socket sock(impl_->ioc);
      impl_->acceptor.accept(sock, ec);
      if (ec) return;  // closed by stop()
      sock.set_option(tcp::no_delay(true), ec);
      const std::uint64_t conn_id = ++connections_;
      auto stream = std::make_shared<ssl::stream<tcp::socket>>(std::move(sock), impl_->tls);
      std::lock_guard lock(impl_->mutex);
      if (impl_->stopping) return;
      impl_->streams.push_back(stream);
      impl_->threads.emplace_back([this, stream, conn_id] {
        beast::error_code e;
        stream->handshake(ssl::stream_base::server, e);
        if (e) return;
        beast::flat_buffer buffer;
        for (;;) {
          http::request<http::string_body> req;
          http::read(*stream, buffer, req, e);
          if (e) return;
          ReceivedRequest r;
          r.target = std::string(req.target());
          for (const auto& f : req) {
            std::string name(f.name_string());
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            r.headers[name] = std::string(f.value());
          }
          r.body = req.body();
          r.connection = conn_id;
          Behaviour b;
          {
            std::lock_guard l(impl_->mutex);
            impl_->requests.push_back(r);
            b = impl_->behaviour;
          }
          impl_->cv.notify_all();
          const Reply reply = b ? b(r) : Reply{};
          if (reply.kind == Reply::Kind::kHang) {
            std::unique_lock l(impl_->mutex);
            impl_->cv.wait(l, [&] { return impl_->stopping; });
            return;
          }
          if (reply.kind == Reply::Kind::kCloseWithoutResponse) {
            stream->lowest_layer().close(e);
            return;
          }
          http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
          for (const auto& [k, v] : reply.headers) res.set(k, v);
          res.set(http::field::content_type, "application/json");
          res.body() = reply.body;
          res.keep_alive(reply.keep_alive && req.keep_alive());
          res.prepare_payload();
          if (reply.kind == Reply::Kind::kCloseMidResponse) {
            // The header and half the body, then the connection drops.
            http::response_serializer<http::string_body> sr(res);
            http::write_header(*stream, sr, e);
            const std::string half = reply.body.substr(0, reply.body.size() / 2);
            asio::write(*stream, asio::buffer(half), e);
            stream->lowest_layer().close(e);
            return;
          }
          http::write(*stream, res, e);
          if (e || !res.keep_alive()) {
            stream->lowest_layer().close(e);
            return;
          }
        }
      });
    }
  });
}

Receiver::~Receiver() { stop(); }

void Receiver::set_behaviour(Behaviour b) {
  std::lock_guard lock(impl_->mutex);
  impl_->behaviour = std::move(b);
}

std::vector<ReceivedRequest> Receiver::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::size_t Receiver::count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests.size();
}

bool Receiver::wait_for(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
                        std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] { return pred(impl_->requests); });
}

void Receiver::stop() {
  if (!impl_) return;
  std::list<std::thread> threads;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    beast::error_code ec;
    // shutdown() wakes the blocking accept() on Linux; close() alone does not.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    impl_->acceptor.close(ec);
    for (auto& s : impl_->streams) {
      s->lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  impl_->cv.notify_all();
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  {
    std::lock_guard lock(impl_->mutex);
    threads.swap(impl_->threads);
  }
  for (auto& t : threads) t.join();
}

std::string make_test_ca(const std::string& dir) {
  const std::string cmd = std::string(SLA_NOTIFY_CA_SCRIPT) + " '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make_test_ca.sh failed: " + cmd);
  return dir;
}

}  // namespace sla::testing
