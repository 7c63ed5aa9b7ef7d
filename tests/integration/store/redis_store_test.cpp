// RedisStore against a real redis-server started by each test on 127.0.0.1
// and a free port: the StateStore contract, then what only Redis has (key
// layout, HSCAN loading, EXECABORT atomicity, AUTH/SELECT, server down, hung
// server, restart).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "sla/store/redis_store.hpp"
#include "store_contract.hpp"

namespace sla::store::testing {
namespace {

RedisOptions options_for(const RedisServer& server) {
  RedisOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.command_timeout = std::chrono::milliseconds(5000);
  return options;
}

struct RedisFactory {
  RedisServer server;
  std::unique_ptr<StateStore> make() { return std::make_unique<RedisStore>(options_for(server)); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Redis, StoreContract, RedisFactory);

namespace {

std::string text(const ReplyPtr& reply) {
  if (reply->type == REDIS_REPLY_NIL) {
    return "(nil)";
  }
  return std::string(reply->str, reply->len);
}

class RedisStoreTest : public ::testing::Test {
 protected:
  RedisServer server_;
  RedisStore store_{options_for(server_)};

  PartitionState load(RedisStore& store, std::string_view topic, std::int32_t partition) {
    auto loaded = store.load_partition(topic, partition);
    EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().message);
    if (!loaded) {
      return {};
    }
    loaded->tickets = sorted(std::move(loaded->tickets));
    return *std::move(loaded);
  }
};

TEST_F(RedisStoreTest, KeysCarryThePartitionAsHashTag) {
  ASSERT_TRUE(store_.commit("tickets.events", 3, Batch{{{"T-1", binary_bytes()}}, {}, 42}));

  EXPECT_EQ(text(server_.command({"TYPE", "sla:{tickets.events/3}:t"})), "hash");
  EXPECT_EQ(text(server_.command({"HGET", "sla:{tickets.events/3}:t", "T-1"})), binary_bytes());
  EXPECT_EQ(text(server_.command({"GET", "sla:{tickets.events/3}:offset"})), "42");
  EXPECT_EQ(server_.command({"DBSIZE"})->integer, 2);

  auto options = options_for(server_);
  options.key_prefix = "prod";
  RedisStore prefixed(options);
  ASSERT_TRUE(prefixed.commit("tickets.events", 3, Batch{{{"T-2", "x"}}, {}, 7}));
  EXPECT_EQ(text(server_.command({"GET", "prod:{tickets.events/3}:offset"})), "7");
  EXPECT_EQ(load(store_, "tickets.events", 3).tickets.size(), 1U);  // prefixes do not mix
}

TEST_F(RedisStoreTest, LoadsOneHundredThousandTicketsWithHscan) {
  constexpr int kTickets = 100000;
  std::int64_t offset = 0;
  for (int first = 0; first < kTickets; first += 20000) {
    Batch batch;
    for (int i = first; i < first + 20000; ++i) {
      std::string state = "state-" + std::to_string(i);
      state.push_back('\0');
      state.append(48, static_cast<char>(i % 251));
      batch.upserts.push_back({"TCK-" + std::to_string(i), std::move(state)});
    }
    batch.next_offset = offset += 20000;
    ASSERT_TRUE(store_.commit("tickets.events", 0, batch).has_value());
  }
  EXPECT_EQ(server_.command({"HLEN", "sla:{tickets.events/0}:t"})->integer, kTickets);

  RedisStore fresh(options_for(server_));  // a restarted instance
  const auto started = std::chrono::steady_clock::now();
  auto loaded = fresh.load_partition("tickets.events", 0);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->next_offset, kTickets);
  ASSERT_EQ(loaded->tickets.size(), static_cast<std::size_t>(kTickets));
  const auto tickets = sorted(std::move(loaded->tickets));
  for (std::size_t i = 1; i < tickets.size(); ++i) {
    ASSERT_NE(tickets[i - 1].id, tickets[i].id);  // each once
  }
  for (const auto& t : tickets) {
    const int i = std::stoi(t.id.substr(4));
    ASSERT_EQ(t.state.size(), 6U + std::to_string(i).size() + 1U + 48U) << t.id;
    ASSERT_EQ(t.state.back(), static_cast<char>(i % 251)) << t.id;
  }
  // Paged (many HSCAN calls), never one giant HGETALL reply.
  const std::string hscan = server_.info_field("commandstats", "cmdstat_hscan");
  ASSERT_FALSE(hscan.empty());
  // COUNT is a hint: Redis returns about scan_count fields per call.
  EXPECT_GE(std::stoi(hscan.substr(hscan.find("calls=") + 6)),
            kTickets / static_cast<int>(fresh.options().scan_count));
  EXPECT_EQ(server_.info_field("commandstats", "cmdstat_hgetall"), "");
  std::printf("[ info     ] loaded %d tickets in %lld ms\n", kTickets,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

// A commit that lands while the partition is being streamed (another writer
// moves the offset mid-scan) makes the load start over: the sink is told to
// drop what it had, and what it ends with is the partition after the commit.
TEST_F(RedisStoreTest, StreamedLoadStartsOverWhenACommitLandsMidScan) {
  Batch batch;
  for (int i = 0; i < 30000; ++i) batch.upserts.push_back({"T-" + std::to_string(i), "old-" + std::to_string(i)});
  batch.next_offset = 10;
  ASSERT_TRUE(store_.commit("t", 0, batch).has_value());

  RedisStore writer(options_for(server_));
  std::vector<std::size_t> restarts;
  std::vector<TicketRecord> seen;
  bool committed = false;
  const TicketSink sink{[&](std::size_t expected) {
                          restarts.push_back(expected);
                          seen.clear();
                        },
                        [&](std::string_view id, std::string_view state) {
                          seen.push_back(TicketRecord{std::string(id), std::string(state)});
                          if (!committed) {
                            committed = true;
                            ASSERT_TRUE(writer.commit("t", 0, Batch{{{"T-new", "new"}}, {"T-0"}, 11}).has_value());
                          }
                        }};
  auto offset = store_.load_partition_into("t", 0, sink);
  ASSERT_TRUE(offset.has_value()) << offset.error().message;
  EXPECT_EQ(*offset, std::optional<std::int64_t>(11));
  EXPECT_EQ(restarts, (std::vector<std::size_t>{30000, 30000}));
  EXPECT_EQ(sorted(seen), load(store_, "t", 0).tickets);
  EXPECT_EQ(seen.size(), 30000U);
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](const TicketRecord& r) { return r.id == "T-new"; }));
}

TEST_F(RedisStoreTest, LargeBatchesAreChunkedInsideOneTransaction) {
  auto options = options_for(server_);
  options.write_chunk = 7;
  RedisStore store(options);
  Batch batch;
  for (int i = 0; i < 100; ++i) {
    batch.upserts.push_back({"t" + std::to_string(i), std::to_string(i)});
  }
  for (int i = 0; i < 50; ++i) {
    batch.deletes.push_back("t" + std::to_string(2 * i));
  }
  batch.next_offset = 1;
  ASSERT_TRUE(store.commit("t", 0, batch).has_value());
  const std::string hset = server_.info_field("commandstats", "cmdstat_hset");
  EXPECT_NE(hset.find("calls=15,"), std::string::npos) << hset;  // ceil(100 / 7)
  const std::string hdel = server_.info_field("commandstats", "cmdstat_hdel");
  EXPECT_NE(hdel.find("calls=8,"), std::string::npos) << hdel;  // ceil(50 / 7)
  EXPECT_EQ(load(store, "t", 0).tickets.size(), 50U);
}

TEST_F(RedisStoreTest, BatchRefusedByRedisWritesNothing) {
  ASSERT_TRUE(store_.commit("t", 0, Batch{{{"a", "before"}}, {}, 1}).has_value());
  // Leave Redis 2 MiB of headroom, then send a 16 MiB batch: Redis refuses a
  // command queued in MULTI once out of memory, and EXEC then aborts it all.
  const long long used = std::stoll(server_.info_field("memory", "used_memory"));
  ASSERT_EQ(text(server_.command({"CONFIG", "SET", "maxmemory", std::to_string(used + (2LL << 20))})), "OK");
  ASSERT_EQ(text(server_.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"})), "OK");

  Batch big;
  for (int i = 0; i < 4000; ++i) {
    big.upserts.push_back({"big-" + std::to_string(i), std::string(4096, 'x')});
  }
  big.upserts.push_back({"a", "after"});
  big.deletes.push_back("a");
  big.next_offset = 2;
  auto refused = store_.commit("t", 0, big);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("OOM"), std::string::npos) << refused.error().message;

  ASSERT_EQ(text(server_.command({"CONFIG", "SET", "maxmemory", "0"})), "OK");
  const auto state = load(store_, "t", 0);
  EXPECT_EQ(state.next_offset, 1);
  EXPECT_EQ(state.tickets, (std::vector<TicketRecord>{{"a", "before"}}));
  // The connection is still usable, and the same batch now goes through.
  ASSERT_TRUE(store_.commit("t", 0, big).has_value());
  EXPECT_EQ(load(store_, "t", 0).tickets.size(), 4000U);
}

TEST_F(RedisStoreTest, ConnectionCutMidTransactionWritesNothing) {
  // With the default disposition a SIGPIPE (a write after the peer's reset)
  // would kill the process; the store blocks it and reports kUnavailable.
  std::signal(SIGPIPE, SIG_DFL);
  ASSERT_TRUE(store_.commit("t", 0, Batch{{{"a", "before"}}, {}, 1}).has_value());
  // Redis hangs up on a bulk argument longer than proto-max-bulk-len (a
  // protocol error): a 2 MiB state first, then 32 MiB more, so the store is
  // still writing the transaction when the connection is cut.
  ASSERT_EQ(text(server_.command({"CONFIG", "SET", "proto-max-bulk-len", "1mb"})), "OK");
  RedisStore store(options_for(server_));
  Batch big;
  big.upserts.push_back({"huge", std::string(2U << 20U, 'z')});
  for (int i = 0; i < 8000; ++i) {
    big.upserts.push_back({"big-" + std::to_string(i), std::string(4096, 'y')});
  }
  big.next_offset = 2;
  auto cut = store.commit("t", 0, big);
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().code, ErrorCode::kUnavailable) << cut.error().message;
  EXPECT_FALSE(store.connected());

  const auto state = load(store_, "t", 0);  // MULTI without EXEC is discarded
  EXPECT_EQ(state.next_offset, 1);
  EXPECT_EQ(state.tickets, (std::vector<TicketRecord>{{"a", "before"}}));
}

TEST_F(RedisStoreTest, ForeignDataIsInternalErrorAndNothingIsWritten) {
  ASSERT_EQ(text(server_.command({"SET", "sla:{t/0}:t", "not a hash"})), "OK");
  auto commit = store_.commit("t", 0, Batch{{{"a", "1"}}, {}, 5});
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, ErrorCode::kInternal) << commit.error().message;
  EXPECT_EQ(text(server_.command({"GET", "sla:{t/0}:offset"})), "(nil)");
  EXPECT_EQ(store_.load_partition("t", 0).error().code, ErrorCode::kInternal);

  ASSERT_EQ(text(server_.command({"SET", "sla:{t/1}:offset", "12abc"})), "OK");
  EXPECT_EQ(store_.load_partition("t", 1).error().code, ErrorCode::kInternal);
  EXPECT_EQ(store_.commit("t", 1, Batch{{}, {}, 20}).error().code, ErrorCode::kInternal);
}

TEST_F(RedisStoreTest, ServerDownIsUnavailableAndTheStoreReconnectsAfterRestart) {
  ASSERT_TRUE(store_.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).has_value());
  ASSERT_TRUE(store_.connected());

  server_.kill();
  auto commit = store_.commit("t", 0, Batch{{{"a", "2"}}, {}, 2});
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, ErrorCode::kUnavailable) << commit.error().message;
  EXPECT_FALSE(store_.connected());
  EXPECT_EQ(store_.load_partition("t", 0).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store_.ping().error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store_.clear_partition("t", 0).error().code, ErrorCode::kUnavailable);
  EXPECT_GE(store_.stats().io_errors, 1U);
  EXPECT_GE(store_.stats().connect_failures, 1U);

  server_.restart();  // same port, empty (no persistence)
  ASSERT_TRUE(store_.ping().has_value());
  EXPECT_TRUE(store_.connected());
  EXPECT_EQ(store_.stats().connects, 2U);
  ASSERT_TRUE(store_.commit("t", 0, Batch{{{"a", "3"}}, {}, 3}).has_value());
  EXPECT_EQ(load(store_, "t", 0).tickets, (std::vector<TicketRecord>{{"a", "3"}}));
}

TEST_F(RedisStoreTest, StartsWithoutRedisAndConnectsWhenItAppears) {
  server_.kill();
  RedisStore store(options_for(server_));
  EXPECT_FALSE(store.connected());
  EXPECT_EQ(store.ping().error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.stats().connects, 0U);
  server_.restart();
  ASSERT_TRUE(store.ping().has_value());
  ASSERT_TRUE(store.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).has_value());
}

TEST_F(RedisStoreTest, HungServerTimesOutThenRecovers) {
  auto options = options_for(server_);
  options.command_timeout = std::chrono::milliseconds(300);
  RedisStore store(options);
  ASSERT_TRUE(store.ping().has_value());

  server_.pause();  // accepts TCP in the kernel, answers nothing
  const auto started = std::chrono::steady_clock::now();
  auto commit = store.commit("t", 0, Batch{{{"a", "1"}}, {}, 1});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, ErrorCode::kUnavailable) << commit.error().message;
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_FALSE(store.connected());

  server_.resume();
  ASSERT_TRUE(store.ping().has_value());
  // The commit's outcome was unknown: retrying the same batch is safe.
  ASSERT_TRUE(store.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).has_value());
  EXPECT_EQ(load(store, "t", 0).next_offset, 1);
}

TEST_F(RedisStoreTest, SelectsTheConfiguredDatabase) {
  auto options = options_for(server_);
  options.db = 3;
  RedisStore db3(options);
  ASSERT_TRUE(db3.commit("t", 0, Batch{{{"a", "1"}}, {}, 9}).has_value());
  EXPECT_EQ(server_.command({"DBSIZE"})->integer, 0);  // db 0 untouched
  EXPECT_FALSE(load(store_, "t", 0).next_offset.has_value());
  EXPECT_EQ(load(db3, "t", 0).next_offset, 9);
}

TEST_F(RedisStoreTest, TwoWritersRacingOnOnePartitionNeverMoveTheOffsetBack) {
  // Two instances both believing they own partition 0 (a rebalance overlap):
  // every commit either lands whole or is refused, the stored offset is the
  // highest one that landed, and each ticket holds its writer's last landed
  // state. Exercises the WATCH conflict path.
  constexpr int kCommits = 300;
  struct Outcome {
    std::int64_t last_ok = -1;
    int refused = 0;
    int unavailable = 0;
  };
  auto writer = [this](std::string id, int parity, Outcome& out) {
    RedisStore store(options_for(server_));
    for (int i = 0; i < kCommits; ++i) {
      const std::int64_t offset = 2 * i + parity;
      auto done = store.commit("t", 0, Batch{{{id, std::to_string(offset)}}, {}, offset});
      if (done) {
        out.last_ok = offset;
      } else if (done.error().code == ErrorCode::kOutOfRange) {
        ++out.refused;
      } else {
        ASSERT_EQ(done.error().code, ErrorCode::kUnavailable) << done.error().message;
        ++out.unavailable;  // conflicted on every attempt: allowed, rare
      }
    }
  };
  Outcome a;
  Outcome b;
  std::thread ta(writer, "A", 0, std::ref(a));
  std::thread tb(writer, "B", 1, std::ref(b));
  ta.join();
  tb.join();

  const auto state = load(store_, "t", 0);
  ASSERT_TRUE(state.next_offset.has_value());
  EXPECT_EQ(*state.next_offset, std::max(a.last_ok, b.last_ok));
  for (const auto& t : state.tickets) {
    EXPECT_EQ(t.state, std::to_string(t.id == "A" ? a.last_ok : b.last_ok)) << t.id;
  }
  std::printf("[ info     ] refused A=%d B=%d, unavailable A=%d B=%d\n", a.refused, b.refused,
              a.unavailable, b.unavailable);
}

TEST(RedisStoreAuth, AuthenticatesWithThePassword) {
  RedisServer server({"--requirepass", "s3cret"}, "s3cret");
  auto options = options_for(server);

  RedisStore anonymous(options);
  auto refused = anonymous.ping();
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().message;

  options.password = "wrong";
  RedisStore wrong(options);
  ASSERT_FALSE(wrong.ping().has_value());
  EXPECT_EQ(wrong.ping().error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(wrong.connected());

  options.password = "s3cret";
  RedisStore right(options);
  ASSERT_TRUE(right.ping().has_value());
  ASSERT_TRUE(right.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).has_value());
  EXPECT_EQ(right.load_partition("t", 0)->next_offset, 1);
}

}  // namespace
}  // namespace sla::store::testing
