// RedisStore in cluster mode against a real three-master Redis Cluster on
// 127.0.0.1 (redis-server --cluster-enabled yes x3 + redis-cli --cluster
// create), every node with the ACL users of a production setup (the store
// logs in as `sla`, limited to `sla:*` and its commands, on each node): the
// StateStore contract, partitions spread over the masters one slot each,
// MOVED after a slot moved, and a slot migration in the middle of a stream
// of commits and loads (its keys moved one at a time, so the partition is
// split across two nodes for a while) losing nothing and never showing a
// state that does not belong to its offset.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "sla/store/redis_store.hpp"
#include "store_contract.hpp"

namespace sla::store::testing {
namespace {

constexpr const char* kAdmin = "admin";
constexpr const char* kAdminPassword = "admin-pw";

std::vector<std::string> cluster_acl_args() {
  std::vector<std::string> args = {"--user", kAdmin, "on", std::string(">") + kAdminPassword, "~*", "&*", "+@all",
                                   "--user", "sla", "on", ">secret", "resetkeys", "~sla:*", "resetchannels",
                                   "-@all"};
  for (const auto& list : {kStoreCommands, kClusterStoreCommands}) {
    for (const auto& command : list) {
      args.push_back("+" + command);
    }
  }
  args.insert(args.end(), {"--user", "default", "off"});
  return args;
}

/// One cluster for the whole test program (starting one takes a second or
/// two); each test starts from FLUSHALL.
RedisCluster& shared_cluster() {
  static RedisCluster cluster(cluster_acl_args(), kAdminPassword, kAdmin);
  return cluster;
}

RedisOptions cluster_options(const RedisCluster& cluster, int seed = 0) {
  RedisOptions options;
  options.cluster = true;
  options.port = cluster.node(seed).port();
  options.username = "sla";
  options.password = "secret";
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.command_timeout = std::chrono::milliseconds(2000);
  return options;
}

struct ClusterFactory {
  ClusterFactory() { shared_cluster().flush_all(); }
  std::unique_ptr<StateStore> make() { return std::make_unique<RedisStore>(cluster_options(shared_cluster())); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(RedisCluster, StoreContract, ClusterFactory);

namespace {

constexpr const char* kTopic = "tickets.events";

std::uint16_t slot_of(std::int32_t partition) {
  return redis_key_slot(redis_tickets_key("sla", kTopic, partition));
}

class RedisClusterTest : public ::testing::Test {
 protected:
  RedisCluster& cluster_ = shared_cluster();
  void SetUp() override { cluster_.flush_all(); }
};

TEST_F(RedisClusterTest, PartitionsSpreadOverTheMastersEachInOneSlot) {
  // Seeded at node 2: the store reads the map there and goes straight to
  // each partition's master.
  RedisStore store(cluster_options(cluster_, 2));
  constexpr int kPartitions = 24;
  for (int p = 0; p < kPartitions; ++p) {
    ASSERT_TRUE(store.commit(kTopic, p, Batch{{{"T-" + std::to_string(p), binary_bytes()}}, {}, 100 + p}))
        << p;
  }
  std::set<int> masters;
  for (int p = 0; p < kPartitions; ++p) {
    const std::uint16_t slot = slot_of(p);
    EXPECT_EQ(slot, redis_key_slot(redis_offset_key("sla", kTopic, p)));
    const int owner = cluster_.owner(slot);
    masters.insert(owner);
    // Both keys are on that master, in that slot, and nowhere else.
    EXPECT_EQ(cluster_.node(owner).command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)})->integer, 2) << p;
    EXPECT_EQ(std::string(cluster_.node(owner).command({"GET", redis_offset_key("sla", kTopic, p)})->str),
              std::to_string(100 + p));
    auto loaded = store.load_partition(kTopic, p);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->next_offset, 100 + p);
    EXPECT_EQ(loaded->tickets, (std::vector<TicketRecord>{{"T-" + std::to_string(p), binary_bytes()}}));
  }
  EXPECT_EQ(masters.size(), 3U);
  EXPECT_EQ(store.stats().moved, 0U);
  EXPECT_EQ(store.stats().asked, 0U);
  EXPECT_EQ(store.stats().slot_map_refreshes, 1U);
  EXPECT_EQ(store.stats().connects, 3U);  // one per master (the seed is one of them)
}

TEST_F(RedisClusterTest, AStaleSlotMapIsRefreshedOnMoved) {
  RedisStore store(cluster_options(cluster_));
  ASSERT_TRUE(store.commit(kTopic, 0, Batch{{{"a", "1"}}, {}, 1}));
  const std::uint16_t slot = slot_of(0);
  const int from = cluster_.owner(slot);
  const int to = (from + 1) % RedisCluster::size();
  cluster_.migrate_slot(slot, from, to, {}, [](const std::string&) {});
  cluster_.wait_agreed(slot, to);

  // The store still believes `from` serves the slot: MOVED, new map, retry.
  ASSERT_TRUE(store.commit(kTopic, 0, Batch{{{"a", "2"}}, {}, 2}));
  EXPECT_EQ(store.stats().moved, 1U);
  EXPECT_EQ(store.stats().slot_map_refreshes, 2U);
  EXPECT_EQ(cluster_.node(to).command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)})->integer, 2);
  auto loaded = store.load_partition(kTopic, 0);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->tickets, (std::vector<TicketRecord>{{"a", "2"}}));
  EXPECT_EQ(store.stats().moved, 1U);
  // Put the slot back for the other tests.
  cluster_.migrate_slot(slot, to, from, {}, [](const std::string&) {});
  cluster_.wait_agreed(slot, from);
}

TEST_F(RedisClusterTest, AStandaloneStoreOnAClusterSaysSo) {
  auto options = cluster_options(cluster_);
  options.cluster = false;
  // Find a partition that node 0 does not serve.
  std::int32_t p = 0;
  while (cluster_.owner(slot_of(p)) == 0) {
    ++p;
  }
  RedisStore store(options);
  auto commit = store.commit(kTopic, p, Batch{{{"a", "1"}}, {}, 1});
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(commit.error().message.find("MOVED"), std::string::npos) << commit.error().message;
  EXPECT_NE(commit.error().message.find("set redis.cluster"), std::string::npos) << commit.error().message;
}

TEST_F(RedisClusterTest, AWrongPasswordIsRefusedByTheSeed) {
  auto options = cluster_options(cluster_);
  options.password = "wrong";
  RedisStore store(options);
  auto ping = store.ping();
  ASSERT_FALSE(ping.has_value());
  EXPECT_NE(ping.error().message.find("AUTH as user 'sla' refused: WRONGPASS"), std::string::npos)
      << ping.error().message;
}

// ---- a slot migration mid-stream ------------------------------------------

/// Commit i (1-based) of partition p: upsert ticket T-(i % 40) with a state
/// naming p and i; every 7th commit also deletes T-((i + 20) % 40). Its
/// next_offset is i. expected(p, n) is the state after commits 1..n.
Batch commit_number(std::int32_t p, std::int64_t i) {
  Batch batch;
  std::string state = "p" + std::to_string(p) + "/" + std::to_string(i);
  state.push_back('\0');
  state.append(64, static_cast<char>(i % 251));
  batch.upserts.push_back({"T-" + std::to_string(i % 40), std::move(state)});
  if (i % 7 == 0) {
    batch.deletes.push_back("T-" + std::to_string((i + 20) % 40));
  }
  batch.next_offset = i;
  return batch;
}

std::vector<TicketRecord> expected(std::int32_t p, std::int64_t n) {
  std::map<std::string, std::string> tickets;
  for (std::int64_t i = 1; i <= n; ++i) {
    const Batch batch = commit_number(p, i);
    for (const auto& t : batch.upserts) {
      tickets[t.id] = t.state;
    }
    for (const auto& id : batch.deletes) {
      tickets.erase(id);
    }
  }
  std::vector<TicketRecord> out;
  for (auto& [id, state] : tickets) {
    out.push_back({id, state});
  }
  return out;
}

TEST_F(RedisClusterTest, ASlotMigrationMidStreamLosesNothingAndKeepsStateWithItsOffset) {
  // Partition 0 is migrated; partitions 1 and 2 keep going beside it.
  const std::vector<std::int32_t> partitions = {0, 1, 2};
  const std::uint16_t slot = slot_of(0);
  const int from = cluster_.owner(slot);
  const int to = (from + 1) % RedisCluster::size();

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> committed{0};  // partition 0's last acknowledged offset
  std::atomic<int> commit_failures{0};     // partition 0's attempts that failed (retried)
  std::atomic<int> loads{0};               // partition 0's successful loads
  std::atomic<int> load_failures{0};
  std::map<std::int32_t, std::int64_t> last_committed;
  RedisStats writer_stats;
  RedisStats loader_stats;
  std::vector<std::string> problems;  // written by the loader, read after join

  // The writer: like the daemon, retries the same batch until it lands.
  std::thread writer([&] {
    RedisStore store(cluster_options(cluster_));
    std::map<std::int32_t, std::int64_t> next;
    for (auto p : partitions) {
      next[p] = 1;
    }
    while (!stop.load()) {
      for (auto p : partitions) {
        const Batch batch = commit_number(p, next[p]);
        auto done = store.commit(kTopic, p, batch);
        if (!done) {
          ASSERT_EQ(done.error().code, ErrorCode::kUnavailable) << done.error().message;
          if (p == 0) {
            ++commit_failures;
          }
          continue;  // the same batch again next round
        }
        last_committed[p] = next[p]++;
        if (p == 0) {
          committed.store(last_committed[p]);
        }
      }
    }
    writer_stats = store.stats();
  });
  // The loader: a new owner loading partition 0 again and again; every load
  // must be exactly the state of the offset it carries, offsets never back.
  std::thread loader([&] {
    RedisStore store(cluster_options(cluster_, 1));
    std::int64_t seen = 0;
    while (!stop.load()) {
      auto loaded = store.load_partition(kTopic, 0);
      if (!loaded) {
        if (loaded.error().code != ErrorCode::kUnavailable) {
          problems.push_back("load: " + loaded.error().message);
        }
        ++load_failures;
        continue;
      }
      const std::int64_t offset = loaded->next_offset.value_or(0);
      if (offset < seen) {
        problems.push_back("offset went back from " + std::to_string(seen) + " to " + std::to_string(offset));
      }
      seen = offset;
      if (sorted(loaded->tickets) != expected(0, offset) && problems.size() < 10) {
        problems.push_back("state does not match offset " + std::to_string(offset));
      }
      ++loads;
    }
    loader_stats = store.stats();
  });

  // Lets the stream run: waits until partition 0 has `commits` more commits
  // and `more_loads` more loads (or, with `failures`, that many failed
  // attempts of each: while the partition is split they cannot succeed).
  auto let_run = [&](int commits, int more_loads, bool failures) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const std::int64_t c0 = failures ? commit_failures.load() : committed.load();
    const int l0 = failures ? load_failures.load() : loads.load();
    while (std::chrono::steady_clock::now() < deadline) {
      const std::int64_t c = failures ? commit_failures.load() : committed.load();
      const int l = failures ? load_failures.load() : loads.load();
      if (c >= c0 + commits && l >= l0 + more_loads) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  };

  ASSERT_TRUE(let_run(50, 5, false));
  std::vector<std::string> step_problems;
  const std::string offset_key = redis_offset_key("sla", kTopic, 0);
  const std::string tickets_key = redis_tickets_key("sla", kTopic, 0);
  // The offset moves first, alone: for a while the partition is split
  // between two nodes (as when redis-cli's batches cut between its keys).
  cluster_.migrate_slot(slot, from, to, {{offset_key}, {tickets_key}}, [&](const std::string& step) {
    std::printf("[ info     ] step %s at offset %lld\n", step.c_str(), static_cast<long long>(committed.load()));
    bool ran = false;
    if (step == "importing" || step == "key 1" || step == "owned") {
      ran = let_run(30, 5, false);  // MIGRATING/IMPORTING; then keys at the target (ASK); then owned (MOVED)
    } else if (step == "key 0") {
      ran = let_run(1, 1, true);  // split: TRYAGAIN until it fails, then again
    }
    if (!ran) {
      step_problems.push_back("the stream did not progress at step " + step);
    }
  });
  stop.store(true);
  writer.join();
  loader.join();
  cluster_.wait_agreed(slot, to);

  EXPECT_EQ(step_problems, std::vector<std::string>{});
  EXPECT_EQ(problems, std::vector<std::string>{});
  EXPECT_GE(writer_stats.asked, 1U);
  EXPECT_GE(writer_stats.moved, 1U);
  EXPECT_GE(writer_stats.try_again, 1U);
  EXPECT_GE(loader_stats.asked, 1U);
  EXPECT_GE(loader_stats.try_again, 1U);
  std::printf("[ info     ] writer: %llu commits, asked %llu, moved %llu, tryagain %llu; loader: %d loads, asked %llu, "
              "moved %llu, tryagain %llu\n",
              static_cast<unsigned long long>(writer_stats.commits), static_cast<unsigned long long>(writer_stats.asked),
              static_cast<unsigned long long>(writer_stats.moved),
              static_cast<unsigned long long>(writer_stats.try_again), loads.load(),
              static_cast<unsigned long long>(loader_stats.asked), static_cast<unsigned long long>(loader_stats.moved),
              static_cast<unsigned long long>(loader_stats.try_again));

  // Nothing lost: a new instance loads every acknowledged commit.
  RedisStore fresh(cluster_options(cluster_, 2));
  for (auto p : partitions) {
    auto loaded = fresh.load_partition(kTopic, p);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->next_offset, last_committed[p]) << p;
    EXPECT_EQ(sorted(loaded->tickets), expected(p, last_committed[p])) << p;
  }
  EXPECT_EQ(cluster_.node(to).command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)})->integer, 2);
  EXPECT_EQ(cluster_.node(from).command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)})->integer, 0);

  // Put the slot back for the other tests.
  cluster_.migrate_slot(slot, to, from, {}, [](const std::string&) {});
  cluster_.wait_agreed(slot, from);
}

}  // namespace
}  // namespace sla::store::testing
