// RedisStore's key layout and option checks: pure functions, no server.
#include <gtest/gtest.h>

#include <stdexcept>

#include "sla/store/redis_store.hpp"

namespace sla::store {
namespace {

TEST(RedisKeyLayout, PartitionIsTheHashTag) {
  EXPECT_EQ(redis_tickets_key("sla", "tickets.events", 3), "sla:{tickets.events/3}:t");
  EXPECT_EQ(redis_offset_key("sla", "tickets.events", 3), "sla:{tickets.events/3}:offset");
  EXPECT_EQ(redis_offset_key("prod-eu", "t", 12), "prod-eu:{t/12}:offset");
}

TEST(RedisKeyLayout, KeySlotsAreRedisClusterSlots) {
  // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
  EXPECT_EQ(redis_key_slot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(redis_key_slot("foo"), 12182);
  EXPECT_EQ(redis_key_slot("bar"), 5061);
  EXPECT_EQ(redis_key_slot("{user1000}.following"), redis_key_slot("user1000"));
  EXPECT_EQ(redis_key_slot("foo{}{bar}"), redis_key_slot("foo{}{bar}"));  // empty tag: the whole key
  EXPECT_NE(redis_key_slot("foo{}{bar}"), redis_key_slot("bar"));
  EXPECT_EQ(redis_key_slot("foo{{bar}}zap"), redis_key_slot("{bar"));
  // Both keys of a partition share its slot.
  EXPECT_EQ(redis_key_slot(redis_tickets_key("sla", "tickets.events", 3)),
            redis_key_slot(redis_offset_key("sla", "tickets.events", 3)));
  EXPECT_EQ(redis_key_slot(redis_tickets_key("sla", "tickets.events", 3)), redis_key_slot("tickets.events/3"));
}

TEST(RedisStoreOptions, RejectsUnusableSettingsWithoutConnecting) {
  auto make = [](auto change) {
    RedisOptions o;
    change(o);
    return RedisStore(o);
  };
  EXPECT_THROW(make([](RedisOptions& o) { o.host.clear(); }), std::invalid_argument);
  EXPECT_THROW(make([](RedisOptions& o) { o.port = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](RedisOptions& o) { o.port = 70000; }), std::invalid_argument);
  EXPECT_THROW(make([](RedisOptions& o) { o.db = -1; }), std::invalid_argument);
  EXPECT_THROW(make([](RedisOptions& o) {
                 o.cluster = true;
                 o.db = 1;
               }),
               std::invalid_argument);
  EXPECT_THROW(make([](RedisOptions& o) { o.command_timeout = std::chrono::milliseconds{0}; }),
               std::invalid_argument);
  EXPECT_THROW(make([](RedisOptions& o) { o.write_chunk = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](RedisOptions& o) { o.key_prefix = "a{b"; }), std::invalid_argument);
  // Constructing does no I/O: nothing listens on port 1.
  RedisOptions unreachable;
  unreachable.port = 1;
  RedisStore store(unreachable);
  EXPECT_FALSE(store.connected());
}

}  // namespace
}  // namespace sla::store
