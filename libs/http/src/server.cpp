#include "sla/http/server.hpp"

#include <algorithm>
#include <atomic>

#include <sys/resource.h>
#include <deque>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

// See session.hpp: Asio's own -Wnull-dereference false positives.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#pragma GCC diagnostic pop
#include <spdlog/spdlog.h>

#include "sla/http/log.hpp"

namespace sla::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// Accepts connections forever, each on its own strand, until its acceptor
/// is closed.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using TcpSession = Session<boost::beast::tcp_stream>;

  Listener(net::io_context& ioc, tcp::acceptor acceptor, std::shared_ptr<const RequestHandler> handler,
           const ServerOptions& options)
      : ioc_(ioc),
        acceptor_(std::move(acceptor)),
        handler_(std::move(handler)),
        options_(options.session),
        max_connections_(options.max_connections == 0 ? 1 : options.max_connections),
        reserve_(options.connection_reserve) {}

  void run() { do_accept(); }

  /// Only once no thread runs the io_context.
  void close() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: keep serving the connections we
      // have, and back off so a persistent failure is not a busy loop.
      logger()->warn("accept: {}", ec.message());
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([self = shared_from_this()](boost::system::error_code wec) {
        if (!wec && self->acceptor_.is_open()) self->do_accept();
      });
      return;
    }
    admit(std::move(socket));
    do_accept();
  }

  /// On the acceptor's strand. Sessions end on their own strands, so the
  /// table holds weak pointers, pruned at every accept.
  void admit(tcp::socket socket) {
    prune();  // O(open connections) per accept: microseconds at the cap
    // Connections being evicted are on their way out: they do not hold a
    // place, or a flood of idle sockets could crowd out a health probe.
    auto live = static_cast<std::size_t>(std::count_if(
        sessions_.begin(), sessions_.end(), [](const std::weak_ptr<TcpSession>& w) {
          auto s = w.lock();
          return s && !s->evict_requested();
        }));
    if (live >= max_connections_) {
      if (evict_one()) --live;
      if (live >= max_connections_ + reserve_) {
        // Every connection is busy: refuse cleanly (FIN, no RST) rather than
        // run out of descriptors and fail everyone, health probes included.
        // Counted before the close: whoever sees the FIN sees the count.
        refused_.fetch_add(1);
        boost::system::error_code ec;
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        open_.store(live);
        return;
      }
    }
    auto session = start_session(boost::beast::tcp_stream(std::move(socket)), handler_, options_);
    sessions_.push_back(std::move(session));
    open_.store(live + 1);
  }

  void prune() {
    std::erase_if(sessions_, [](const std::weak_ptr<TcpSession>& w) { return w.expired(); });
  }

  /// Closes the oldest connection waiting for a request (idle keep-alive, a
  /// socket that never sent anything, a slow header). False if none is.
  bool evict_one() {
    for (const auto& w : sessions_) {
      auto s = w.lock();
      if (!s || !s->awaiting_request() || s->evict_requested()) continue;
      if (s->evict_if_idle(evicted_)) return true;
    }
    return false;
  }

 public:
  std::atomic<std::size_t> open_{0};
  /// Counted by the session as it closes (see evict_if_idle()).
  std::shared_ptr<std::atomic<std::uint64_t>> evicted_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::atomic<std::uint64_t> refused_{0};

 private:

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_{acceptor_.get_executor()};
  std::shared_ptr<const RequestHandler> handler_;
  SessionOptions options_;
  std::size_t max_connections_;
  std::size_t reserve_;
  /// Accept order: the oldest idle one is evicted first.
  std::deque<std::weak_ptr<TcpSession>> sessions_;
};

}  // namespace

struct Server::Impl {
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;

  explicit Impl(int concurrency_hint) : ioc(concurrency_hint) {}
};

Server::Server(ServerOptions options, RequestHandler handler)
    : options_(std::move(options)), handler_(std::make_shared<const RequestHandler>(std::move(handler))) {}

Server::Server(ServerOptions options, std::shared_ptr<const Deps> deps)
    : Server(std::move(options),
             RequestHandler([deps = std::move(deps)](const Request& req) { return handle(req, *deps); })) {}

Server::~Server() { stop(); }

sla::Result<void> Server::start() {
  if (impl_) return sla::fail(ErrorCode::kInternal, "http server already started");
  boost::system::error_code ec;
  const auto address = net::ip::make_address(options_.address, ec);
  if (ec) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "http address '" + options_.address + "' is not an IP address");
  }
  const std::size_t threads = options_.threads == 0 ? 1 : options_.threads;
  auto impl = std::make_unique<Impl>(static_cast<int>(threads));
  const tcp::endpoint endpoint{address, options_.port};
  const std::string where = options_.address + ":" + std::to_string(options_.port);

  tcp::acceptor acceptor(net::make_strand(impl->ioc));
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return sla::fail(ErrorCode::kUnavailable, "http open " + where + ": " + ec.message());
  }
  // Restarts must not wait for TIME_WAIT; a port another process listens on
  // still fails to bind on Linux.
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return sla::fail(ErrorCode::kUnavailable, "http setsockopt " + where + ": " + ec.message());
  }
  if (acceptor.bind(endpoint, ec); ec) {
    return sla::fail(ErrorCode::kUnavailable, "http bind " + where + ": " + ec.message());
  }
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) {
    return sla::fail(ErrorCode::kUnavailable, "http listen " + where + ": " + ec.message());
  }
  const auto local = acceptor.local_endpoint(ec);
  if (ec) return sla::fail(ErrorCode::kUnavailable, "http local endpoint " + where + ": " + ec.message());

  impl->listener = std::make_shared<Listener>(impl->ioc, std::move(acceptor), handler_, options_);
  impl->listener->run();
  impl->work.emplace(net::make_work_guard(impl->ioc));
  impl->threads.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    impl->threads.emplace_back([&ioc = impl->ioc] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          // Handlers do not throw; if one does, log it and keep serving.
          logger()->error("http io thread: {}", e.what());
        }
      }
    });
  }
  bound_port_ = local.port();
  impl_ = std::move(impl);
  logger()->info("http listening on {}:{}", options_.address, bound_port_);
  return {};
}

Server::ConnectionStats Server::connection_stats() const {
  if (!impl_) return {};
  return {impl_->listener->open_.load(std::memory_order_relaxed),
          impl_->listener->evicted_->load(),
          impl_->listener->refused_.load(std::memory_order_relaxed)};
}

std::uint64_t raise_fd_limit() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur;  // rlim_t is std::uint64_t on Linux
}

void Server::stop() {
  if (!impl_) return;
  impl_->work.reset();
  // Sessions may be idle in a keep-alive read for a long time: stop rather
  // than wait for them. Their handlers are destroyed with the io_context.
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->listener->close();
  impl_->listener.reset();
  impl_.reset();
  bound_port_ = 0;
}

}  // namespace sla::http
