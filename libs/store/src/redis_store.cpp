#include "sla/store/redis_store.hpp"

#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

namespace sla::store {

namespace {

/// Owns a connection made by redisConnectWithTimeout(); freed with redisFree().
struct ContextDeleter {
  void operator()(redisContext* context) const noexcept { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

/// Owns a reply read by redisGetReply(); freed with freeReplyObject().
struct ReplyDeleter {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// A command's arguments, binary-safe, for redisAppendCommandArgv(). The
/// pointers refer to the caller's data or to `owned_`, whose strings live on
/// the heap so that moving a Command (e.g. when a std::vector<Command> grows)
/// keeps them valid. Move-only: a copy would point into the original.
class Command {
 public:
  explicit Command(std::string_view name) { arg(name); }
  Command(Command&&) noexcept = default;
  Command& operator=(Command&&) noexcept = default;
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;
  ~Command() = default;

  Command& arg(std::string_view value) {
    // An empty view may have a null data(); hiredis memcpy()s from it.
    argv_.push_back(value.empty() ? "" : value.data());
    lens_.push_back(value.size());
    bytes_ += value.size();
    return *this;
  }
  Command& own(std::string value) {
    owned_.push_back(std::make_unique<std::string>(std::move(value)));
    return arg(*owned_.back());
  }
  [[nodiscard]] std::size_t argc() const { return argv_.size(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  [[nodiscard]] const char** argv() { return argv_.data(); }
  [[nodiscard]] const std::size_t* lens() const { return lens_.data(); }

 private:
  std::vector<const char*> argv_;
  std::vector<std::size_t> lens_;
  std::vector<std::unique_ptr<std::string>> owned_;
  std::size_t bytes_ = 0;
};

// Cap on one HSET/HDEL's arguments, far below Redis' 512 MiB bulk and 1 GiB
// query-buffer limits, so a batch of large states never trips them.
constexpr std::size_t kMaxCommandBytes = 8U << 20U;
// WATCH aborts tolerated per commit before giving up with kUnavailable; and
// offset changes tolerated per load.
constexpr int kMaxAttempts = 5;

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  // time_t and suseconds_t are the int64 of ms.count() on the LP64 targets.
  tv.tv_sec = ms.count() / 1000;
  tv.tv_usec = (ms.count() % 1000) * 1000;
  return tv;
}

/// The library's named logger. Looked up on each use (only connection loss
/// and recovery are logged, so this is rare): the daemon may register its own
/// "store" logger at any time, with its sinks and JSON pattern.
std::shared_ptr<spdlog::logger> logger() {
  if (auto existing = spdlog::get("store")) {
    return existing;
  }
  auto created = spdlog::default_logger()->clone("store");
  try {
    spdlog::register_logger(created);
  } catch (const spdlog::spdlog_ex&) {
    // Registered meanwhile by another thread: use that one.
    if (auto existing = spdlog::get("store")) {
      return existing;
    }
  }
  return created;
}

/// Blocks SIGPIPE in this thread for its lifetime and swallows one raised
/// meanwhile: hiredis 0.14 write()s without MSG_NOSIGNAL, and a write to a
/// Redis that just died must fail the call, not kill the process (whatever
/// the process' own SIGPIPE disposition is).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        // Takes the SIGPIPE this write raised; -1 (EAGAIN: none pending) is fine.
        (void)sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

std::string_view reply_text(const redisReply& reply) {
  return reply.str == nullptr ? std::string_view{} : std::string_view(reply.str, reply.len);
}

bool is_status(const redisReply& reply, std::string_view text) {
  return reply.type == REDIS_REPLY_STATUS && reply_text(reply) == text;
}

/// An error reply to a data command. WRONGTYPE means the keyspace holds data
/// this store did not write; every other refusal (OOM, LOADING, READONLY,
/// NOAUTH, EXECABORT...) is the server being unusable right now.
sla::Error reply_error(const redisReply& reply, std::string_view what) {
  const std::string_view text = reply_text(reply);
  const ErrorCode code = text.starts_with("WRONGTYPE") ? ErrorCode::kInternal
                                                       : ErrorCode::kUnavailable;
  return sla::Error{code, "redis " + std::string(what) + ": " + std::string(text)};
}

sla::Error unexpected_reply(const redisReply& reply, std::string_view what) {
  return sla::Error{ErrorCode::kInternal, "redis " + std::string(what) + ": unexpected reply type " +
                                              std::to_string(reply.type)};
}

/// Parses the reply of GET offset: nil -> nullopt.
sla::Result<std::optional<std::int64_t>> parse_offset(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_NIL) {
    return std::optional<std::int64_t>{};
  }
  if (reply.type == REDIS_REPLY_ERROR) {
    return tl::unexpected(reply_error(reply, "GET offset"));
  }
  if (reply.type != REDIS_REPLY_STRING) {
    return tl::unexpected(unexpected_reply(reply, "GET offset"));
  }
  const std::string_view text = reply_text(reply);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) {
    return sla::fail(ErrorCode::kInternal,
                     "redis: stored offset is not a non-negative integer: " + std::string(text));
  }
  return std::optional<std::int64_t>{value};
}

std::string key_base(std::string_view prefix, std::string_view topic, std::int32_t partition) {
  std::string key;
  key.reserve(prefix.size() + topic.size() + 24);
  key.append(prefix).append(":{").append(topic).append("/").append(std::to_string(partition));
  key.append("}");
  return key;
}

/// A cluster redirection found in a reply: MOVED (the slot has a new owner:
/// refresh the map), ASK (the slot is migrating and the keys are on the
/// target: retry there after ASKING, this time only) or TRYAGAIN (a
/// multi-key command while the slot's keys are split between two nodes).
struct Redirect {
  enum class Kind { kNone, kMoved, kAsk, kTryAgain };
  Kind kind = Kind::kNone;
  std::string host;
  int port = 0;
  std::string text;  ///< the error reply, for messages
};

Redirect redirect_of(const redisReply& reply) {
  Redirect r;
  if (reply.type != REDIS_REPLY_ERROR) {
    return r;
  }
  const std::string_view text = reply_text(reply);
  if (text.starts_with("TRYAGAIN")) {
    r.kind = Redirect::Kind::kTryAgain;
    r.text = text;
    return r;
  }
  const bool moved = text.starts_with("MOVED ");
  if (!moved && !text.starts_with("ASK ")) {
    return r;
  }
  // "MOVED <slot> <host>:<port>"; the host may be an IPv6 address.
  const auto space = text.find(' ', moved ? 6 : 4);
  const auto colon = text.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) {
    return r;
  }
  int port = 0;
  const std::string_view port_text = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || port <= 0 || port > 65535) {
    return r;
  }
  r.kind = moved ? Redirect::Kind::kMoved : Redirect::Kind::kAsk;
  r.host = text.substr(space + 1, colon - space - 1);
  r.port = port;
  r.text = text;
  return r;
}

}  // namespace

std::uint16_t redis_key_slot(std::string_view key) {
  // Only the part between the first '{' and the next '}' counts, if non-empty.
  if (const auto open = key.find('{'); open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close != open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  // CRC16-CCITT (XModem: polynomial 0x1021, initial 0), as Redis Cluster.
  std::uint16_t crc = 0;
  for (const char c : key) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint16_t>(static_cast<unsigned char>(c)) << 8U));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000U) != 0 ? static_cast<std::uint16_t>((static_cast<unsigned>(crc) << 1U) ^ 0x1021U)
                                 : static_cast<std::uint16_t>(crc << 1U);
    }
  }
  return static_cast<std::uint16_t>(crc & 16383U);
}

std::string redis_tickets_key(std::string_view prefix, std::string_view topic,
                              std::int32_t partition) {
  return key_base(prefix, topic, partition) + ":t";
}

std::string redis_offset_key(std::string_view prefix, std::string_view topic,
                             std::int32_t partition) {
  return key_base(prefix, topic, partition) + ":offset";
}

struct RedisStore::Impl {
  /// One server: the standalone one, or a cluster node.
  struct Node {
    std::string host;
    int port = 0;
    ContextPtr context;
    // Only transitions are logged, so a daemon retrying against a dead Redis
    // does not flood the log.
    bool down_logged = false;
  };
  /// A range of slots and its master ("host:port", a key of `nodes`).
  struct SlotRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    std::string node;
  };

  RedisOptions options;
  RedisStats stats;
  std::map<std::string, Node> nodes;
  // Cluster mode: the slot map from CLUSTER SLOTS, sorted by `first`;
  // refreshed before the first call and after a MOVED or a lost node.
  std::vector<SlotRange> slots;
  bool slots_stale = true;
  // The node of the call in progress, and whether each of its commands goes
  // after an ASKING (set for one attempt after an ASK redirection).
  Node* current = nullptr;
  bool asking = false;
  // The first redirection seen by the call in progress (see routed()).
  Redirect redirect;

  static std::string name_of(const std::string& host, int port) {
    return host + ":" + std::to_string(port);
  }

  Node& node(const std::string& host, int port) {
    auto [it, added] = nodes.try_emplace(name_of(host, port));
    if (added) {
      it->second.host = host;
      it->second.port = port;
    }
    return it->second;
  }

  Node& seed() { return node(options.host, options.port); }

  void drop(Node& n, std::string_view why) {
    if (n.context) {
      ++stats.io_errors;
      logger()->warn("redis {}:{}: connection lost: {}", n.host, n.port, why);
      n.down_logged = true;
    }
    n.context.reset();
    if (options.cluster) {
      slots_stale = true;  // a node lost may mean a failover: ask again
    }
  }

  sla::Result<void> connect(Node& n) {
    ContextPtr fresh(redisConnectWithTimeout(n.host.c_str(), n.port, to_timeval(options.connect_timeout)));
    auto failed = [&](std::string why) -> sla::Result<void> {
      ++stats.connect_failures;
      if (!n.down_logged) {
        logger()->warn("redis {}:{}: cannot connect: {}", n.host, n.port, why);
        n.down_logged = true;
      }
      return sla::fail(ErrorCode::kUnavailable, "redis " + name_of(n.host, n.port) + ": " + why);
    };
    if (!fresh) {
      return failed("cannot allocate a connection");
    }
    if (fresh->err != 0) {
      return failed(fresh->errstr);
    }
    if (redisSetTimeout(fresh.get(), to_timeval(options.command_timeout)) != REDIS_OK) {
      return failed(std::string("setting the command timeout: ") + fresh->errstr);
    }
    // Detects a silently dead peer on an idle connection (best effort).
    (void)redisEnableKeepAlive(fresh.get());

    // A username without a password still AUTHs (a `nopass` ACL user), so a
    // configured user is never silently replaced by `default`.
    std::vector<Command> handshake;
    std::vector<std::string> what;
    if (!options.password.empty() || !options.username.empty()) {
      Command auth("AUTH");
      if (!options.username.empty()) {
        auth.arg(options.username);
      }
      auth.arg(options.password);
      handshake.push_back(std::move(auth));
      what.push_back(options.username.empty() ? std::string("AUTH (requirepass)")
                                              : "AUTH as user '" + options.username + "'");
    }
    if (options.db != 0) {
      handshake.push_back(std::move(Command("SELECT").own(std::to_string(options.db))));
      what.push_back("SELECT " + std::to_string(options.db));
    }
    if (!handshake.empty()) {
      auto replies = exchange(fresh.get(), handshake, false);
      if (!replies) {
        return failed(replies.error().message);
      }
      for (std::size_t i = 0; i < replies->size(); ++i) {
        if (!is_status(*(*replies)[i], "OK")) {
          return failed(what[i] + " refused: " + std::string(reply_text(*(*replies)[i])));
        }
      }
    }
    n.context = std::move(fresh);
    ++stats.connects;
    if (n.down_logged) {
      logger()->info("redis {}:{}: connected", n.host, n.port);
      n.down_logged = false;
    }
    return {};
  }

  /// Pipelines `commands` on `ctx` (redisAppendCommandArgv for each, then
  /// redisGetReply for each) and returns one reply per command, error
  /// replies included. With `asking`, each command goes after an ASKING
  /// (whose OK is not returned; a refused ASKING stands for the command's
  /// reply). An I/O error or timeout fails the whole exchange.
  static sla::Result<std::vector<ReplyPtr>> exchange(redisContext* ctx, std::vector<Command>& commands,
                                                     bool asking) {
    const SigpipeGuard no_sigpipe;
    const char* asking_argv[] = {"ASKING"};
    const std::size_t asking_len[] = {6};
    for (auto& command : commands) {
      if ((asking && redisAppendCommandArgv(ctx, 1, asking_argv, asking_len) != REDIS_OK) ||
          redisAppendCommandArgv(ctx, static_cast<int>(command.argc()), command.argv(), command.lens()) !=
              REDIS_OK) {
        return sla::fail(ErrorCode::kUnavailable, std::string("redis append: ") + ctx->errstr);
      }
    }
    std::vector<ReplyPtr> replies;
    replies.reserve(commands.size());
    auto read = [ctx]() -> sla::Result<ReplyPtr> {
      void* raw = nullptr;
      if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) {
        return sla::fail(ErrorCode::kUnavailable, std::string("redis: ") + ctx->errstr);
      }
      return ReplyPtr(static_cast<redisReply*>(raw));
    };
    for (std::size_t i = 0; i < commands.size(); ++i) {
      ReplyPtr asked;
      if (asking) {
        auto r = read();
        if (!r) {
          return tl::unexpected(r.error());
        }
        asked = std::move(*r);
      }
      auto reply = read();
      if (!reply) {
        return tl::unexpected(reply.error());
      }
      replies.push_back(asked && !is_status(*asked, "OK") ? std::move(asked) : std::move(*reply));
    }
    return replies;
  }

  /// Connects `current` if needed, then exchange() (with ASKING when this
  /// attempt follows an ASK, unless `in_transaction`: inside MULTI an ASKING
  /// would be queued; the one before MULTI holds until EXEC). On failure the
  /// connection is dropped: after a partial pipeline its state is unknown.
  sla::Result<std::vector<ReplyPtr>> run(std::vector<Command>& commands, bool in_transaction = false) {
    Node& n = *current;
    if (!n.context) {
      if (auto ok = connect(n); !ok) {
        return tl::unexpected(ok.error());
      }
    }
    auto replies = exchange(n.context.get(), commands, asking && !in_transaction);
    if (!replies) {
      drop(n, replies.error().message);
    }
    return replies;
  }

  sla::Result<ReplyPtr> run_one(Command command) {
    std::vector<Command> commands;
    commands.push_back(std::move(command));
    auto replies = run(commands);
    if (!replies) {
      return tl::unexpected(replies.error());
    }
    return std::move(replies->front());
  }

  /// Notes the first redirection among `replies` for routed(); true if any.
  bool redirected(const std::vector<ReplyPtr>& replies) {
    for (const auto& reply : replies) {
      if (auto r = redirect_of(*reply); r.kind != Redirect::Kind::kNone) {
        redirect = std::move(r);
        return true;
      }
    }
    return false;
  }
  sla::Error redirected_error() const {
    return sla::Error{ErrorCode::kUnavailable, "redis: " + redirect.text};
  }

  /// CLUSTER SLOTS from the first node that answers: nodes already
  /// connected, then the seed, then the others known.
  sla::Result<void> refresh_slots() {
    ++stats.slot_map_refreshes;
    std::vector<Node*> candidates;
    for (auto& [name, n] : nodes) {
      if (n.context) {
        candidates.push_back(&n);
      }
    }
    candidates.push_back(&seed());
    for (auto& [name, n] : nodes) {
      if (!n.context && &n != &seed()) {
        candidates.push_back(&n);
      }
    }
    std::string last_error = "no node answered";
    for (Node* n : candidates) {
      if (!n->context) {
        if (auto ok = connect(*n); !ok) {
          last_error = ok.error().message;
          continue;
        }
      }
      std::vector<Command> command;
      command.push_back(std::move(Command("CLUSTER").arg("SLOTS")));
      auto replies = exchange(n->context.get(), command, false);
      if (!replies) {
        last_error = replies.error().message;
        drop(*n, last_error);
        continue;
      }
      const redisReply& reply = *replies->front();
      if (reply.type != REDIS_REPLY_ARRAY) {
        last_error = name_of(n->host, n->port) + ": CLUSTER SLOTS: " +
                     (reply.type == REDIS_REPLY_ERROR ? std::string(reply_text(reply)) : "unexpected reply");
        continue;
      }
      std::vector<SlotRange> fresh;
      for (std::size_t i = 0; i < reply.elements; ++i) {
        const redisReply& range = *reply.element[i];
        if (range.type != REDIS_REPLY_ARRAY || range.elements < 3 ||
            range.element[0]->type != REDIS_REPLY_INTEGER || range.element[1]->type != REDIS_REPLY_INTEGER ||
            range.element[2]->type != REDIS_REPLY_ARRAY || range.element[2]->elements < 2 ||
            range.element[2]->element[0]->type != REDIS_REPLY_STRING ||
            range.element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
          continue;
        }
        std::string host(reply_text(*range.element[2]->element[0]));
        if (host == "?") {
          continue;  // the master's endpoint is unknown (yet)
        }
        if (host.empty()) {
          host = n->host;  // "the node you asked" (cluster-preferred-endpoint-type unknown-endpoint)
        }
        const long long first = range.element[0]->integer;
        const long long last = range.element[1]->integer;
        const long long port = range.element[2]->element[1]->integer;
        if (first < 0 || last > 16383 || first > last || port <= 0 || port > 65535) {
          continue;
        }
        node(host, static_cast<int>(port));
        fresh.push_back(SlotRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last),
                                  name_of(host, static_cast<int>(port))});
      }
      if (fresh.empty()) {
        last_error = name_of(n->host, n->port) + ": CLUSTER SLOTS lists no slot";
        continue;
      }
      std::sort(fresh.begin(), fresh.end(), [](const SlotRange& a, const SlotRange& b) { return a.first < b.first; });
      slots = std::move(fresh);
      slots_stale = false;
      return {};
    }
    return sla::fail(ErrorCode::kUnavailable, "redis cluster: cannot read the slot map: " + last_error);
  }

  /// Points `current` at the node serving `slot` (standalone: the server).
  sla::Result<void> route(std::uint16_t slot) {
    if (!options.cluster) {
      current = &seed();
      return {};
    }
    if (slots_stale) {
      if (auto ok = refresh_slots(); !ok) {
        return ok;
      }
    }
    auto it = std::upper_bound(slots.begin(), slots.end(), slot,
                               [](std::uint16_t s, const SlotRange& r) { return s < r.first; });
    if (it == slots.begin() || (--it)->last < slot) {
      slots_stale = true;
      return sla::fail(ErrorCode::kUnavailable,
                       "redis cluster: no node serves slot " + std::to_string(slot) + " (cluster down?)");
    }
    current = &nodes.at(it->node);
    return {};
  }

  /// Runs `op` (which works on `current`, and notes a redirection in
  /// `redirect` when a reply has one) on the node of `slot`, following the
  /// cluster: MOVED -> refresh the slot map and run again; ASK -> run again
  /// on the target with ASKING (that attempt only); TRYAGAIN -> wait a
  /// little and run again, for up to command_timeout. Ops write nothing when
  /// they see a redirection (a redirected queued command aborts EXEC).
  template <typename Op>
  auto routed(std::uint16_t slot, Op&& op) -> decltype(op()) {
    constexpr int kMaxRedirects = 16;
    const auto started = std::chrono::steady_clock::now();
    std::optional<std::pair<std::string, int>> ask;
    int redirects = 0;
    for (int waits = 0;;) {
      asking = false;
      if (ask) {
        current = &node(ask->first, ask->second);
        asking = true;
        ask.reset();
      } else if (auto ok = route(slot); !ok) {
        return tl::unexpected(ok.error());
      }
      redirect = {};
      auto result = op();
      asking = false;
      const Redirect seen = std::exchange(redirect, {});
      if (seen.kind == Redirect::Kind::kNone) {
        return result;
      }
      if (!options.cluster) {
        return sla::fail(ErrorCode::kUnavailable,
                         "redis: " + seen.text + " (this is a Redis Cluster: set redis.cluster)");
      }
      switch (seen.kind) {
        case Redirect::Kind::kMoved:
          ++stats.moved;
          slots_stale = true;
          break;
        case Redirect::Kind::kAsk:
          ++stats.asked;
          ask.emplace(seen.host, seen.port);
          break;
        case Redirect::Kind::kTryAgain:
          ++stats.try_again;
          if (std::chrono::steady_clock::now() - started > options.command_timeout) {
            return sla::fail(ErrorCode::kUnavailable, "redis: " + seen.text + " (slot " + std::to_string(slot) +
                                                          " is migrating)");
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 * ++waits, 50)));
          continue;  // TRYAGAIN does not count as a redirection
        case Redirect::Kind::kNone:
          break;
      }
      if (++redirects > kMaxRedirects) {
        return sla::fail(ErrorCode::kUnavailable, "redis: slot " + std::to_string(slot) +
                                                      " keeps being redirected; last: " + seen.text);
      }
    }
  }

  sla::Result<void> commit(const std::string& tickets_key, const std::string& offset_key,
                           std::vector<Command>& transaction, std::int64_t next_offset);
  /// Scans the partition into `sink`; returns its next offset and HLEN.
  sla::Result<std::pair<std::optional<std::int64_t>, long long>> load(const std::string& tickets_key,
                                                                      const std::string& offset_key,
                                                                      const TicketSink& sink);

 private:
  // The steps of commit() and load().
  sla::Result<void> open_checked_transaction(const std::string& tickets_key, const std::string& offset_key,
                                             std::int64_t next_offset);
  sla::Result<bool> exec_applied(const std::vector<ReplyPtr>& executed, const std::string& tickets_key);
  sla::Result<std::vector<ReplyPtr>> read_offset(const std::string& tickets_key, const std::string& offset_key,
                                                 bool with_hlen);
  sla::Result<void> scan_tickets(const std::string& tickets_key, const TicketSink& sink);
  static sla::Result<void> send_hscan(redisContext* ctx, bool ask, const std::string& tickets_key,
                                      const std::string& from, const std::string& count);
  static sla::Result<ReplyPtr> receive_hscan(redisContext* ctx, bool ask);
};

sla::Result<void> RedisStore::Impl::commit(const std::string& tickets_key, const std::string& offset_key,
                                           std::vector<Command>& transaction, std::int64_t next_offset) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (auto open = open_checked_transaction(tickets_key, offset_key, next_offset); !open) {
      return open;
    }
    // Round trip 2: the whole transaction pipelined.
    auto executed = run(transaction, true);
    if (!executed) {
      return tl::unexpected(executed.error());
    }
    auto applied = exec_applied(*executed, tickets_key);
    if (!applied) {
      return tl::unexpected(applied.error());
    }
    if (!*applied) {
      ++stats.watch_conflicts;  // another writer touched the partition: re-check
      continue;
    }
    ++stats.commits;
    return {};
  }
  return sla::fail(ErrorCode::kUnavailable,
                   "redis: commit to " + offset_key + " kept conflicting with another writer");
}

/// Round trip 1 of a commit: watch both keys, read the offset and the
/// tickets' type, and open the transaction. MULTI goes first, not with the
/// writes: were it refused (an ACL without it), writes pipelined after it
/// would run one by one outside any transaction. After an ASK, each of these
/// goes after an ASKING; the one before MULTI holds for the whole
/// transaction. An error leaves no transaction open (discarded, or the
/// connection dropped).
sla::Result<void> RedisStore::Impl::open_checked_transaction(const std::string& tickets_key,
                                                             const std::string& offset_key, std::int64_t next_offset) {
  std::vector<Command> check;
  check.push_back(std::move(Command("WATCH").arg(offset_key).arg(tickets_key)));
  check.push_back(std::move(Command("GET").arg(offset_key)));
  check.push_back(std::move(Command("TYPE").arg(tickets_key)));
  check.emplace_back("MULTI");
  auto checked = run(check);
  if (!checked) {
    return tl::unexpected(checked.error());
  }
  const auto& replies = *checked;
  if (!is_status(*replies[3], "OK")) {
    // No transaction is open; drop the connection to forget the WATCH.
    drop(*current, "MULTI refused");
    return tl::unexpected(replies[3]->type == REDIS_REPLY_ERROR ? reply_error(*replies[3], "MULTI")
                                                                 : unexpected_reply(*replies[3], "MULTI"));
  }
  auto discard = [&] {
    std::vector<Command> cmd;
    cmd.emplace_back("DISCARD");  // ends the transaction and the WATCH
    auto done = run(cmd, true);
    if (done && !is_status(*done->front(), "OK")) {
      drop(*current, "DISCARD refused");  // the connection may still be inside MULTI
    }
  };
  if (redirected(replies)) {
    discard();
    return tl::unexpected(redirected_error());
  }
  if (!is_status(*replies[0], "OK")) {
    discard();
    return tl::unexpected(reply_error(*replies[0], "WATCH"));
  }
  auto stored = parse_offset(*replies[1]);
  if (!stored) {
    discard();
    return tl::unexpected(stored.error());
  }
  if (replies[2]->type != REDIS_REPLY_STATUS ||
      (reply_text(*replies[2]) != "hash" && reply_text(*replies[2]) != "none")) {
    discard();
    return sla::fail(ErrorCode::kInternal, "redis: " + tickets_key + " is not a hash (type " +
                                               std::string(reply_text(*replies[2])) + ")");
  }
  if (*stored && **stored > next_offset) {
    discard();
    ++stats.stale_commits;
    return sla::fail(ErrorCode::kOutOfRange,
                     "redis: stale commit to " + offset_key + ": next_offset " + std::to_string(next_offset) +
                         " is below the stored " + std::to_string(**stored));
  }
  return {};
}

/// Round trip 2's replies: true when EXEC applied the transaction, false on
/// a watch conflict (nothing applied: check again), an error otherwise.
sla::Result<bool> RedisStore::Impl::exec_applied(const std::vector<ReplyPtr>& executed,
                                                 const std::string& tickets_key) {
  const redisReply& exec = *executed.back();
  if (exec.type == REDIS_REPLY_NIL) {
    return false;
  }
  if (redirected(executed)) {
    // A queued command redirected (the transaction then aborts) or EXEC
    // itself (Redis discards the transaction): nothing was applied.
    return tl::unexpected(redirected_error());
  }
  if (exec.type == REDIS_REPLY_ERROR && !reply_text(exec).starts_with("EXECABORT")) {
    // EXEC itself refused (an ACL without it): the connection may still be
    // inside MULTI. Nothing was applied; start afresh next time.
    drop(*current, "EXEC refused");
    return tl::unexpected(reply_error(exec, "EXEC"));
  }
  if (exec.type == REDIS_REPLY_ERROR) {
    // EXECABORT: a command was refused while queueing; nothing was applied.
    // Name the first refusal, it is more useful than EXECABORT itself.
    for (const auto& reply : executed) {
      if (reply->type == REDIS_REPLY_ERROR) {
        return tl::unexpected(reply_error(*reply, "commit"));
      }
    }
    return tl::unexpected(reply_error(exec, "EXEC"));
  }
  if (exec.type != REDIS_REPLY_ARRAY) {
    return tl::unexpected(unexpected_reply(exec, "EXEC"));
  }
  for (std::size_t i = 0; i < exec.elements; ++i) {
    if (exec.element[i]->type == REDIS_REPLY_ERROR) {
      // Only possible if the TYPE check above was defeated; part of the
      // transaction may have been applied.
      logger()->error("redis: EXEC of {} partly failed: {}", tickets_key, reply_text(*exec.element[i]));
      return tl::unexpected(reply_error(*exec.element[i], "EXEC"));
    }
  }
  return true;
}

sla::Result<std::pair<std::optional<std::int64_t>, long long>> RedisStore::Impl::load(const std::string& tickets_key,
                                                                                      const std::string& offset_key,
                                                                                      const TicketSink& sink) {
  const std::size_t get_at = options.cluster ? 1 : 0;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto before_replies = read_offset(tickets_key, offset_key, true);
    if (!before_replies) {
      return tl::unexpected(before_replies.error());
    }
    auto before = parse_offset(*(*before_replies)[get_at]);
    if (!before) {
      return tl::unexpected(before.error());
    }
    // HLEN before the scan: a hint for the sink to size itself.
    const redisReply& expected = *(*before_replies)[get_at + 1];
    sink.restart(expected.type == REDIS_REPLY_INTEGER && expected.integer > 0
                     ? static_cast<std::size_t>(expected.integer)
                     : 0);
    if (auto scanned = scan_tickets(tickets_key, sink); !scanned) {
      return tl::unexpected(scanned.error());
    }
    auto after_replies = read_offset(tickets_key, offset_key, true);
    if (!after_replies) {
      return tl::unexpected(after_replies.error());
    }
    auto after = parse_offset(*(*after_replies)[get_at]);
    if (!after) {
      return tl::unexpected(after.error());
    }
    const redisReply& hlen = *(*after_replies)[get_at + 1];
    if (hlen.type != REDIS_REPLY_INTEGER) {
      return tl::unexpected(hlen.type == REDIS_REPLY_ERROR ? reply_error(hlen, "HLEN")
                                                           : unexpected_reply(hlen, "HLEN"));
    }
    if (*after != *before) {
      continue;  // a commit landed during the scan: the pages may mix states
    }
    return std::pair{*after, hlen.integer};
  }
  return sla::fail(ErrorCode::kUnavailable, "redis: partition " + tickets_key + " kept changing during load");
}

/// The partition's offset (GET), and with `with_hlen` the hash's length
/// (HLEN) after it. Cluster: EXISTS of both keys goes first. It is a
/// multi-key command, so while a migration has moved one key of the
/// partition and not the other, it answers TRYAGAIN instead of letting the
/// load read the offset from one node and the tickets from another. A
/// redirection is an error (routed() follows it).
sla::Result<std::vector<ReplyPtr>> RedisStore::Impl::read_offset(const std::string& tickets_key,
                                                                 const std::string& offset_key, bool with_hlen) {
  std::vector<Command> commands;
  if (options.cluster) {
    commands.push_back(std::move(Command("EXISTS").arg(offset_key).arg(tickets_key)));
  }
  commands.push_back(std::move(Command("GET").arg(offset_key)));
  if (with_hlen) {
    commands.push_back(std::move(Command("HLEN").arg(tickets_key)));
  }
  auto replies = run(commands);
  if (!replies) {
    return tl::unexpected(replies.error());
  }
  if (redirected(*replies)) {
    return tl::unexpected(redirected_error());
  }
  return replies;
}

/// Every field of the tickets hash by HSCAN, handed to `sink` (a field may
/// come twice). One HSCAN is always in flight while the previous page is
/// handed over: Redis scans and sends page n+1 while this thread reads page n.
sla::Result<void> RedisStore::Impl::scan_tickets(const std::string& tickets_key, const TicketSink& sink) {
  const std::string count = std::to_string(options.scan_count);
  Node& n = *current;
  if (!n.context) {
    if (auto ok = connect(n); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  redisContext* ctx = n.context.get();
  const bool ask = asking;
  auto send = [&](const std::string& from) { return send_hscan(ctx, ask, tickets_key, from, count); };
  auto receive = [&] { return receive_hscan(ctx, ask); };
  // A failed exchange leaves replies unread: drop the connection.
  auto lost = [&](const sla::Error& e) {
    drop(n, e.message);
    return tl::unexpected(e);
  };
  if (auto sent = send("0"); !sent) {
    return lost(sent.error());
  }
  std::string cursor;
  do {
    auto page = receive();
    if (!page) {
      return lost(page.error());
    }
    const redisReply& reply = **page;
    if (auto r = redirect_of(reply); r.kind != Redirect::Kind::kNone) {
      redirect = std::move(r);  // the hash moved away mid-scan: start again there
      return tl::unexpected(redirected_error());
    }
    if (reply.type == REDIS_REPLY_ERROR) {
      return tl::unexpected(reply_error(reply, "HSCAN"));
    }
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2 || reply.element[0]->type != REDIS_REPLY_STRING ||
        reply.element[1]->type != REDIS_REPLY_ARRAY || reply.element[1]->elements % 2 != 0) {
      return lost(unexpected_reply(reply, "HSCAN"));
    }
    cursor.assign(reply_text(*reply.element[0]));
    if (cursor != "0") {
      if (auto sent = send(cursor); !sent) {
        return lost(sent.error());
      }
    }
    const redisReply& items = *reply.element[1];
    for (std::size_t i = 0; i + 1 < items.elements; i += 2) {
      sink.ticket(reply_text(*items.element[i]), reply_text(*items.element[i + 1]));
    }
  } while (cursor != "0");
  return {};
}

/// Queues HSCAN from cursor `from` (after an ASKING when `ask`) and writes
/// it out, so Redis starts on it while the caller copies the last page.
sla::Result<void> RedisStore::Impl::send_hscan(redisContext* ctx, bool ask, const std::string& tickets_key,
                                               const std::string& from, const std::string& count) {
  Command scan("HSCAN");
  scan.arg(tickets_key).arg(from).arg("COUNT").arg(count);
  const SigpipeGuard no_sigpipe;
  const char* asking_argv[] = {"ASKING"};
  const std::size_t asking_len[] = {6};
  if ((ask && redisAppendCommandArgv(ctx, 1, asking_argv, asking_len) != REDIS_OK) ||
      redisAppendCommandArgv(ctx, static_cast<int>(scan.argc()), scan.argv(), scan.lens()) != REDIS_OK) {
    return sla::fail(ErrorCode::kUnavailable, std::string("redis append: ") + ctx->errstr);
  }
  // redisAppendCommandArgv only buffers: write now so Redis starts on it.
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(ctx, &done) != REDIS_OK) {
      return sla::fail(ErrorCode::kUnavailable, std::string("redis: ") + ctx->errstr);
    }
  }
  return {};
}

/// The reply to one send_hscan(): its HSCAN reply, or the ASKING reply when
/// that was not OK.
sla::Result<ReplyPtr> RedisStore::Impl::receive_hscan(redisContext* ctx, bool ask) {
  const SigpipeGuard no_sigpipe;
  ReplyPtr asked;
  for (int i = ask ? 0 : 1; i < 2; ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) {
      return sla::fail(ErrorCode::kUnavailable, std::string("redis: ") + ctx->errstr);
    }
    if (i == 0) {
      asked.reset(static_cast<redisReply*>(raw));
    } else {
      ReplyPtr reply(static_cast<redisReply*>(raw));
      return asked && !is_status(*asked, "OK") ? std::move(asked) : std::move(reply);
    }
  }
  return sla::fail(ErrorCode::kInternal, "unreachable");
}

RedisStore::RedisStore(RedisOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.host.empty()) {
    throw std::invalid_argument("redis: empty host");
  }
  if (options.port < 1 || options.port > 65535) {
    throw std::invalid_argument("redis: port out of range: " + std::to_string(options.port));
  }
  if (options.db < 0) {
    throw std::invalid_argument("redis: negative db");
  }
  if (options.cluster && options.db != 0) {
    throw std::invalid_argument("redis: a Redis Cluster has only db 0");
  }
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    throw std::invalid_argument("redis: timeouts must be positive");
  }
  if (options.write_chunk == 0 || options.scan_count == 0) {
    throw std::invalid_argument("redis: write_chunk and scan_count must be positive");
  }
  if (options.key_prefix.find_first_of("{}") != std::string::npos) {
    throw std::invalid_argument("redis: key_prefix must not contain '{' or '}'");
  }
  impl_->options = std::move(options);
}

RedisStore::~RedisStore() = default;

sla::Result<PartitionState> RedisStore::load_partition(std::string_view topic, std::int32_t partition) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return tl::unexpected(ok.error());
  }
  const std::string tickets_key = redis_tickets_key(impl_->options.key_prefix, topic, partition);
  const std::string offset_key = redis_offset_key(impl_->options.key_prefix, topic, partition);
  PartitionState state;
  const TicketSink sink{[&](std::size_t expected) {
                          state.tickets.clear();
                          state.tickets.reserve(expected);
                        },
                        [&](std::string_view id, std::string_view bytes) {
                          state.tickets.push_back(TicketRecord{std::string(id), std::string(bytes)});
                        }};
  auto loaded =
      impl_->routed(redis_key_slot(tickets_key), [&] { return impl_->load(tickets_key, offset_key, sink); });
  if (!loaded) {
    return tl::unexpected(loaded.error());
  }
  // HSCAN may return a field twice (the hash was rehashing). Without a
  // concurrent writer every field comes at least once, so equal counts mean
  // no duplicates and the sort is skipped on the hot restart path.
  if (state.tickets.size() != static_cast<std::size_t>(loaded->second)) {
    std::sort(state.tickets.begin(), state.tickets.end(),
              [](const TicketRecord& a, const TicketRecord& b) { return a.id < b.id; });
    state.tickets.erase(std::unique(state.tickets.begin(), state.tickets.end(),
                                    [](const TicketRecord& a, const TicketRecord& b) { return a.id == b.id; }),
                        state.tickets.end());
  }
  state.next_offset = loaded->first;
  return state;
}

sla::Result<std::optional<std::int64_t>> RedisStore::load_partition_into(std::string_view topic,
                                                                         std::int32_t partition,
                                                                         const TicketSink& sink) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return tl::unexpected(ok.error());
  }
  const std::string tickets_key = redis_tickets_key(impl_->options.key_prefix, topic, partition);
  const std::string offset_key = redis_offset_key(impl_->options.key_prefix, topic, partition);
  auto loaded =
      impl_->routed(redis_key_slot(tickets_key), [&] { return impl_->load(tickets_key, offset_key, sink); });
  if (!loaded) {
    return tl::unexpected(loaded.error());
  }
  return loaded->first;
}

sla::Result<void> RedisStore::commit(std::string_view topic, std::int32_t partition, const Batch& batch) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return ok;
  }
  if (auto ok = validate_batch(batch); !ok) {
    return ok;
  }
  const std::string tickets_key = redis_tickets_key(impl_->options.key_prefix, topic, partition);
  const std::string offset_key = redis_offset_key(impl_->options.key_prefix, topic, partition);

  // The transaction does not depend on what is stored: build it once.
  std::vector<Command> transaction;
  auto chunked = [&](std::string_view verb, std::size_t count, auto&& add) {
    std::optional<Command> current;
    std::size_t fields = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (!current) {
        current.emplace(verb);
        current->arg(tickets_key);
        fields = 0;
      }
      add(*current, i);
      if (++fields >= impl_->options.write_chunk || current->bytes() >= kMaxCommandBytes) {
        transaction.push_back(std::move(*current));
        current.reset();
      }
    }
    if (current) {
      transaction.push_back(std::move(*current));
    }
  };
  chunked("HSET", batch.upserts.size(),
          [&](Command& c, std::size_t i) { c.arg(batch.upserts[i].id).arg(batch.upserts[i].state); });
  chunked("HDEL", batch.deletes.size(), [&](Command& c, std::size_t i) { c.arg(batch.deletes[i]); });
  transaction.push_back(std::move(Command("SET").arg(offset_key).own(std::to_string(batch.next_offset))));
  transaction.emplace_back("EXEC");

  return impl_->routed(redis_key_slot(tickets_key),
                       [&] { return impl_->commit(tickets_key, offset_key, transaction, batch.next_offset); });
}

sla::Result<void> RedisStore::clear_partition(std::string_view topic, std::int32_t partition) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return ok;
  }
  const std::string tickets_key = redis_tickets_key(impl_->options.key_prefix, topic, partition);
  const std::string offset_key = redis_offset_key(impl_->options.key_prefix, topic, partition);
  return impl_->routed(redis_key_slot(tickets_key), [&]() -> sla::Result<void> {
    auto reply = impl_->run_one(std::move(Command("DEL").arg(tickets_key).arg(offset_key)));
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    if (auto r = redirect_of(**reply); r.kind != Redirect::Kind::kNone) {
      impl_->redirect = std::move(r);
      return tl::unexpected(impl_->redirected_error());
    }
    if ((*reply)->type != REDIS_REPLY_INTEGER) {
      return tl::unexpected((*reply)->type == REDIS_REPLY_ERROR ? reply_error(**reply, "DEL")
                                                                : unexpected_reply(**reply, "DEL"));
    }
    return {};
  });
}

sla::Result<void> RedisStore::ping() {
  // Cluster: the slot map must be readable, and its first master answer.
  if (impl_->options.cluster) {
    if (auto ok = impl_->route(0); !ok) {
      return ok;
    }
  } else {
    impl_->current = &impl_->seed();
  }
  impl_->asking = false;
  auto reply = impl_->run_one(Command("PING"));
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  if (!is_status(**reply, "PONG")) {
    return tl::unexpected((*reply)->type == REDIS_REPLY_ERROR ? reply_error(**reply, "PING")
                                                              : unexpected_reply(**reply, "PING"));
  }
  return {};
}

std::unique_ptr<StateStore> RedisStore::another_connection() const {
  return std::make_unique<RedisStore>(impl_->options);
}

bool RedisStore::connected() const {
  return std::any_of(impl_->nodes.begin(), impl_->nodes.end(),
                     [](const auto& entry) { return entry.second.context != nullptr; });
}

const RedisStats& RedisStore::stats() const { return impl_->stats; }

const RedisOptions& RedisStore::options() const { return impl_->options; }

}  // namespace sla::store
