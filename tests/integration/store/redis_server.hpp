// RedisServer: a real `redis-server` child process on 127.0.0.1 and a free
// port, for integration tests. No persistence, no other address. Killed
// (SIGKILL) on destruction, and by the kernel if the test process dies
// (PR_SET_PDEATHSIG). Test-only.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

namespace sla::store::testing {

/// Owns a reply from redisCommandArgv(); freed with freeReplyObject().
struct ReplyDeleter {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// The commands RedisStore sends to a standalone server, as Redis ACL
/// command names (`+ping +get ...`; libs/store/README.md "Redis ACL"). AUTH
/// is always allowed; SELECT is needed too when `db` is not 0.
inline const std::vector<std::string> kStoreCommands = {
    "ping", "get", "set", "del", "type", "hset", "hdel", "hlen", "hscan", "watch", "multi", "exec", "discard"};

class RedisServer {
 public:
  /// Starts the server (throws std::runtime_error when it does not answer
  /// PING within 10 s). `extra_args` are appended to the command line, e.g.
  /// {"--requirepass", "secret"}; pass the password as `password` too so
  /// command() can authenticate (as ACL user `username` when non-empty, e.g.
  /// an admin user declared with `--user admin on >pw ~* &* +@all`).
  explicit RedisServer(std::vector<std::string> extra_args = {}, std::string password = {},
                       std::string username = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] bool running() const { return pid_ > 0; }

  /// kill -9 and reap. Data is gone (no persistence).
  void kill();
  /// Starts again on the same port.
  void restart();
  /// SIGSTOP / SIGCONT: a server that accepts nothing and answers nothing.
  void pause();
  void resume();

  /// Runs one command on a fresh admin connection (redisConnect +
  /// redisCommandArgv) and returns its reply; throws if unreachable.
  ReplyPtr command(const std::vector<std::string>& args) const;
  /// The value of `field` in `INFO section` (e.g. "cmdstat_hscan"), or "".
  [[nodiscard]] std::string info_field(std::string_view section, std::string_view field) const;

 private:
  void start();
  void wait_ready();
  void authenticate(redisContext* context) const;

  std::vector<std::string> extra_args_;
  std::string password_;
  std::string username_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sla::store::testing
