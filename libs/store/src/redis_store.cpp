#include "sla/store/redis_store.hpp"

#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
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
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
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

}  // namespace

std::string redis_tickets_key(std::string_view prefix, std::string_view topic,
                              std::int32_t partition) {
  return key_base(prefix, topic, partition) + ":t";
}

std::string redis_offset_key(std::string_view prefix, std::string_view topic,
                             std::int32_t partition) {
  return key_base(prefix, topic, partition) + ":offset";
}

struct RedisStore::Impl {
  RedisOptions options;
  ContextPtr context;
  RedisStats stats;
  // Only transitions are logged, so a daemon retrying against a dead Redis
  // does not flood the log.
  bool down_logged = false;

  void drop(std::string_view why) {
    if (context) {
      ++stats.io_errors;
      logger()->warn("redis {}:{}: connection lost: {}", options.host, options.port, why);
      down_logged = true;
    }
    context.reset();
  }

  sla::Result<void> connect() {
    ContextPtr fresh(
        redisConnectWithTimeout(options.host.c_str(), options.port, to_timeval(options.connect_timeout)));
    auto failed = [&](std::string why) -> sla::Result<void> {
      ++stats.connect_failures;
      if (!down_logged) {
        logger()->warn("redis {}:{}: cannot connect: {}", options.host, options.port, why);
        down_logged = true;
      }
      return sla::fail(ErrorCode::kUnavailable,
                       "redis " + options.host + ":" + std::to_string(options.port) + ": " + why);
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
      auto replies = exchange(fresh.get(), handshake);
      if (!replies) {
        return failed(replies.error().message);
      }
      for (std::size_t i = 0; i < replies->size(); ++i) {
        if (!is_status(*(*replies)[i], "OK")) {
          return failed(what[i] + " refused: " + std::string(reply_text(*(*replies)[i])));
        }
      }
    }
    context = std::move(fresh);
    ++stats.connects;
    if (down_logged) {
      logger()->info("redis {}:{}: connected", options.host, options.port);
      down_logged = false;
    }
    return {};
  }

  /// Pipelines `commands` on `ctx` (redisAppendCommandArgv for each, then
  /// redisGetReply for each) and returns one reply per command, error
  /// replies included. An I/O error or timeout fails the whole exchange.
  static sla::Result<std::vector<ReplyPtr>> exchange(redisContext* ctx,
                                                     std::vector<Command>& commands) {
    const SigpipeGuard no_sigpipe;
    for (auto& command : commands) {
      if (redisAppendCommandArgv(ctx, static_cast<int>(command.argc()), command.argv(),
                                 command.lens()) != REDIS_OK) {
        return sla::fail(ErrorCode::kUnavailable, std::string("redis append: ") + ctx->errstr);
      }
    }
    std::vector<ReplyPtr> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) {
        return sla::fail(ErrorCode::kUnavailable, std::string("redis: ") + ctx->errstr);
      }
      replies.emplace_back(static_cast<redisReply*>(raw));
    }
    return replies;
  }

  /// Connects if needed, then exchange(). On failure the connection is
  /// dropped: after a partial pipeline its state is unknown.
  sla::Result<std::vector<ReplyPtr>> run(std::vector<Command>& commands) {
    if (!context) {
      if (auto ok = connect(); !ok) {
        return tl::unexpected(ok.error());
      }
    }
    auto replies = exchange(context.get(), commands);
    if (!replies) {
      drop(replies.error().message);
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

  sla::Result<void> commit(std::string_view topic, std::int32_t partition, const Batch& batch);
  sla::Result<PartitionState> load(std::string_view topic, std::int32_t partition);
};

sla::Result<void> RedisStore::Impl::commit(std::string_view topic, std::int32_t partition,
                                           const Batch& batch) {
  const std::string tickets_key = redis_tickets_key(options.key_prefix, topic, partition);
  const std::string offset_key = redis_offset_key(options.key_prefix, topic, partition);

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
      if (++fields >= options.write_chunk || current->bytes() >= kMaxCommandBytes) {
        transaction.push_back(std::move(*current));
        current.reset();
      }
    }
    if (current) {
      transaction.push_back(std::move(*current));
    }
  };
  chunked("HSET", batch.upserts.size(), [&](Command& c, std::size_t i) {
    c.arg(batch.upserts[i].id).arg(batch.upserts[i].state);
  });
  chunked("HDEL", batch.deletes.size(),
          [&](Command& c, std::size_t i) { c.arg(batch.deletes[i]); });
  transaction.push_back(std::move(Command("SET").arg(offset_key).own(std::to_string(batch.next_offset))));
  transaction.emplace_back("EXEC");

  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    // Round trip 1: watch both keys, read the offset and the tickets' type,
    // and open the transaction. MULTI goes first, not with the writes: were
    // it refused (an ACL without it), writes pipelined after it would run
    // one by one outside any transaction.
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
      drop("MULTI refused");
      return tl::unexpected(replies[3]->type == REDIS_REPLY_ERROR ? reply_error(*replies[3], "MULTI")
                                                                   : unexpected_reply(*replies[3], "MULTI"));
    }
    auto discard = [&] {
      std::vector<Command> cmd;
      cmd.emplace_back("DISCARD");  // ends the transaction and the WATCH
      auto done = run(cmd);
      if (done && !is_status(*done->front(), "OK")) {
        drop("DISCARD refused");  // the connection may still be inside MULTI
      }
    };
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
    if (*stored && **stored > batch.next_offset) {
      discard();
      ++stats.stale_commits;
      return sla::fail(ErrorCode::kOutOfRange,
                       "redis: stale commit to " + offset_key + ": next_offset " +
                           std::to_string(batch.next_offset) + " is below the stored " +
                           std::to_string(**stored));
    }

    // Round trip 2: the whole transaction pipelined.
    auto executed = run(transaction);
    if (!executed) {
      return tl::unexpected(executed.error());
    }
    const redisReply& exec = *executed->back();
    if (exec.type == REDIS_REPLY_NIL) {
      ++stats.watch_conflicts;  // another writer touched the partition: re-check
      continue;
    }
    if (exec.type == REDIS_REPLY_ERROR && !reply_text(exec).starts_with("EXECABORT")) {
      // EXEC itself refused (an ACL without it): the connection may still be
      // inside MULTI. Nothing was applied; start afresh next time.
      drop("EXEC refused");
      return tl::unexpected(reply_error(exec, "EXEC"));
    }
    if (exec.type == REDIS_REPLY_ERROR) {
      // EXECABORT: a command was refused while queueing; nothing was applied.
      // Name the first refusal, it is more useful than EXECABORT itself.
      for (const auto& reply : *executed) {
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
        logger()->error("redis: EXEC of {} partly failed: {}", tickets_key,
                        reply_text(*exec.element[i]));
        return tl::unexpected(reply_error(*exec.element[i], "EXEC"));
      }
    }
    ++stats.commits;
    return {};
  }
  return sla::fail(ErrorCode::kUnavailable,
                   "redis: commit to " + offset_key + " kept conflicting with another writer");
}

sla::Result<PartitionState> RedisStore::Impl::load(std::string_view topic, std::int32_t partition) {
  const std::string tickets_key = redis_tickets_key(options.key_prefix, topic, partition);
  const std::string offset_key = redis_offset_key(options.key_prefix, topic, partition);
  const std::string count = std::to_string(options.scan_count);

  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto before_reply = run_one(std::move(Command("GET").arg(offset_key)));
    if (!before_reply) {
      return tl::unexpected(before_reply.error());
    }
    auto before = parse_offset(**before_reply);
    if (!before) {
      return tl::unexpected(before.error());
    }

    PartitionState state;
    // One HSCAN is always in flight while the previous page is copied out:
    // Redis scans and sends page n+1 while this thread copies page n.
    if (!context) {
      if (auto ok = connect(); !ok) {
        return tl::unexpected(ok.error());
      }
    }
    auto send = [&](const std::string& from) -> sla::Result<void> {
      Command scan("HSCAN");
      scan.arg(tickets_key).arg(from).arg("COUNT").arg(count);
      const SigpipeGuard no_sigpipe;
      int done = 0;
      if (redisAppendCommandArgv(context.get(), static_cast<int>(scan.argc()), scan.argv(), scan.lens()) != REDIS_OK) {
        return sla::fail(ErrorCode::kUnavailable, std::string("redis append: ") + context->errstr);
      }
      // redisAppendCommandArgv only buffers: write now so Redis starts on it.
      while (done == 0) {
        if (redisBufferWrite(context.get(), &done) != REDIS_OK) {
          return sla::fail(ErrorCode::kUnavailable, std::string("redis: ") + context->errstr);
        }
      }
      return {};
    };
    auto receive = [&]() -> sla::Result<ReplyPtr> {
      const SigpipeGuard no_sigpipe;
      void* raw = nullptr;
      if (redisGetReply(context.get(), &raw) != REDIS_OK || raw == nullptr) {
        return sla::fail(ErrorCode::kUnavailable, std::string("redis: ") + context->errstr);
      }
      return ReplyPtr(static_cast<redisReply*>(raw));
    };
    // A failed exchange leaves replies unread: drop the connection.
    auto lost = [&](const sla::Error& e) {
      drop(e.message);
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
      if (reply.type == REDIS_REPLY_ERROR) {
        return tl::unexpected(reply_error(reply, "HSCAN"));
      }
      if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2 ||
          reply.element[0]->type != REDIS_REPLY_STRING ||
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
        state.tickets.push_back(TicketRecord{std::string(reply_text(*items.element[i])),
                                             std::string(reply_text(*items.element[i + 1]))});
      }
    } while (cursor != "0");

    std::vector<Command> after_cmds;
    after_cmds.push_back(std::move(Command("GET").arg(offset_key)));
    after_cmds.push_back(std::move(Command("HLEN").arg(tickets_key)));
    auto after_replies = run(after_cmds);
    if (!after_replies) {
      return tl::unexpected(after_replies.error());
    }
    auto after = parse_offset(*(*after_replies)[0]);
    if (!after) {
      return tl::unexpected(after.error());
    }
    const redisReply& hlen = *(*after_replies)[1];
    if (hlen.type != REDIS_REPLY_INTEGER) {
      return tl::unexpected(hlen.type == REDIS_REPLY_ERROR ? reply_error(hlen, "HLEN")
                                                           : unexpected_reply(hlen, "HLEN"));
    }
    if (*after != *before) {
      continue;  // a commit landed during the scan: the pages may mix states
    }
    // HSCAN may return a field twice (the hash was rehashing). Without a
    // concurrent writer every field comes at least once, so equal counts mean
    // no duplicates and the sort is skipped on the hot restart path.
    if (state.tickets.size() != static_cast<std::size_t>(hlen.integer)) {
      std::sort(state.tickets.begin(), state.tickets.end(),
                [](const TicketRecord& a, const TicketRecord& b) { return a.id < b.id; });
      state.tickets.erase(std::unique(state.tickets.begin(), state.tickets.end(),
                                      [](const TicketRecord& a, const TicketRecord& b) {
                                        return a.id == b.id;
                                      }),
                          state.tickets.end());
    }
    state.next_offset = *after;
    return state;
  }
  return sla::fail(ErrorCode::kUnavailable,
                   "redis: partition " + tickets_key + " kept changing during load");
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

sla::Result<PartitionState> RedisStore::load_partition(std::string_view topic,
                                                       std::int32_t partition) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return tl::unexpected(ok.error());
  }
  return impl_->load(topic, partition);
}

sla::Result<void> RedisStore::commit(std::string_view topic, std::int32_t partition,
                                     const Batch& batch) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return ok;
  }
  if (auto ok = validate_batch(batch); !ok) {
    return ok;
  }
  return impl_->commit(topic, partition, batch);
}

sla::Result<void> RedisStore::clear_partition(std::string_view topic, std::int32_t partition) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return ok;
  }
  auto reply = impl_->run_one(std::move(
      Command("DEL")
          .own(redis_tickets_key(impl_->options.key_prefix, topic, partition))
          .own(redis_offset_key(impl_->options.key_prefix, topic, partition))));
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  if ((*reply)->type != REDIS_REPLY_INTEGER) {
    return tl::unexpected((*reply)->type == REDIS_REPLY_ERROR ? reply_error(**reply, "DEL")
                                                              : unexpected_reply(**reply, "DEL"));
  }
  return {};
}

sla::Result<void> RedisStore::ping() {
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

bool RedisStore::connected() const { return impl_->context != nullptr; }

const RedisStats& RedisStore::stats() const { return impl_->stats; }

const RedisOptions& RedisStore::options() const { return impl_->options; }

}  // namespace sla::store
