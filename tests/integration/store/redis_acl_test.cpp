// RedisStore as a Redis ACL user (Redis 6+), against a real redis-server
// started with an admin user, a user `sla` limited to the keys `sla:*` and to
// the commands the store sends (kStoreCommands), and the `default` user
// disabled: the StateStore contract as that user, the command set being both
// sufficient and necessary, keys outside the prefix refused, and a wrong
// password or no credentials failing with Redis' reason in the error.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "sla/store/redis_store.hpp"
#include "store_contract.hpp"

namespace sla::store::testing {
namespace {

constexpr const char* kAdmin = "admin";
constexpr const char* kAdminPassword = "admin-pw";

/// redis-server arguments declaring the users: `admin` (everything, for the
/// test's own commands), `sla` with `commands`, `default` off.
std::vector<std::string> acl_args(const std::vector<std::string>& commands) {
  std::vector<std::string> args = {"--user", kAdmin, "on", std::string(">") + kAdminPassword, "~*", "&*", "+@all",
                                   "--user", "sla", "on", ">secret", "resetkeys", "~sla:*", "resetchannels",
                                   "-@all"};
  for (const auto& command : commands) {
    args.push_back("+" + command);
  }
  args.insert(args.end(), {"--user", "default", "off"});
  return args;
}

RedisOptions as_sla(const RedisServer& server, std::string password = "secret") {
  RedisOptions options;
  options.port = server.port();
  options.username = "sla";
  options.password = std::move(password);
  options.connect_timeout = std::chrono::milliseconds(1000);
  return options;
}

struct AclFactory {
  RedisServer server{acl_args(kStoreCommands), kAdminPassword, kAdmin};
  std::unique_ptr<StateStore> make() { return std::make_unique<RedisStore>(as_sla(server)); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(RedisAcl, StoreContract, AclFactory);

namespace {

/// The commands `ACL LOG` recorded as refused for lack of permission.
std::vector<std::string> refused_commands(const RedisServer& server) {
  std::vector<std::string> refused;
  auto log = server.command({"ACL", "LOG"});
  if (log->type != REDIS_REPLY_ARRAY) {
    return refused;
  }
  for (std::size_t i = 0; i < log->elements; ++i) {
    const redisReply& entry = *log->element[i];
    std::string reason;
    std::string object;
    for (std::size_t k = 0; k + 1 < entry.elements; k += 2) {
      const std::string key(entry.element[k]->str, entry.element[k]->len);
      const redisReply& value = *entry.element[k + 1];
      if (value.type != REDIS_REPLY_STRING) {
        continue;
      }
      if (key == "reason") {
        reason.assign(value.str, value.len);
      } else if (key == "object") {
        object.assign(value.str, value.len);
      }
    }
    if (reason == "command") {
      refused.push_back(object);
    }
  }
  return refused;
}

/// Every path the store has: ping, commits with upserts and deletes in
/// several chunks, a stale commit (refused after MULTI, so DISCARD), a load
/// in several HSCAN pages, a clear. Returns whether all went as expected.
bool every_path(RedisStore& store) {
  bool ok = store.ping().has_value();
  Batch batch;
  for (int i = 0; i < 50; ++i) {
    batch.upserts.push_back({"T-" + std::to_string(i), std::string("s\0", 2) + std::to_string(i)});
  }
  batch.next_offset = 10;
  ok = store.commit("tickets.events", 0, batch).has_value() && ok;
  ok = store.commit("tickets.events", 0, Batch{{{"T-1", "x"}}, {"T-2", "T-3"}, 11}).has_value() && ok;
  auto stale = store.commit("tickets.events", 0, Batch{{}, {}, 5});
  ok = !stale && stale.error().code == ErrorCode::kOutOfRange && ok;
  auto loaded = store.load_partition("tickets.events", 0);
  ok = loaded && loaded->tickets.size() == 48 && loaded->next_offset == 11 && ok;
  ok = store.clear_partition("tickets.events", 0).has_value() && ok;
  return ok;
}

TEST(RedisStoreAcl, TheDocumentedCommandSetIsExactlyWhatTheStoreNeeds) {
  RedisServer server(acl_args(kStoreCommands), kAdminPassword, kAdmin);
  auto options = as_sla(server);
  options.write_chunk = 7;
  options.scan_count = 5;

  // Sufficient: every path works and nothing is refused.
  {
    RedisStore store(options);
    EXPECT_TRUE(every_path(store));
    EXPECT_EQ(refused_commands(server), std::vector<std::string>{});
  }
  // Necessary: without any one of them, some path is refused that command
  // and fails (except DISCARD: refused, the store drops the connection
  // instead, so a stale commit costs a reconnect).
  for (const auto& command : kStoreCommands) {
    SCOPED_TRACE(command);
    ASSERT_EQ(server.command({"ACL", "SETUSER", "sla", "-" + command})->type, REDIS_REPLY_STATUS);
    ASSERT_EQ(server.command({"ACL", "LOG", "RESET"})->type, REDIS_REPLY_STATUS);
    RedisStore store(options);
    EXPECT_EQ(every_path(store), command == "discard");
    const auto refused = refused_commands(server);
    EXPECT_NE(std::find(refused.begin(), refused.end(), command), refused.end())
        << "the store never needed " << command;
    ASSERT_EQ(server.command({"ACL", "SETUSER", "sla", "+" + command})->type, REDIS_REPLY_STATUS);
    ASSERT_EQ(server.command({"FLUSHALL"})->type, REDIS_REPLY_STATUS);
  }
}

TEST(RedisStoreAcl, WithoutMultiNothingIsWrittenOutsideATransaction) {
  std::vector<std::string> commands = kStoreCommands;
  commands.erase(std::find(commands.begin(), commands.end(), "multi"));
  RedisServer server(acl_args(commands), kAdminPassword, kAdmin);
  RedisStore store(as_sla(server));
  auto commit = store.commit("t", 0, Batch{{{"a", "1"}}, {}, 1});
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(commit.error().message.find("NOPERM"), std::string::npos) << commit.error().message;
  EXPECT_EQ(server.command({"DBSIZE"})->integer, 0);
}

TEST(RedisStoreAcl, KeysOutsideThePrefixAreRefused) {
  RedisServer server(acl_args(kStoreCommands), kAdminPassword, kAdmin);
  auto options = as_sla(server);
  options.key_prefix = "other";
  RedisStore store(options);
  ASSERT_TRUE(store.ping().has_value());
  auto commit = store.commit("t", 0, Batch{{{"a", "1"}}, {}, 1});
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(commit.error().message.find("NOPERM"), std::string::npos) << commit.error().message;
  auto load = store.load_partition("t", 0);
  ASSERT_FALSE(load.has_value());
  EXPECT_NE(load.error().message.find("NOPERM"), std::string::npos) << load.error().message;
  EXPECT_EQ(server.command({"DBSIZE"})->integer, 0);
  // The same store works once its prefix is inside the user's keys.
  RedisStore inside(as_sla(server));
  EXPECT_TRUE(inside.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).has_value());
}

TEST(RedisStoreAcl, AWrongPasswordFailsClearlyAndTheDefaultUserIsOff) {
  RedisServer server(acl_args(kStoreCommands), kAdminPassword, kAdmin);

  RedisStore wrong(as_sla(server, "not-the-secret"));
  auto refused = wrong.ping();
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("AUTH as user 'sla' refused: WRONGPASS"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(wrong.connected());
  EXPECT_EQ(wrong.stats().connect_failures, 1U);
  EXPECT_EQ(wrong.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).error().code, ErrorCode::kUnavailable);

  // No credentials: the connection is the disabled `default` user's.
  RedisOptions anonymous;
  anonymous.port = server.port();
  RedisStore nobody(anonymous);
  auto noauth = nobody.commit("t", 0, Batch{{{"a", "1"}}, {}, 1});
  ASSERT_FALSE(noauth.has_value());
  EXPECT_NE(noauth.error().message.find("NOAUTH"), std::string::npos) << noauth.error().message;
  // Nor can anyone log in as `default`, with whatever password.
  auto as_default = anonymous;
  as_default.username = "default";
  as_default.password = "anything";
  RedisStore defaulted(as_default);
  auto wrongpass = defaulted.ping();
  ASSERT_FALSE(wrongpass.has_value());
  EXPECT_NE(wrongpass.error().message.find("AUTH as user 'default' refused"), std::string::npos)
      << wrongpass.error().message;
  // A username without a password is sent too (not silently `default`).
  auto no_password = as_sla(server, "");
  RedisStore unauthenticated(no_password);
  EXPECT_NE(unauthenticated.ping().error().message.find("WRONGPASS"), std::string::npos);

  EXPECT_EQ(server.command({"DBSIZE"})->integer, 0);
  RedisStore right(as_sla(server));
  ASSERT_TRUE(right.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).has_value());
  EXPECT_EQ(right.load_partition("t", 0)->next_offset, 1);
}

}  // namespace
}  // namespace sla::store::testing
