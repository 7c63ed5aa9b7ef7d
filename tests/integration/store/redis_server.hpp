// RedisServer: a real `redis-server` child process on 127.0.0.1 and a free
// port, for integration tests. No persistence, no other address. Killed
// (SIGKILL) on destruction, and by the kernel if the test process dies
// (PR_SET_PDEATHSIG). Test-only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
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

/// What RedisStore sends in cluster mode besides kStoreCommands: EXISTS
/// (load's migration check), ASKING and CLUSTER SLOTS.
inline const std::vector<std::string> kClusterStoreCommands = {"exists", "asking", "cluster|slots"};

/// A port the kernel just handed out on 127.0.0.1 (free a moment ago).
int free_loopback_port();

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

/// A Redis Cluster of three masters (no replicas) on 127.0.0.1, each a
/// RedisServer with `--cluster-enabled yes` and its bus on a free port,
/// joined by `redis-cli --cluster create`. Ready (every node sees 16384 slots
/// assigned, state ok) when the constructor returns.
class RedisCluster {
 public:
  /// `extra_args`, `password` and `username` as for RedisServer, for every
  /// node (the test's own commands, redis-cli and MIGRATE use them).
  explicit RedisCluster(std::vector<std::string> extra_args = {}, std::string password = {},
                        std::string username = {});

  [[nodiscard]] static constexpr int size() { return 3; }
  [[nodiscard]] RedisServer& node(int i) { return *nodes_.at(static_cast<std::size_t>(i)); }
  [[nodiscard]] const RedisServer& node(int i) const { return *nodes_.at(static_cast<std::size_t>(i)); }
  /// CLUSTER MYID of node i.
  [[nodiscard]] std::string id(int i) const;
  /// The node serving `slot`, as node 0's CLUSTER SLOTS says.
  [[nodiscard]] int owner(std::uint16_t slot) const;
  /// FLUSHALL on every master.
  void flush_all();
  /// Waits (up to 30 s, else throws) until every node reports state ok and
  /// agrees that `slot` is served by node `owner` (or just state ok when -1).
  void wait_agreed(int slot = -1, int owner = -1) const;

  /// Moves `slot` from node `from` to node `to` as `redis-cli --cluster
  /// reshard` does, one step at a time, calling `between(step)` after each:
  /// "importing" (CLUSTER SETSLOT IMPORTING on `to` and MIGRATING on
  /// `from`), then each MIGRATE of the keys in `key_groups` order ("key 0",
  /// "key 1", ...; keys not listed go in a last MIGRATE), then "owned"
  /// (SETSLOT NODE on every node). The test keeps traffic going meanwhile.
  void migrate_slot(std::uint16_t slot, int from, int to, const std::vector<std::vector<std::string>>& key_groups,
                    const std::function<void(const std::string&)>& between);

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  std::string password_;
  std::string username_;
};

}  // namespace sla::store::testing
