// sla-loadgen: drives and measures the whole service (SPEC 7 "Service"
// figures): Kafka in, sla-timerd, Redis state, Kafka out. Not a test and not
// part of the daemon: a tool that produces realistic ticket traffic, fills
// Redis the way the daemon commits it, and reads back what the daemon did.
//
//   produce       pre-produce N lifecycle events (protobuf, keyed by ticket)
//   wait-offsets  poll the committed input offsets in Redis until N events are
//                 committed; prints the sustained rate
//   fill          write M open tickets into Redis as the daemon would
//   latency       open tickets whose breach is due at known instants, consume
//                 sla.escalations, print breach-to-Kafka percentiles
//   smoke         all of the above in-process, small, against the librdkafka
//                 mock cluster and the in-memory store (ctest)
//
// tools/loadgen/measure.sh runs it against a real broker, Redis and daemon.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "daemon.hpp"
#include "sla/base/clock.hpp"
#include "sla/codec/codec.hpp"
#include "sla/engine/engine.hpp"
#include "sla/kafka/consumer.hpp"
#include "sla/kafka/mock_cluster.hpp"
#include "sla/kafka/producer.hpp"
#include "sla/services/policy_io.hpp"
#include "sla/store/memory_store.hpp"
#include "sla/store/redis_store.hpp"
#include "sla/v1/sla_event.pb.h"

namespace {

using sla::EpochMillis;
using sla::engine::EventKind;
using sla::engine::TicketEvent;
using SteadyClock = std::chrono::steady_clock;

EpochMillis wall_ms() { return sla::SystemClock().now(); }

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

/// A failed measurement step. Thrown by die() and caught in main(), which
/// prints it and returns 1: no exit deep in the tool, so destructors run
/// (producers flush, threads join).
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void die(const std::string& why) { throw Failure(why); }

std::shared_ptr<const sla::policy::Policy> load_policy(const std::string& path) {
  std::vector<sla::policy::LoadError> errors;
  auto policy = sla::services::load_policy_path(path, errors);
  if (!policy) {
    for (const auto& e : errors) std::cerr << sla::policy::format(e) << "\n";
    die("cannot load the policy " + path);
  }
  return policy;
}

/// Generates interleaved, realistic ticket lifecycles: opened, responded,
/// sometimes waiting on the customer, agent updates, severity changes,
/// resolved, closed. A window of tickets is in flight at once, so a ticket's
/// events are spread over the stream as in production; about 30% of the
/// tickets stay open.
class Lifecycle {
 public:
  Lifecycle(const sla::policy::Policy& policy, std::string prefix, std::uint64_t seed, std::size_t window)
      : prefix_(std::move(prefix)), rng_(seed), window_(std::max<std::size_t>(1, window)) {
    for (const auto& [name, plan] : policy.plans()) {
      for (const auto& sev : plan.severity_order) kinds_.push_back({name, sev, &plan.severity_order});
    }
    if (kinds_.empty()) die("the policy has no plan with a severity");
  }

  /// The next event of some in-flight ticket, occurring at `at`.
  TicketEvent next(EpochMillis at) {
    while (active_.size() < window_) active_.push_back(new_story());
    const std::size_t i = rng_() % active_.size();
    Story& s = active_[i];
    TicketEvent ev;
    ev.ticket_id = s.id;
    ev.tenant_id = s.tenant;
    ev.event_id = s.id + "-" + std::to_string(s.next);
    ev.sequence = s.next;
    ev.occurred_at = at;
    ev.kind = s.steps[s.next].first;
    switch (ev.kind) {
      case EventKind::kOpened:
        ev.plan = kinds_[s.kind].plan;
        ev.severity = kinds_[s.kind].severity;
        ev.status = "open";
        break;
      case EventKind::kStatusChanged:
        ev.status = s.steps[s.next].second;
        break;
      case EventKind::kSeverityChanged:
        ev.severity = s.steps[s.next].second;
        break;
      default:
        break;
    }
    if (++s.next == s.steps.size()) {
      ++finished_;
      active_[i] = new_story();
    }
    return ev;
  }

  [[nodiscard]] std::uint64_t tickets() const { return started_; }

 private:
  struct Kind {
    std::string plan;
    std::string severity;
    const std::vector<std::string>* severities;
  };
  struct Story {
    std::string id;
    std::string tenant;
    std::size_t kind = 0;
    std::vector<std::pair<EventKind, std::string>> steps;
    std::size_t next = 0;
  };

  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p; }

  Story new_story() {
    Story s;
    s.id = prefix_ + "-" + std::to_string(++started_);
    s.tenant = "tenant-" + std::to_string(rng_() % 50);
    s.kind = rng_() % kinds_.size();
    s.steps.emplace_back(EventKind::kOpened, "");
    if (chance(0.85)) s.steps.emplace_back(EventKind::kResponded, "");
    if (chance(0.3)) {
      s.steps.emplace_back(EventKind::kStatusChanged, "pending_customer");
      s.steps.emplace_back(EventKind::kStatusChanged, "open");
    }
    if (chance(0.5)) s.steps.emplace_back(EventKind::kAgentUpdated, "");
    if (const auto& sevs = *kinds_[s.kind].severities; sevs.size() > 1 && chance(0.1)) {
      s.steps.emplace_back(EventKind::kSeverityChanged, sevs[rng_() % sevs.size()]);
    }
    if (chance(0.5)) s.steps.emplace_back(EventKind::kAgentUpdated, "");
    if (chance(0.7)) {
      s.steps.emplace_back(EventKind::kResolved, "");
      if (chance(0.5)) s.steps.emplace_back(EventKind::kClosed, "");
    }
    return s;
  }

  std::string prefix_;
  std::mt19937_64 rng_;
  std::size_t window_;
  std::vector<Kind> kinds_;
  std::vector<Story> active_;
  std::uint64_t started_ = 0;
  std::uint64_t finished_ = 0;
};

sla::kafka::KafkaConfig kafka_config(const std::string& brokers, const std::string& client) {
  sla::kafka::KafkaConfig c;
  c.brokers = brokers;
  c.client_id = client;
  c.group_id = client;
  return c;
}

std::unique_ptr<sla::kafka::Producer> bulk_producer(const std::string& brokers) {
  auto cfg = kafka_config(brokers, "sla-loadgen");
  cfg.properties = {{"linger.ms", "20"},
                    {"batch.num.messages", "10000"},
                    {"batch.size", "1000000"},
                    {"queue.buffering.max.messages", "2000000"},
                    {"queue.buffering.max.kbytes", "1048576"}};
  auto p = sla::kafka::Producer::create(cfg);
  if (!p) die("producer: " + p.error().message);
  return std::move(*p);
}

// --- produce -----------------------------------------------------------------

struct ProduceArgs {
  std::string brokers;
  std::string topic = "tickets.events";
  std::string policy;
  std::string prefix = "LG";
  std::size_t events = 100'000;
  std::size_t window = 20'000;
  std::uint64_t seed = 1;
  double span_hours = 2.0;  ///< event times spread over the last span_hours
};

std::uint64_t produce_events(const ProduceArgs& a, const sla::policy::Policy& policy) {
  auto producer = bulk_producer(a.brokers);
  Lifecycle gen(policy, a.prefix, a.seed, a.window);
  const auto t0 = SteadyClock::now();
  const EpochMillis end = wall_ms();
  const auto span = static_cast<EpochMillis>(a.span_hours * 3600'000.0);
  const EpochMillis start = end - span;
  for (std::size_t i = 0; i < a.events; ++i) {
    const EpochMillis at =
        start + static_cast<EpochMillis>(static_cast<double>(span) * static_cast<double>(i) / static_cast<double>(a.events));
    const TicketEvent ev = gen.next(at);
    if (auto r = producer->produce(a.topic, ev.ticket_id, sla::codec::encode_ticket_event(ev)); !r) {
      die("produce: " + r.error().message);
    }
  }
  if (auto r = producer->flush(std::chrono::minutes(5)); !r) die("flush: " + r.error().message);
  const double s = seconds_since(t0);
  std::cout << "produced " << a.events << " events for " << gen.tickets() << " tickets to " << a.topic << " in "
            << s << " s (" << static_cast<std::uint64_t>(static_cast<double>(a.events) / s) << " events/s)"
            << std::endl;
  return a.events;
}

// --- wait-offsets ------------------------------------------------------------

struct RedisReplyDeleter {
  void operator()(void* r) const { freeReplyObject(r); }
};
struct RedisContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};

/// Sum of the committed next offsets of `partitions` partitions (MGET).
class OffsetReader {
 public:
  OffsetReader(const std::string& host, int port, const std::string& prefix, const std::string& topic,
               int partitions)
      : ctx_(redisConnect(host.c_str(), port)) {
    if (!ctx_ || ctx_->err != 0) die("redis " + host + ":" + std::to_string(port) + ": cannot connect");
    for (int p = 0; p < partitions; ++p) keys_.push_back(sla::store::redis_offset_key(prefix, topic, p));
  }
  std::int64_t sum() {
    std::vector<const char*> argv{"MGET"};
    std::vector<std::size_t> lens{4};
    for (const auto& k : keys_) {
      argv.push_back(k.c_str());
      lens.push_back(k.size());
    }
    std::unique_ptr<redisReply, RedisReplyDeleter> r(
        static_cast<redisReply*>(redisCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!r || r->type != REDIS_REPLY_ARRAY) die("redis MGET failed");
    std::int64_t total = 0;
    for (std::size_t i = 0; i < r->elements; ++i) {
      if (r->element[i]->type == REDIS_REPLY_STRING) total += std::stoll(std::string(r->element[i]->str, r->element[i]->len));
    }
    return total;
  }

 private:
  std::unique_ptr<redisContext, RedisContextDeleter> ctx_;
  std::vector<std::string> keys_;
};

struct Progress {
  EpochMillis first_ms = 0;  ///< first time anything was committed
  EpochMillis done_ms = 0;
  double sustained = 0;      ///< events/s between 10% and 90% committed
  double overall = 0;        ///< events/s from the first commit to the last
};

/// Polls `read()` every 50 ms until it reaches `target` (or `timeout_s`).
template <typename Read>
Progress wait_committed(Read&& read, std::int64_t target, double timeout_s, bool verbose) {
  Progress p;
  const auto t0 = SteadyClock::now();
  EpochMillis t10 = 0;
  EpochMillis t90 = 0;
  std::int64_t c10 = 0;
  std::int64_t c90 = 0;
  std::int64_t last_print_count = 0;
  EpochMillis last_print = wall_ms();
  for (;;) {
    const std::int64_t c = read();
    const EpochMillis now = wall_ms();
    if (c > 0 && p.first_ms == 0) p.first_ms = now;
    if (t10 == 0 && c * 10 >= target) {
      t10 = now;
      c10 = c;
    }
    if (t90 == 0 && c * 10 >= target * 9) {
      t90 = now;
      c90 = c;
    }
    if (verbose && now - last_print >= 1000) {
      std::cout << "  committed " << c << "/" << target << " ("
                << (c - last_print_count) * 1000 / std::max<EpochMillis>(1, now - last_print) << " events/s)"
                << std::endl;
      last_print = now;
      last_print_count = c;
    }
    if (c >= target) {
      p.done_ms = now;
      break;
    }
    if (seconds_since(t0) > timeout_s) die("timed out with " + std::to_string(c) + "/" + std::to_string(target) + " committed");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (t90 > t10) p.sustained = static_cast<double>(c90 - c10) * 1000.0 / static_cast<double>(t90 - t10);
  if (p.done_ms > p.first_ms) p.overall = static_cast<double>(target) * 1000.0 / static_cast<double>(p.done_ms - p.first_ms);
  return p;
}

void print_progress(const Progress& p, std::int64_t target) {
  std::cout << "RESULT events=" << target << " first_commit_ms=" << p.first_ms << " done_ms=" << p.done_ms
            << " seconds=" << static_cast<double>(p.done_ms - p.first_ms) / 1000.0
            << " overall_events_per_s=" << static_cast<std::uint64_t>(p.overall)
            << " sustained_10_90_events_per_s=" << static_cast<std::uint64_t>(p.sustained) << std::endl;
}

// --- fill --------------------------------------------------------------------

struct FillArgs {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string key_prefix = "sla";
  std::string topic = "tickets.events";
  int partitions = 8;
  std::size_t tickets = 1'000'000;
  std::size_t batch = 10'000;
  std::string policy;
  std::uint64_t seed = 7;
};

sla::store::RedisOptions redis_options(const FillArgs& a) {
  sla::store::RedisOptions ro;
  ro.host = a.host;
  ro.port = a.port;
  ro.key_prefix = a.key_prefix;
  return ro;
}

/// Opens `tickets` tickets through the engine (opened, half of them also
/// responded, all within the last 20 minutes) and commits their saved states
/// to Redis per partition in batches, exactly as the daemon does.
void fill(const FillArgs& a, std::shared_ptr<const sla::policy::Policy> policy) {
  sla::store::RedisStore store(redis_options(a));
  std::vector<std::pair<std::string, std::string>> kinds;
  for (const auto& [name, plan] : policy->plans()) {
    for (const auto& sev : plan.severity_order) kinds.emplace_back(name, sev);
  }
  std::mt19937_64 rng(a.seed);
  const auto t0 = SteadyClock::now();
  const EpochMillis now = wall_ms();
  std::size_t bytes = 0;
  std::vector<sla::engine::Output> out;
  for (int part = 0; part < a.partitions; ++part) {
    sla::engine::Engine engine(policy);
    std::size_t pending = 0;
    auto commit = [&] {
      sla::store::Batch b;
      for (auto& id : engine.take_dirty()) {
        std::string state = engine.save_ticket(id);
        bytes += state.size();
        b.upserts.push_back({id, std::move(state)});
        engine.drop_ticket(id);
      }
      // Their states are in `b`, committed next: the list of dropped ids is not needed.
      (void)engine.take_dropped();
      if (auto r = store.commit(a.topic, part, b); !r) die("redis commit: " + r.error().message);
      pending = 0;
    };
    for (std::size_t i = static_cast<std::size_t>(part); i < a.tickets; i += static_cast<std::size_t>(a.partitions)) {
      TicketEvent ev;
      ev.ticket_id = "FILL-" + std::to_string(i);
      ev.tenant_id = "tenant-" + std::to_string(i % 50);
      ev.event_id = ev.ticket_id + "-0";
      ev.sequence = 0;
      ev.kind = EventKind::kOpened;
      const auto& [plan, sev] = kinds[rng() % kinds.size()];
      ev.plan = plan;
      ev.severity = sev;
      ev.status = "open";
      ev.occurred_at = now - static_cast<EpochMillis>(rng() % (20 * 60'000));
      if (auto r = engine.apply(ev, now, out); !r) die("engine: " + r.error().message);
      if (rng() % 2 == 0) {
        ev.event_id = ev.ticket_id + "-1";
        ev.sequence = 1;
        ev.kind = EventKind::kResponded;
        ev.occurred_at = std::min(now, ev.occurred_at + 60'000);
        if (auto r = engine.apply(ev, now, out); !r) die("engine: " + r.error().message);
      }
      out.clear();
      if (++pending >= a.batch) commit();
    }
    commit();
  }
  std::cout << "filled " << a.tickets << " open tickets into " << a.partitions << " partitions of " << a.topic
            << " in " << seconds_since(t0) << " s (" << bytes / std::max<std::size_t>(1, a.tickets)
            << " bytes of state per ticket)" << std::endl;
}

/// Loads every partition back and says where the time goes: Redis (HSCAN,
/// copies) versus the engine (load_ticket); then again streamed, as the
/// daemon loads on assignment (load_partition_into), store and engine in one.
void load_bench(const FillArgs& a, std::shared_ptr<const sla::policy::Policy> policy) {
  sla::store::RedisStore store(redis_options(a));
  double store_s = 0;
  double engine_s = 0;
  std::size_t tickets = 0;
  for (int part = 0; part < a.partitions; ++part) {
    const auto t0 = SteadyClock::now();
    auto state = store.load_partition(a.topic, part);
    if (!state) die("load: " + state.error().message);
    const auto t1 = SteadyClock::now();
    sla::engine::Engine engine(policy);
    for (const auto& rec : state->tickets) {
      if (!engine.load_ticket(rec.state)) die("load_ticket failed");
    }
    store_s += std::chrono::duration<double>(t1 - t0).count();
    engine_s += seconds_since(t1);
    tickets += state->tickets.size();
  }
  // As the daemon loads: each ticket into the engine as its page arrives.
  // The engines are kept, to say what the loaded tickets hold in memory.
  malloc_trim(0);
  const auto heap0 = mallinfo2();
  const auto t0 = SteadyClock::now();
  std::size_t streamed = 0;
  std::vector<std::unique_ptr<sla::engine::Engine>> engines;
  for (int part = 0; part < a.partitions; ++part) {
    auto& engine = engines.emplace_back();
    const sla::store::TicketSink sink{[&](std::size_t expected) {
                                        engine = std::make_unique<sla::engine::Engine>(policy);
                                        engine->reserve(expected);
                                      },
                                      [&](std::string_view, std::string_view bytes) {
                                        if (!engine->load_ticket(bytes)) die("load_ticket failed");
                                      }};
    if (auto r = store.load_partition_into(a.topic, part, sink); !r) die("load: " + r.error().message);
    streamed += engine->ticket_count();
  }
  const double streamed_s = seconds_since(t0);
  const auto heap1 = mallinfo2();
  const auto in_use = [](const struct mallinfo2& m) { return static_cast<double>(m.uordblks + m.hblkhd); };
  std::cout << "RESULT load tickets=" << tickets << " store_s=" << store_s << " engine_s=" << engine_s
            << " streamed_tickets=" << streamed << " streamed_s=" << streamed_s << " engine_heap_bytes_per_ticket="
            << static_cast<std::uint64_t>((in_use(heap1) - in_use(heap0)) / static_cast<double>(std::max<std::size_t>(1, streamed)))
            << std::endl;
}

// --- latency -----------------------------------------------------------------

struct LatencyArgs {
  std::string brokers;
  std::string input = "tickets.events";
  std::string escalations = "sla.escalations";
  std::string plan = "enterprise";
  std::string severity = "P0";
  std::int64_t target_ms = 15 * 60'000;  ///< the plan/severity's response target (24x7)
  std::size_t tickets = 600;
  double spread_s = 60;
  double lead_s = 5;
  double background_rate = 0;  ///< lifecycle events/s produced meanwhile
  std::string policy;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

/// A consumer of `a.escalations` assigned at the end offsets (new records
/// only), with the fetcher warmed up before anything is produced.
std::unique_ptr<sla::kafka::Consumer> subscribe_at_end(const LatencyArgs& a) {
  // Shared with the handler, which outlives this function (later rebalances).
  auto assigned = std::make_shared<std::atomic<bool>>(false);
  sla::kafka::ConsumerOptions co;
  co.on_assign = [assigned](std::vector<sla::kafka::TopicPartition>& parts) {
    for (auto& tp : parts) tp.offset = sla::kafka::kOffsetEnd;
    assigned->store(true);
  };
  auto ccfg = kafka_config(a.brokers, "sla-loadgen-latency-" + std::to_string(::getpid()) + "-" + std::to_string(wall_ms()));
  ccfg.properties = {{"fetch.wait.max.ms", "5"}, {"fetch.error.backoff.ms", "5"}};
  auto consumer = sla::kafka::Consumer::create(ccfg, {a.escalations}, co);
  if (!consumer) die("consumer: " + consumer.error().message);
  const auto t_assign = SteadyClock::now();
  while (!assigned->load()) {
    if (auto r = (*consumer)->poll(std::chrono::milliseconds(100)); !r) die("consume: " + r.error().message);
    if (seconds_since(t_assign) > 60) die("no assignment of " + a.escalations + " within 60 s");
  }
  // Let the fetcher reach the end offsets before anything can be produced.
  for (int i = 0; i < 10; ++i) {
    if (auto r = (*consumer)->poll(std::chrono::milliseconds(100)); !r) die("consume: " + r.error().message);
  }
  return std::move(*consumer);
}

/// Lifecycle events at `a.background_rate` per second on a thread, for as
/// long as the object lives (the destructor stops and joins it, also when a
/// step fails). Events the producer refuses are counted and reported.
class BackgroundLoad {
 public:
  BackgroundLoad(const LatencyArgs& a, const sla::policy::Policy& policy) {
    if (a.background_rate <= 0) return;
    thread_ = std::thread([this, &a, &policy] { run(a, policy); });
    std::this_thread::sleep_for(std::chrono::seconds(2));  // background load in full swing first
  }
  BackgroundLoad(const BackgroundLoad&) = delete;
  BackgroundLoad& operator=(const BackgroundLoad&) = delete;
  ~BackgroundLoad() { stop(); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (failed_.load() > 0) spdlog::warn("background load: {} events not sent", failed_.load());
    failed_.store(0);
  }

 private:
  void run(const LatencyArgs& a, const sla::policy::Policy& policy) {
    auto p = bulk_producer(a.brokers);
    Lifecycle gen(policy, "BG" + std::to_string(::getpid()), 11, 20'000);
    const auto start = SteadyClock::now();
    std::uint64_t sent = 0;
    while (!stop_.load()) {
      const auto due = static_cast<std::uint64_t>(seconds_since(start) * a.background_rate);
      const EpochMillis now = wall_ms();
      for (; sent < due; ++sent) {
        const TicketEvent ev = gen.next(now);
        if (!p->produce(a.input, ev.ticket_id, sla::codec::encode_ticket_event(ev))) failed_.fetch_add(1);
      }
      p->poll(std::chrono::milliseconds(0));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (auto r = p->flush(std::chrono::seconds(30)); !r) spdlog::warn("background load: flush: {}", r.error().message);
  }

  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> failed_{0};
  std::thread thread_;
};

/// Produces `a.tickets` opened events whose response breach falls due from
/// `first_due` over `a.spread_s`; returns ticket -> planned due.
std::map<std::string, EpochMillis> produce_breaching_tickets(const LatencyArgs& a, EpochMillis first_due) {
  const std::string prefix = "LAT" + std::to_string(::getpid()) + "x" + std::to_string(wall_ms() % 100000) + "-";
  auto producer = bulk_producer(a.brokers);
  std::map<std::string, EpochMillis> planned;
  for (std::size_t i = 0; i < a.tickets; ++i) {
    TicketEvent ev;
    ev.ticket_id = prefix + std::to_string(i);
    ev.tenant_id = "tenant-lat";
    ev.event_id = ev.ticket_id + "-0";
    ev.sequence = 0;
    ev.kind = EventKind::kOpened;
    ev.plan = a.plan;
    ev.severity = a.severity;
    ev.status = "open";
    const EpochMillis due = first_due + static_cast<EpochMillis>(a.spread_s * 1000.0 * static_cast<double>(i) /
                                                               static_cast<double>(std::max<std::size_t>(1, a.tickets)));
    ev.occurred_at = due - a.target_ms;
    planned[ev.ticket_id] = due;
    if (auto r = producer->produce(a.input, ev.ticket_id, sla::codec::encode_ticket_event(ev)); !r) {
      die("produce: " + r.error().message);
    }
  }
  if (auto r = producer->flush(std::chrono::seconds(30)); !r) die("flush: " + r.error().message);
  return planned;
}

struct Latencies {
  std::vector<double> append;  ///< Kafka timestamp - deadline, ms
  std::vector<double> recv;    ///< receive time - deadline, ms
  std::size_t mismatched = 0;  ///< breach records whose deadline is off the plan by > 1 s
};

/// Reads first-breach records of the planned tickets until all arrived or
/// `give_up` (wall clock) passes.
Latencies collect_breaches(sla::kafka::Consumer& consumer, std::map<std::string, EpochMillis> planned,
                           std::size_t expected, EpochMillis give_up) {
  Latencies out;
  while (out.append.size() < expected && wall_ms() < give_up) {
    auto batch = consumer.poll(std::chrono::milliseconds(20));
    if (!batch) die("consume: " + batch.error().message);
    const EpochMillis recv = wall_ms();
    for (const auto& m : *batch) {
      sla::v1::SlaEvent e;
      if (!e.ParseFromString(m.payload)) continue;
      if (!e.has_breached() || e.breached().reminder() != 0 || e.metric() != sla::v1::METRIC_RESPONSE) continue;
      auto it = planned.find(e.ticket_id());
      if (it == planned.end()) continue;
      const EpochMillis deadline = e.deadline().seconds() * 1000 + e.deadline().nanos() / 1'000'000;
      if (std::llabs(deadline - it->second) > 1000) ++out.mismatched;
      out.append.push_back(static_cast<double>(m.timestamp_ms.value_or(recv) - deadline));
      out.recv.push_back(static_cast<double>(recv - deadline));
      planned.erase(it);
    }
  }
  return out;
}

/// Opens tickets whose response breach is due at known instants over
/// `spread_s`, then reads `escalations` and compares each breach record's
/// Kafka timestamp (LogAppendTime when the topic is so configured: the moment
/// it is in the topic) and its receive time with the breach's deadline.
/// Returns true when every breach arrived.
bool latency(const LatencyArgs& a, const sla::policy::Policy& policy) {
  auto consumer = subscribe_at_end(a);
  BackgroundLoad background(a, policy);
  const EpochMillis first_due = wall_ms() + static_cast<EpochMillis>(a.lead_s * 1000);
  auto planned = produce_breaching_tickets(a, first_due);
  const EpochMillis give_up = first_due + static_cast<EpochMillis>((a.spread_s + 30) * 1000);
  const Latencies lat = collect_breaches(*consumer, std::move(planned), a.tickets, give_up);
  background.stop();
  std::cout << "RESULT breaches=" << lat.append.size() << "/" << a.tickets
            << " append_p50_ms=" << percentile(lat.append, 0.50) << " append_p90_ms=" << percentile(lat.append, 0.90)
            << " append_p99_ms=" << percentile(lat.append, 0.99) << " append_max_ms=" << percentile(lat.append, 1.0)
            << " recv_p50_ms=" << percentile(lat.recv, 0.50) << " recv_p99_ms=" << percentile(lat.recv, 0.99)
            << " recv_max_ms=" << percentile(lat.recv, 1.0) << " deadline_mismatches=" << lat.mismatched
            << " background_events_per_s=" << a.background_rate << std::endl;
  return lat.append.size() == a.tickets;
}

// --- smoke -------------------------------------------------------------------

/// Everything in one process, small: the mock cluster, the in-memory store
/// and the daemon's wiring on a thread. Checks the tool end to end.
int smoke(const std::string& policy_path, std::size_t events) {
  auto policy = load_policy(policy_path);
  auto cluster = sla::kafka::MockCluster::start(1);
  if (!cluster) die("mock cluster: " + cluster.error().message);
  const int parts = 4;
  sla::timerd::Config cfg;
  cfg.policy_path = policy_path;
  cfg.kafka.brokers = (*cluster)->bootstrap_servers();
  cfg.kafka.group_id = "loadgen-smoke";
  cfg.poll_ms = 20;
  if (!(*cluster)->create_topic(cfg.topics.input, parts)) die("create topic");
  for (const auto& t : {cfg.topics.escalations, cfg.topics.pages, cfg.topics.deadlines, cfg.topics.dlq}) {
    if (!(*cluster)->create_topic(t, 1)) die("create topic " + t);
  }
  ProduceArgs pa;
  pa.brokers = cfg.kafka.brokers;
  pa.topic = cfg.topics.input;
  pa.events = events;
  pa.window = 500;
  produce_events(pa, *policy);

  auto store = std::make_unique<sla::store::InMemoryStore>();
  auto* store_view = store.get();
  sla::timerd::Daemon daemon(cfg, policy, std::move(store));
  if (auto r = daemon.start(); !r) die("daemon: " + r.error().message);
  sla::Result<void> result;
  std::thread loop([&] { result = daemon.run(); });
  // A failed step below throws: the loop is stopped and joined first.
  struct StopOnUnwind {
    sla::timerd::Daemon& daemon;
    std::thread& loop;
    ~StopOnUnwind() {
      if (!loop.joinable()) return;
      daemon.request_stop();
      loop.join();
    }
  } stop_on_unwind{daemon, loop};
  auto read = [&] {
    std::int64_t total = 0;
    for (int p = 0; p < parts; ++p) {
      if (auto s = store_view->load_partition(cfg.topics.input, p); s && s->next_offset) total += *s->next_offset;
    }
    return total;
  };
  const auto progress = wait_committed(read, static_cast<std::int64_t>(events), 60, false);
  print_progress(progress, static_cast<std::int64_t>(events));

  LatencyArgs la;
  la.brokers = cfg.kafka.brokers;
  la.tickets = 20;
  la.spread_s = 2;
  la.lead_s = 1;
  const bool all = latency(la, *policy);
  daemon.request_stop();
  loop.join();
  if (!result) die("daemon: " + result.error().message);
  if (!all) die("not every breach arrived");
  std::cout << "smoke ok" << std::endl;
  return 0;
}

struct WaitArgs {
  std::string redis_host = "127.0.0.1";
  int redis_port = 6379;
  std::string key_prefix = "sla";
  std::string topic = "tickets.events";
  int partitions = 8;
  std::int64_t target = 0;
  double timeout_s = 600;
};

CLI::App* add_produce(CLI::App& app, ProduceArgs& pa) {
  auto* cmd = app.add_subcommand("produce", "pre-produce lifecycle events (protobuf, keyed by ticket id)");
  cmd->add_option("--brokers", pa.brokers)->required();
  cmd->add_option("--topic", pa.topic);
  cmd->add_option("--events", pa.events);
  cmd->add_option("--prefix", pa.prefix, "ticket id prefix");
  cmd->add_option("--seed", pa.seed);
  cmd->add_option("--span-hours", pa.span_hours, "event times spread over the last N hours");
  return cmd;
}

CLI::App* add_wait(CLI::App& app, WaitArgs& wa) {
  auto* cmd = app.add_subcommand("wait-offsets", "wait until N input events are committed to Redis");
  cmd->add_option("--redis-host", wa.redis_host);
  cmd->add_option("--redis-port", wa.redis_port);
  cmd->add_option("--key-prefix", wa.key_prefix);
  cmd->add_option("--topic", wa.topic);
  cmd->add_option("--partitions", wa.partitions);
  cmd->add_option("--events", wa.target)->required();
  cmd->add_option("--timeout", wa.timeout_s, "seconds");
  return cmd;
}

/// `fill` and `load-bench` share their Redis options (the partitions filled are the ones loaded).
CLI::App* add_redis_partitions(CLI::App& app, FillArgs& fa, const std::string& name, const std::string& what) {
  auto* cmd = app.add_subcommand(name, what);
  cmd->add_option("--redis-host", fa.host);
  cmd->add_option("--redis-port", fa.port);
  cmd->add_option("--key-prefix", fa.key_prefix);
  cmd->add_option("--topic", fa.topic);
  cmd->add_option("--partitions", fa.partitions);
  return cmd;
}

CLI::App* add_latency(CLI::App& app, LatencyArgs& la) {
  auto* cmd = app.add_subcommand("latency", "breach-to-Kafka latency of tickets breaching at known instants");
  cmd->add_option("--brokers", la.brokers)->required();
  cmd->add_option("--input", la.input);
  cmd->add_option("--escalations", la.escalations);
  cmd->add_option("--plan", la.plan);
  cmd->add_option("--severity", la.severity);
  cmd->add_option("--target-ms", la.target_ms, "response target of plan/severity on a 24x7 calendar");
  cmd->add_option("--tickets", la.tickets);
  cmd->add_option("--spread", la.spread_s, "seconds over which the breaches fall due");
  cmd->add_option("--lead", la.lead_s, "seconds until the first breach");
  cmd->add_option("--background-rate", la.background_rate, "lifecycle events/s produced meanwhile");
  return cmd;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sla-loadgen: load and measurements for the whole sla-timer service (SPEC 7)"};
  app.require_subcommand(1);
  std::string policy = "deploy/policies/sample.yaml";
  app.add_option("--policy", policy, "policy file (plans and severities of the generated tickets)");
  ProduceArgs pa;
  auto* produce_cmd = add_produce(app, pa);
  WaitArgs wa;
  auto* wait_cmd = add_wait(app, wa);
  FillArgs fa;
  auto* fill_cmd = add_redis_partitions(app, fa, "fill", "write open tickets into Redis as the daemon commits them");
  fill_cmd->add_option("--tickets", fa.tickets);
  fill_cmd->add_option("--batch", fa.batch);
  auto* load_cmd = add_redis_partitions(app, fa, "load-bench", "load the partitions filled by fill; time Redis vs engine");
  LatencyArgs la;
  auto* lat_cmd = add_latency(app, la);
  std::size_t smoke_events = 20'000;
  auto* smoke_cmd = app.add_subcommand("smoke", "in-process run against the mock cluster and in-memory store");
  smoke_cmd->add_option("--events", smoke_events);

  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  sla::codec::quiet_protobuf_logging();

  try {
    if (*produce_cmd) {
      produce_events(pa, *load_policy(policy));
    } else if (*wait_cmd) {
      OffsetReader reader(wa.redis_host, wa.redis_port, wa.key_prefix, wa.topic, wa.partitions);
      print_progress(wait_committed([&] { return reader.sum(); }, wa.target, wa.timeout_s, true), wa.target);
    } else if (*fill_cmd) {
      fill(fa, load_policy(policy));
    } else if (*load_cmd) {
      load_bench(fa, load_policy(policy));
    } else if (*lat_cmd) {
      return latency(la, *load_policy(policy)) ? 0 : 1;
    } else if (*smoke_cmd) {
      return smoke(policy, smoke_events);
    }
  } catch (const Failure& f) {
    std::cerr << "sla-loadgen: " << f.what() << std::endl;
    return 1;
  }
  return 0;
}
