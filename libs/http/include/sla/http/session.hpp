// sla::http::Session<Stream>: one HTTP/1.1 connection. Reads requests with a
// body limit and a timeout, hands each to the request handler, and writes
// the responses in order through a bounded queue (pipelined requests are read
// ahead until the queue is full). Generic over the stream so tests run it on
// boost::beast::test::stream; the server uses beast::tcp_stream on a strand.
// Not the listener (server.hpp) and not the routing (handler.hpp).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

// GCC 12's -Wnull-dereference fires inside Asio's strand/scheduler code once
// inlined (shared_ptr::get in strand equality, scheduler work counting);
// those are Asio's paths, not ours, and system-header suppression does not
// reach middle-end warnings. Silenced for these headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#pragma GCC diagnostic pop

#include "sla/http/handler.hpp"

namespace sla::http {

/// Turns a request into a response; must not throw (handle() doesn't).
using RequestHandler = std::function<Response(const Request&)>;

/// Per-connection limits.
struct SessionOptions {
  /// Largest request body accepted (bytes); larger -> 413 and close.
  std::size_t body_limit = std::size_t{1} << 20;
  /// Largest request header block (bytes); larger -> 431 and close.
  std::uint32_t header_limit = 16 * 1024;
  /// Time allowed to receive one whole request, including the idle wait
  /// for the next request on a kept-alive connection.
  std::chrono::milliseconds read_timeout{30'000};
  /// Time allowed to send one response.
  std::chrono::milliseconds write_timeout{30'000};
  /// Responses queued per connection; reading pauses while it is full.
  std::size_t max_queue = 8;
};

namespace detail {
/// Logs a connection failure on the "http" logger (debug for the ordinary
/// ones: timeouts, resets, eof).
void log_session_error(std::string_view what, const boost::beast::error_code& ec);

template <class S>
concept TimedStream =
    requires(S& s) { boost::beast::get_lowest_layer(s).expires_after(std::chrono::milliseconds(1)); };
template <class S>
concept SocketStream = requires(S& s) { boost::beast::get_lowest_layer(s).socket(); };
}  // namespace detail

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<const RequestHandler> handler, SessionOptions options)
      : stream_(std::move(stream)), handler_(std::move(handler)), options_(options) {}

  /// Starts reading on the stream's executor. The session keeps itself alive
  /// through its pending operations and ends when the connection closes.
  void run() {
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->do_read(); });
  }

  [[nodiscard]] Stream& stream() noexcept { return stream_; }

  /// Whether the connection is waiting for (the header of) its next request:
  /// idle on keep-alive, or still sending a header. Any thread; a hint for
  /// the listener's choice of a connection to evict (see evict_if_idle()).
  [[nodiscard]] bool awaiting_request() const noexcept { return awaiting_request_.load(std::memory_order_relaxed); }

  /// Any thread: closes the connection on its own executor if it is still
  /// waiting for a request header then (no request is cut off mid-answer).
  /// The listener calls it to make room when the connection cap is reached.
  /// False if an eviction is already under way. `evicted`, if given, is
  /// counted when the connection is closed, before the close.
  bool evict_if_idle(std::shared_ptr<std::atomic<std::uint64_t>> evicted = {}) {
    if (evict_requested_.exchange(true)) return false;
    boost::asio::post(stream_.get_executor(), [self = this->shared_from_this(), evicted = std::move(evicted)] {
      if (self->awaiting_request_.load(std::memory_order_relaxed) && !self->closing_) {
        if (evicted) evicted->fetch_add(1);
        self->do_close_hard();
      } else {
        self->evict_requested_.store(false);  // busy after all: a candidate again later
      }
    });
    return true;
  }
  [[nodiscard]] bool evict_requested() const noexcept { return evict_requested_.load(std::memory_order_relaxed); }

 private:
  void set_timeout(std::chrono::milliseconds d) {
    if constexpr (detail::TimedStream<Stream>) boost::beast::get_lowest_layer(stream_).expires_after(d);
  }

  void do_read() {
    if (reading_ || closing_ || queue_.size() >= options_.max_queue) return;
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(options_.header_limit);
    set_timeout(options_.read_timeout);
    reading_ = true;
    awaiting_request_.store(true, std::memory_order_relaxed);
    // The header first, so `Expect: 100-continue` can be answered before the
    // body arrives (curl waits a second for it on larger uploads).
    boost::beast::http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(boost::beast::error_code ec) {
    namespace bhttp = boost::beast::http;
    awaiting_request_.store(false, std::memory_order_relaxed);
    if (ec) {
      on_read(ec);
      return;
    }
    const auto expect = parser_->get()[bhttp::field::expect];
    const bool wants_continue = boost::beast::iequals(expect, "100-continue") && !parser_->is_done();
    // Only with nothing queued: the interim response must not interleave
    // with a pipelined one (the client sends the body anyway after a while).
    if (wants_continue && queue_.empty()) {
      continue_.emplace(bhttp::status::continue_, parser_->get().version());
      set_timeout(options_.write_timeout);
      bhttp::async_write(stream_, *continue_,
                         [self = this->shared_from_this()](boost::beast::error_code wec, std::size_t) {
                           self->continue_.reset();
                           if (wec) {
                             self->reading_ = false;
                             detail::log_session_error("write", wec);
                             self->do_close_hard();
                             return;
                           }
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    set_timeout(options_.read_timeout);
    boost::beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(boost::beast::error_code ec) {
    reading_ = false;
    namespace bhttp = boost::beast::http;
    if (ec == bhttp::error::end_of_stream) {
      // The client closed its side: finish the queued responses, then close.
      closing_ = true;
      if (queue_.empty()) do_close();
      return;
    }
    if (ec) {
      // A request we could not parse gets an answer before the close; a
      // broken connection (reset, timeout) does not.
      Request placeholder;
      placeholder.version(11);
      placeholder.keep_alive(false);
      if (ec == bhttp::error::body_limit) {
        enqueue(error_response(
            placeholder, 413,
            "request body exceeds the limit of " + std::to_string(options_.body_limit) + " bytes"));
      } else if (ec == bhttp::error::header_limit) {
        enqueue(error_response(placeholder, 431, "request header fields too large"));
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                 ec != bhttp::error::partial_message) {
        enqueue(error_response(placeholder, 400, "malformed HTTP request: " + ec.message()));
      } else {
        detail::log_session_error("read", ec);
        do_close_hard();
        return;
      }
      closing_ = true;
      return;
    }
    Request req = parser_->release();
    const bool keep_alive = req.keep_alive();
    enqueue((*handler_)(req));
    if (!keep_alive) {
      closing_ = true;
      return;
    }
    do_read();
  }

  void enqueue(Response res) {
    queue_.push_back(std::move(res));
    if (queue_.size() == 1) do_write();
  }

  void do_write() {
    set_timeout(options_.write_timeout);
    boost::beast::http::async_write(
        stream_, queue_.front(),
        [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(boost::beast::error_code ec) {
    if (ec) {
      detail::log_session_error("write", ec);
      do_close_hard();
      return;
    }
    const bool keep_alive = queue_.front().keep_alive();
    queue_.pop_front();
    if (!keep_alive) {
      closing_ = true;
      queue_.clear();
      do_close();
      return;
    }
    if (!queue_.empty()) {
      do_write();
    } else if (closing_) {
      do_close();
      return;
    }
    // Reading paused while the queue was full; resume.
    do_read();
  }

  /// Graceful: send FIN after the last response, then read and discard
  /// until the client closes too (at most kLinger). Closing with unread
  /// input would send a RST that can destroy the response in flight, e.g. a
  /// 413 while the client is still uploading.
  void do_close() {
    if constexpr (detail::SocketStream<Stream>) {
      boost::beast::error_code ec;
      auto& lowest = boost::beast::get_lowest_layer(stream_);
      lowest.socket().shutdown(boost::asio::socket_base::shutdown_send, ec);
      if (ec) return;
      lowest.expires_after(kLinger);  // one deadline for the whole drain
      linger();
    } else {
      stream_.close();
    }
  }

  void linger() {
    boost::beast::get_lowest_layer(stream_).async_read_some(
        boost::asio::buffer(discard_),
        [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
          if (!ec) self->linger();
        });
  }

  static constexpr std::chrono::seconds kLinger{2};

  /// Abortive: pending operations complete with an error and the session
  /// ends when the last one returns. The queue stays: a write may be using it.
  void do_close_hard() {
    closing_ = true;
    if constexpr (detail::SocketStream<Stream>) {
      boost::beast::get_lowest_layer(stream_).close();
    } else {
      stream_.close();
    }
  }

  Stream stream_;
  std::shared_ptr<const RequestHandler> handler_;
  SessionOptions options_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::deque<Response> queue_;  // deque: push_back keeps the front (being written) in place
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> continue_;  // 100 being written
  bool reading_ = false;
  bool closing_ = false;
  std::atomic<bool> awaiting_request_{true};  ///< see awaiting_request(); none read yet
  std::atomic<bool> evict_requested_{false};   ///< see evict_if_idle()
  std::array<char, 4096> discard_{};  // lingering close only
};

/// Creates a session over `stream` and starts it.
template <class Stream>
std::shared_ptr<Session<Stream>> start_session(Stream stream, std::shared_ptr<const RequestHandler> handler,
                                               SessionOptions options) {
  auto s = std::make_shared<Session<Stream>>(std::move(stream), std::move(handler), options);
  s->run();
  return s;
}

}  // namespace sla::http
