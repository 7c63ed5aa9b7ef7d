#include "daemon.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

#include "sla/codec/codec.hpp"
#include "sla/http/views.hpp"
#include "sla/views/json.hpp"
#include "sla/views/preview.hpp"
#include "sla/policy/loader.hpp"
#include "sla/services/policy_io.hpp"
#include "timerd_log.hpp"

namespace sla::timerd {
namespace {

constexpr const char* kConsumerFetchBytes = "4194304";  // max.partition.fetch.bytes unless configured

/// The largest dead letter sent whole: dlq_max_bytes, and no more than the
/// producer's own message.max.bytes when the settings lower it.
std::size_t dlq_max_bytes(const Config& c) {
  auto max = static_cast<std::size_t>(c.dlq_max_bytes);
  if (auto it = c.kafka.properties.find("message.max.bytes"); it != c.kafka.properties.end()) {
    try {
      max = std::min(max, static_cast<std::size_t>(std::stoull(it->second)));
    } catch (const std::exception&) {
      // rd_kafka_new rejects it first
    }
  }
  return max;
}

std::int64_t file_mtime(const std::string& path) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(path, ec);
  return ec ? 0 : t.time_since_epoch().count();  // an int64 count of the file clock
}

}  // namespace

EpochMillis wall_now() { return SystemClock().now(); }

Daemon::Daemon(Config config, std::shared_ptr<const policy::Policy> policy, std::unique_ptr<store::StateStore> store)
    : config_(std::move(config)), policy_(std::move(policy)), store_(std::move(store)) {
  encoding_ = config_.topics.encoding == "json" ? codec::ContentType::kJson : codec::ContentType::kProtobuf;
  const auto headers = [this](codec::WireType type) {
    return std::vector<kafka::Header>{{std::string(codec::kContentTypeHeader), std::string(codec::media_type(encoding_))},
                                      {std::string(codec::kTypeHeader), std::string(codec::message_type_name(type))},
                                      {std::string(codec::kSchemaHeader), std::string(codec::kSchemaVersion)}};
  };
  sla_headers_ = headers(codec::WireType::kSlaEvent);
  page_headers_ = headers(codec::WireType::kPageEvent);
  deadline_headers_ = headers(codec::WireType::kTicketDeadlines);
  http_policy_.store(policy_);
  policy_mtime_ = file_mtime(config_.policy_path);
  probe_.build_info("sla-timerd", SLA_VERSION);
  probe_.policy_loaded(true, static_cast<double>(wall_now()) / 1000.0, /*initial=*/true);
}

Daemon::~Daemon() {
  {
    std::lock_guard lock(preview_mu_);  // a preview uses the store and the consumer
    if (preview_thread_.joinable()) preview_thread_.join();
  }
  if (kafka_probe_.joinable()) {
    kafka_probe_.request_stop();
    kafka_probe_.join();
  }
  // The consumer's close revokes what is left, and on_revoke uses the
  // committer and the workers: close it while they still exist (after an
  // error return from run(), which did not close it). A store that does not
  // answer is not waited for.
  if (consumer_) {
    if (committer_) committer_->give_up();
    consumer_->close();
  }
}

sla::Result<void> Daemon::start() {
  declare_metrics();
  if (auto r = start_producers(); !r) return r;
  start_committer();
  if (auto r = start_consumer(); !r) return r;
  if (auto r = start_views(); !r) return r;
  start_kafka_probe();
  return {};
}

void Daemon::declare_metrics() {
  // Every dead-letter reason and output topic at 0 from the start (see
  // Probe::declare).
  using codec::DecodeFailure;
  probe_.declare({codec::to_string(DecodeFailure::kOversize), codec::to_string(DecodeFailure::kUndecodable),
                  codec::to_string(DecodeFailure::kMissingField), codec::to_string(DecodeFailure::kInvalidField),
                  codec::to_string(DecodeFailure::kAbsurdTimestamp), codec::to_string(DecodeFailure::kFieldTooLong),
                  codec::to_string(DecodeFailure::kKeyMismatch), engine::kReasonUnknownPlanOrSeverity,
                  engine::kReasonTooLate, engine::kReasonTicketBudget, "rejected", kafka::kOversizeReason},
                 {config_.topics.escalations, config_.topics.pages, config_.topics.deadlines, config_.topics.dlq});
}

sla::Result<void> Daemon::start_producers() {
  kafka::ProducerOptions popts;
  popts.poll_on_produce = false;  // the loop and the committer poll; no queue round trip per record
  popts.on_delivery = [this](const kafka::DeliveryReport& r) { on_delivery(r); };
  auto producer = kafka::Producer::create(config_.kafka, popts);
  if (!producer) return tl::unexpected(producer.error());
  producer_ = std::move(*producer);
  // The bulk producer batches longer: fewer, bigger requests for what no
  // one waits on by the millisecond (see Config::bulk_linger_ms).
  kafka::KafkaConfig bulk_config = config_.kafka;
  bulk_config.properties["linger.ms"] = std::to_string(config_.bulk_linger_ms);
  bulk_config.client_id += "-bulk";
  auto bulk = kafka::Producer::create(bulk_config, std::move(popts));
  if (!bulk) return tl::unexpected(bulk.error());
  bulk_ = std::move(*bulk);
  // Before any thread polls the producers (the delivery reports use it).
  dlq_ = std::make_unique<kafka::DeadLetter>(*bulk_, config_.topics.dlq, dlq_max_bytes(config_));
  return {};
}

void Daemon::on_delivery(const kafka::DeliveryReport& r) {
  // A dead letter the broker refused as too large is sent again, without
  // its body if it is large (send_replacements): the replacement's report
  // settles it. One refused even in its smallest form is given up (logged):
  // no input record may stop the daemon.
  if (r.error && dlq_) {
    switch (dlq_->take_refused(r)) {
      case kafka::DeadLetter::Refusal::kResent: return;
      case kafka::DeadLetter::Refusal::kGivenUp:
        probe_.delivery_failed(r.topic);
        acks_.settled(r.tag, std::nullopt);
        return;
      case kafka::DeadLetter::Refusal::kNotTaken: break;
    }
  }
  if (r.error) probe_.delivery_failed(r.topic);
  acks_.settled(r.tag, r.error ? std::optional<std::string>(r.error->message) : std::nullopt);
}

void Daemon::start_committer() {
  commit_store_ = store_->another_connection();
  pipeline::CommitterSettings csettings;
  csettings.topic = config_.topics.input;
  csettings.ack_timeout = std::chrono::milliseconds(config_.flush_timeout_ms);
  pipeline::CommitterHooks hooks;
  hooks.poll_producer = [this] {
    bulk_->poll(std::chrono::milliseconds(0));
    producer_->poll(std::chrono::milliseconds(5));
    send_dlq_replacements();
  };
  hooks.store_state = [this](bool ok) { store_ok_.store(ok); };
  hooks.commit_latency = [this](double ms) { probe_.redis_latency("commit", ms / 1000.0); };
  workers_ = std::make_unique<Workers>(config_.apply_threads > 0
                                           ? static_cast<std::size_t>(config_.apply_threads)
                                           : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8));
  committer_ = std::make_unique<pipeline::Committer>(commit_store_ ? *commit_store_ : *store_,
                                                     commit_store_ ? nullptr : &store_mu_, acks_, clock_,
                                                     std::move(csettings), std::move(hooks));
  committer_->start();
}

sla::Result<void> Daemon::start_consumer() {
  kafka::ConsumerOptions opts;
  opts.max_batch = static_cast<std::size_t>(config_.poll_batch);
  if (config_.max_events_per_second > 0) {
    // A tenth of a second's worth per poll, so the limit is kept smoothly.
    opts.max_batch = static_cast<std::size_t>(std::clamp<std::int64_t>(config_.max_events_per_second / 10, 1, config_.poll_batch));
  }
  opts.on_assign = [this](std::vector<kafka::TopicPartition>& parts) { on_assign(parts); };
  opts.on_revoke = [this](const std::vector<kafka::TopicPartition>& parts, bool lost) { on_revoke(parts, lost); };
  // Fetch up to 4 MB a partition per request (librdkafka's default is 1 MB):
  // the consumer works through a backlog in fewer broker round trips, which
  // on a busy host are what the loop otherwise waits on (docs/benchmarks.md,
  // "Service"). kafka.properties overrides it.
  kafka::KafkaConfig consumer_config = config_.kafka;
  consumer_config.properties.try_emplace("max.partition.fetch.bytes", kConsumerFetchBytes);
  // How fast a dead member's partitions move (Config::group); explicit
  // kafka.properties win.
  consumer_config.properties.try_emplace("session.timeout.ms", std::to_string(config_.group.session_timeout_ms));
  consumer_config.properties.try_emplace("heartbeat.interval.ms", std::to_string(config_.group.heartbeat_interval_ms));
  opts.assignment_strategy = config_.group.assignment_strategy;
  poll_max_batch_ = opts.max_batch;
  auto consumer = kafka::Consumer::create(consumer_config, {config_.topics.input}, std::move(opts));
  if (!consumer) return tl::unexpected(consumer.error());
  consumer_ = std::move(*consumer);
  return {};
}

sla::Result<void> Daemon::start_views() {
  kafka::ProducerOptions aopts;
  aopts.enqueue_timeout = std::chrono::milliseconds(200);  // an HTTP thread waits at most this
  auto ack = kafka::Producer::create(config_.kafka, aopts);
  if (!ack) return tl::unexpected(ack.error());
  ack_producer_ = std::move(*ack);
  views::FeedOptions fopts;
  fopts.kafka = config_.kafka;
  fopts.topic = config_.topics.deadlines;
  fopts.nice = static_cast<int>(config_.views_nice);
  feed_ = std::make_unique<views::DeadlineFeed>(std::move(fopts), view_, [] { return wall_now(); });
  if (config_.report_max_clocks > 0) {
    views::ComplianceFeedOptions copts;
    copts.kafka = config_.kafka;
    copts.topic = config_.topics.escalations;
    copts.max_clocks = static_cast<std::size_t>(config_.report_max_clocks);
    copts.nice = static_cast<int>(config_.views_nice);
    compliance_ = std::make_shared<views::ComplianceFeed>(std::move(copts));
  }
  return {};
}

void Daemon::start_kafka_probe() {
  // /readyz reads kafka_ok_; the metadata round trip (up to 1 s when the
  // brokers are slow) happens here, never on an HTTP thread or the loop.
  kafka_probe_ = std::jthread([this](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      kafka_ok_.store(consumer_->brokers_reachable(std::chrono::milliseconds(1000)));
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, std::chrono::seconds(2), [] { return false; });
    }
  });
}

std::size_t Daemon::owned_partitions() const { return owned_.load(); }

void Daemon::on_assign(std::vector<kafka::TopicPartition>& parts) {
  // Every assigned partition is loaded before any of them is served, so
  // /readyz ("state loaded") turns true only when all are. Several load at
  // once when the store offers more connections: Redis round trips and the
  // decoding of tickets into their engines overlap (a 1M-ticket restart).
  std::shared_ptr<const policy::Policy> policy;
  {
    std::lock_guard lock(mu_);
    policy = policy_;
  }
  std::vector<std::optional<Partition>> loaded(parts.size());
  std::atomic<std::size_t> next{0};
  // Bounded: this runs inside librdkafka's rebalance callback (nothing is
  // consumed meanwhile, and past max.poll.interval.ms the group evicts us).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.assign_timeout_ms);
  loading_.fetch_add(1);
  const auto worker = [&](store::StateStore& store) {
    for (std::size_t i = next++; i < parts.size(); i = next++) {
      // store_ is shared with the committer when it has no connection of its own.
      std::unique_lock shared(store_mu_, std::defer_lock);
      if (&store == store_.get() && !commit_store_) shared.lock();
      loaded[i] = load_partition(store, parts[i], policy, deadline);
    }
  };
  const std::size_t threads_wanted =
      std::min<std::size_t>(parts.size(), std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8));
  std::vector<std::unique_ptr<store::StateStore>> extra;
  while (extra.size() + 1 < threads_wanted) {
    auto another = store_->another_connection();
    if (!another) break;
    extra.push_back(std::move(another));
  }
  std::vector<std::thread> threads;
  threads.reserve(extra.size());
  for (auto& s : extra) threads.emplace_back(worker, std::ref(*s));
  worker(*store_);
  for (auto& t : threads) t.join();
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (loaded[i]) {
      partitions_[parts[i].partition] = std::move(*loaded[i]);
    } else if (!stop_.load()) {
      // Not served by us, and not given to anyone else while we hold it:
      // stop (run() returns the error, exit 1), so the group hands it to a
      // member that can load it and the orchestrator restarts this one.
      if (!assign_failed_.load()) {
        assign_failure_ = "the state of " + parts[i].topic + "/" + std::to_string(parts[i].partition) +
                          " could not be loaded within assign_timeout_ms (" +
                          std::to_string(config_.assign_timeout_ms) + " ms)";
        assign_failed_.store(true, std::memory_order_release);
        log()->error("{}: stopping, so that the group gives the partition to another member", assign_failure_);
      }
    }
  }
  owned_.store(partitions_.size());
  loading_.fetch_sub(1);
}

std::optional<std::string> Daemon::assign_failure() const {
  if (!assign_failed_.load(std::memory_order_acquire)) return std::nullopt;
  return assign_failure_;  // written once, before the flag
}

std::optional<Daemon::Partition> Daemon::load_partition(store::StateStore& store, kafka::TopicPartition& tp,
                                                        const std::shared_ptr<const policy::Policy>& policy,
                                                        std::chrono::steady_clock::time_point deadline) {
  // The partition's state must be loaded before any of its events is
  // applied: retry until the store answers, the deadline passes or we are
  // asked to stop. Tickets go into the engine as they arrive from the store
  // (no copy of the whole partition's states is held meanwhile).
  engine::EngineOptions engine_options;
  engine_options.max_lateness_ms = config_.max_lateness_ms;
  Partition p;
  std::size_t bad = 0;
  const store::TicketSink sink{[&](std::size_t expected) {
                                 p.engine = std::make_unique<engine::Engine>(policy, engine_options);
                                 p.engine->reserve(expected);
                                 bad = 0;
                               },
                               [&](std::string_view, std::string_view state) {
                                 if (!p.engine->load_ticket(state)) ++bad;
                               }};
  sla::Result<std::optional<std::int64_t>> offset = sla::fail(ErrorCode::kUnavailable, "not tried");
  for (int attempt = 0; !stop_.load(); ++attempt) {
    if (attempt > 0 && std::chrono::steady_clock::now() >= deadline) break;
    const auto t0 = std::chrono::steady_clock::now();
    offset = store.load_partition_into(tp.topic, tp.partition, sink);
    // The whole streamed load: the engine's decoding of each ticket included.
    probe_.redis_latency("load", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (offset) break;
    store_ok_.store(false);
    log()->warn("loading partition {}/{} failed (attempt {}): {}", tp.topic, tp.partition, attempt + 1,
                offset.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 100 * (attempt + 1))));
  }
  if (!offset) return std::nullopt;
  store_ok_.store(true);
  p.next_offset = offset->value_or(0);
  p.schedule = pipeline::PartitionSchedule(clock_.now());
  tp.offset = *offset ? **offset : kafka::kOffsetBeginning;
  log()->info("assigned {}/{}: {} tickets loaded ({} unreadable), resuming at offset {}", tp.topic, tp.partition,
              p.engine->ticket_count(), bad, p.next_offset);
  return p;
}

void Daemon::on_revoke(const std::vector<kafka::TopicPartition>& parts, bool lost) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.flush_timeout_ms);
  if (lost) {
    // Another member owns them now: what we had not committed is theirs to
    // redo, and must not overwrite the state they load.
    for (const auto& tp : parts) committer_->forget_partition(tp.partition);
  } else {
    // Outputs first, then the state that records them: cut and wait.
    cut(clock_.now(), true);
  }
  const bool committed = committer_->drain(deadline);
  if (!lost && !committed) {
    // Not committed in time: left to the next owner, as the log says; the
    // queued commits must not land later over what it commits.
    for (const auto& tp : parts) committer_->forget_partition(tp.partition);
  }
  std::lock_guard lock(mu_);
  for (const auto& tp : parts) {
    auto it = partitions_.find(tp.partition);
    if (it == partitions_.end()) continue;
    if (!lost && !committed) {
      log()->error("revoked {}/{}: final commit failed; the next owner resumes from the last commit", tp.topic,
                   tp.partition);
    }
    log()->info("revoked {}/{}{}", tp.topic, tp.partition, lost ? " (lost)" : "");
    partitions_.erase(it);
  }
  owned_.store(partitions_.size());
}

void Daemon::apply(Partition& p, std::span<const kafka::Message* const> messages, EpochMillis now,
                   std::vector<engine::Output>& out) {
  if (messages.empty()) return;
  p.next_offset = messages.back()->offset + 1;
  p.offset_dirty = true;
  p.schedule.consumed(now);
  // Decoded events in order, and the message each came from; undecodable
  // ones go to the DLQ at once.
  p.events.clear();
  p.sources.clear();
  for (const auto* m : messages) {
    const auto type = codec::content_type_from_header(m->header("content-type").value_or(""));
    auto ev = codec::decode_record(m->key, m->payload, type, now);
    if (!ev) {
      dead_letter(*m, codec::to_string(ev.error().failure), ev.error().message);
      continue;
    }
    p.events.push_back(std::move(*ev));
    p.sources.push_back(m);
  }
  // Catching up, the engine's clock is the partition's event time: a late
  // event's recomputation then fires no more than replaying the stream would.
  // A rejected event does not move it (engine::BatchTime).
  engine::BatchTime clock;
  clock.now = now;
  clock.event_time = p.schedule.event_time();
  clock.at_event_time = p.schedule.behind();
  // In chunks, each chunk's outputs produced before the next: the tickets the
  // engine prefetched stay in cache (a 5000-event batch builds ~0.8 MB of
  // outputs; docs/benchmarks.md, "Engine").
  constexpr std::size_t kChunk = 512;
  std::array<std::size_t, engine::kEventKindCount> consumed{};  // counted here, added to the metric once
  const std::span<const engine::TicketEvent> all(p.events);
  for (std::size_t start = 0; start < all.size(); start += kChunk) {
    const auto chunk = all.subspan(start, std::min(kChunk, all.size() - start));
    p.rejected.clear();
    p.engine->apply_batch(chunk, clock, out, p.rejected);
    auto rejected = p.rejected.begin();
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if (rejected != p.rejected.end() && rejected->index == i) {
        const auto& error = rejected->error;
        dead_letter(*p.sources[start + i],
                    engine::dlq_reason(error), error.message);
        ++rejected;
        continue;
      }
      ++consumed[static_cast<std::size_t>(chunk[i].kind)];
    }
    produce(p, out);
    out.clear();
  }
  for (std::size_t k = 0; k < consumed.size(); ++k) probe_.event_consumed(static_cast<engine::EventKind>(k), consumed[k]);
  p.schedule.set_event_time(clock.event_time);
}

void Daemon::send(kafka::Producer& producer, const std::string& topic, std::string_view key, std::string_view payload,
                  std::span<const kafka::Header> headers, std::uint64_t epoch) {
  if (auto r = producer.produce(topic, key, payload, headers, epoch); !r) {
    log()->error("produce to {} failed: {}", topic, r.error().message);
    probe_.delivery_failed(topic);
    acks_.settled(epoch, "produce to " + topic + ": " + r.error().message);
  }
}

void Daemon::dead_letter(const kafka::Message& m, std::string_view reason, std::string_view error) {
  const std::uint64_t epoch = acks_.current();
  acks_.produced(epoch);
  auto sent = dlq_->send(m, reason, error, epoch);
  // Counted under the reason the dead letter carries: a record too large for
  // the DLQ goes without its body, as `oversize`.
  probe_.dlq(sent && *sent != kafka::DeadLetter::Form::kWhole ? kafka::kOversizeReason : reason);
  if (!sent) {
    log()->error("DLQ send failed: {}", sent.error().message);
    acks_.settled(epoch, "DLQ send: " + sent.error().message);
  }
}

void Daemon::send_dlq_replacements() {
  if (!dlq_) return;
  dlq_->send_replacements([this](std::uint64_t epoch, const Error& e) {
    log()->error("DLQ send failed: {}", e.message);
    acks_.settled(epoch, "DLQ send: " + e.message);
  });
}

void Daemon::produce(Partition& p, const std::vector<engine::Output>& out) {
  if (out.empty()) return;
  const EpochMillis now = clock_.now();
  std::size_t escalations = 0;
  std::size_t pages = 0;
  const std::uint64_t epoch = acks_.current();
  acks_.produced(epoch, static_cast<std::int64_t>(out.size()));
  for (const auto& o : out) {
    const bool sla = std::holds_alternative<engine::SlaOutput>(o);
    const std::string& topic = sla ? config_.topics.escalations : config_.topics.pages;
    const std::string& key = sla ? std::get<engine::SlaOutput>(o).ticket_id : std::get<engine::PageOutput>(o).ticket_id;
    const EpochMillis fired_at = sla ? std::get<engine::SlaOutput>(o).fired_at : std::get<engine::PageOutput>(o).fired_at;
    // Catching up: through the bulk producer, whose records go out within
    // bulk_linger_ms (PartitionSchedule::route_to_bulk).
    kafka::Producer* producer = p.schedule.route_to_bulk(fired_at, now) ? bulk_.get() : producer_.get();
    codec::encode_output(o, encoding_, p.bytes);
    send(*producer, topic, key, p.bytes, sla ? sla_headers_ : page_headers_, epoch);
    probe_.fired(o);
    ++(sla ? escalations : pages);
  }
  probe_.output_produced(config_.topics.escalations, escalations);
  probe_.output_produced(config_.topics.pages, pages);
}

std::optional<pipeline::PartitionCommit> Daemon::cut_partition(std::int32_t partition, Partition& p, EpochMillis now) {
  pipeline::PartitionCommit c;
  c.partition = partition;
  std::size_t snapshots = 0;
  const std::uint64_t epoch = acks_.current();
  p.engine->take_dirty_snapshots(now, [&](const engine::TicketView& view, std::string&& state) {
    codec::encode_deadlines(view, now, encoding_, p.bytes);
    acks_.produced(epoch);
    send(*bulk_, config_.topics.deadlines, view.ticket_id, p.bytes, deadline_headers_, epoch);
    ++snapshots;
    c.batch.upserts.push_back({view.ticket_id, std::move(state)});
  });
  probe_.output_produced(config_.topics.deadlines, snapshots);
  for (auto& id : p.engine->take_dropped()) {
    acks_.produced(epoch);
    // A tombstone for compaction: a null value (no bytes at all, not an
    // empty value), with the topic's headers.
    send(*bulk_, config_.topics.deadlines, id, std::string_view{}, deadline_headers_, epoch);
    c.batch.deletes.push_back(std::move(id));
  }
  if (c.batch.upserts.empty() && c.batch.deletes.empty() && !p.offset_dirty) return std::nullopt;
  c.batch.next_offset = p.next_offset;
  p.offset_dirty = false;
  return c;
}

void Daemon::cut(EpochMillis now, bool force) {
  if (!force && now - last_cut_ < config_.commit_interval_ms) return;
  if (committer_->full()) {
    if (!force) return;  // the committer is behind (or the store down): the changes wait in the engines
    if (!committer_->drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.flush_timeout_ms))) {
      log()->warn("commits still behind after flush_timeout_ms: the final cut may be refused");
    }
  }
  pipeline::CommitJob job;
  {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::int32_t, Partition*>> parts;
    for (auto& [part, p] : partitions_) parts.emplace_back(part, &p);
    std::vector<std::optional<pipeline::PartitionCommit>> cuts(parts.size());
    workers_->run(parts.size(), [&](std::size_t i) { cuts[i] = cut_partition(parts[i].first, *parts[i].second, now); });
    for (auto& c : cuts) {
      if (c) job.parts.push_back(std::move(*c));
    }
  }
  job.epoch = acks_.cut();
  last_cut_ = now;
  if (job.parts.empty()) return;
  if (!committer_->try_push(std::move(job))) {
    log()->error("commit queue refused a cut (outputs failed?): its changes are left to the next start");
  }
}

void Daemon::hold_back(EpochMillis now) {
  const bool store_down = !store_ok_.load();
  if (store_down && !held_for_store_) log()->error("state store unavailable: pausing consumption until it is back");
  if (!store_down && held_for_store_) log()->info("state store back: resuming consumption");
  held_for_store_ = store_down;
  const auto action = hold_.decide(!store_down, committer_->full());
  if (action == pipeline::HoldBack::Action::kPause) {
    if (!store_down) log()->info("commits behind (outputs not yet acknowledged): pausing consumption");
    // Not applied when it fails: the next loop asks again (back-pressure is
    // not silently lost).
    if (auto r = consumer_->pause_all(); !r) {
      log()->error("pausing consumption failed (retrying): {}", r.error().message);
      return;
    }
  } else if (action == pipeline::HoldBack::Action::kResume) {
    log()->info("resuming consumption");
    if (auto r = consumer_->resume_all(); !r) {
      log()->error("resuming consumption failed (retrying): {}", r.error().message);
      return;
    }
    std::lock_guard lock(mu_);
    for (auto& [part, p] : partitions_) p.schedule.resumed(now);  // the hold restarts with the fetches
  }
  hold_.applied(action);
}

void Daemon::update_behind(std::int32_t partition, Partition& p, const std::vector<kafka::PartitionLag>& lags,
                           EpochMillis now) const {
  std::optional<pipeline::LogPosition> log;
  for (const auto& l : lags) {
    if (l.partition != partition || l.topic != config_.topics.input) continue;
    log = pipeline::LogPosition{l.position, l.high_watermark};
    break;
  }
  p.schedule.update(log, p.next_offset, consumer_->paused_all(), now);
}

void Daemon::throttle(std::size_t consumed) {
  if (config_.max_events_per_second <= 0 || consumed == 0) return;
  // The moment the consumed events are within the limit: sleep until then.
  const auto now = std::chrono::steady_clock::now();
  throttle_until_ = std::max(throttle_until_, now) +
                    std::chrono::microseconds(static_cast<std::int64_t>(consumed) * 1'000'000 /
                                              config_.max_events_per_second);
  if (throttle_until_ > now) std::this_thread::sleep_until(throttle_until_);
}

void Daemon::maybe_reload(EpochMillis now) {
  if (!reload_.exchange(false)) {
    if (now < next_reload_check_) return;
    next_reload_check_ = now + 2000;
    const auto mtime = file_mtime(config_.policy_path);
    if (mtime == policy_mtime_) return;
    policy_mtime_ = mtime;
  } else {
    // SIGHUP: the file read now is the one the mtime check would find
    // changed; recorded, so that it is not read a second time.
    policy_mtime_ = file_mtime(config_.policy_path);
  }
  std::vector<policy::LoadError> errors;
  auto fresh = services::load_policy_path(config_.policy_path, errors);
  if (!fresh) {
    for (const auto& e : errors) log()->error("policy reload rejected, keeping the old policy: {}", policy::format(e));
    probe_.policy_loaded(false, static_cast<double>(now) / 1000.0);
    return;
  }
  std::vector<engine::Output> out;
  {
    std::lock_guard lock(mu_);
    policy_ = fresh;
    http_policy_.store(fresh);
    for (auto& [part, p] : partitions_) {
      p.engine->set_policy(fresh, now, out);
      produce(p, out);
      out.clear();
    }
  }
  probe_.policy_loaded(true, static_cast<double>(now) / 1000.0);
  log()->info("policy reloaded: {}", fresh->summary());
}

void Daemon::update_gauges() {
  std::size_t tickets = 0;
  std::size_t timers = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [part, p] : partitions_) {
      tickets += p.engine->ticket_count();
      timers += p.engine->pending_timers();
    }
  }
  probe_.open_tickets(tickets);
  probe_.pending_timers(timers);
  if (consumer_) {
    for (const auto& l : consumer_->lag()) {
      if (l.lag >= 0) probe_.consumer_lag(l.topic, l.partition, l.lag);
    }
  }
}

void Daemon::fire_due(std::vector<engine::Output>& out) {
  std::lock_guard lock(mu_);
  const EpochMillis t = clock_.now();
  for (auto& [part, p] : partitions_) {
    if (p.schedule.behind()) continue;  // catching up: fires up to its event time in the loop
    if (auto due = p.engine->next_due(); due && *due <= t) {
      observe_lateness(p, *due, t);
      p.engine->advance(t, out);
      produce(p, out);
      out.clear();
    }
  }
}

void Daemon::observe_lateness(const Partition& p, EpochMillis due, EpochMillis fired) {
  // Due before this instance served the partition live (before the restart,
  // the rebalance or the end of the backlog): the lateness is the time the
  // partition was not served, not a delay of the running service.
  const auto mode = due < p.live_since ? http::Probe::Firing::kCatchUp : http::Probe::Firing::kLive;
  probe_.firing_lateness(mode, static_cast<double>(std::max<EpochMillis>(0, fired - due)) / 1000.0);
}

void Daemon::step(std::int32_t partition, Partition& p, std::span<const kafka::Message* const> messages,
                  EpochMillis now, const std::vector<kafka::PartitionLag>& lags, bool more_queued) {
  auto& out = p.scratch;
  // The earliest timer armed before this batch: its lateness is the
  // service's. One the batch arms already overdue (an event that arrived
  // after its deadline) is late input, not a late timer, and is not observed.
  const auto due_before = p.engine->next_due();
  apply(p, messages, now, out);
  p.schedule.looked(now, more_queued);
  // Timers fire up to the time after the batch, not the time before it: one
  // that fell due while the batch was applied goes out now.
  update_behind(partition, p, lags, now);
  if (!p.schedule.behind() && p.live_since == kNotLive) p.live_since = now;
  // Behind: up to the backlog's event time (never past `now`); caught up:
  // the wall clock.
  const EpochMillis wall = p.schedule.behind() ? now : std::max(now, clock_.now());
  if (const auto until = p.schedule.fire_until(wall)) {
    if (due_before && *due_before <= *until) observe_lateness(p, *due_before, wall);
    p.engine->advance(*until, out);
  }
  produce(p, out);
  out.clear();
}

namespace {

/// Where the loop's wall time goes (sla_loop_seconds_total{phase}): summed
/// here and added to the metric once a second (report()).
class LoopPhases {
 public:
  enum Phase : std::size_t { kPoll, kApply, kDeliveries, kCut, kFire, kOther, kPhaseCount };
  /// The time since the last lap goes to `phase`.
  void lap(Phase phase) {
    const auto t = Steady::now();
    seconds_[phase] += std::chrono::duration<double>(t - mark_).count();
    mark_ = t;
  }
  void report(http::Probe& probe) {
    for (std::size_t i = 0; i < kNames.size(); ++i) {
      if (seconds_[i] > 0) probe.loop_seconds(kNames[i], seconds_[i]);
      seconds_[i] = 0;
    }
  }

 private:
  using Steady = std::chrono::steady_clock;
  static constexpr std::array<std::string_view, kPhaseCount> kNames = {"poll", "apply", "deliveries",
                                                                       "cut",  "fire",  "other"};
  std::array<double, kPhaseCount> seconds_{};
  Steady::time_point mark_ = Steady::now();
};

}  // namespace

sla::Result<void> Daemon::run() {
  std::vector<engine::Output> out;
  EpochMillis last_gauges = 0;
  LoopPhases phases;
  while (!stop_.load()) {
    if (auto f = committer_->fatal()) {
      return sla::fail(ErrorCode::kUnavailable, "an output failed, stopping without committing past it: " + *f);
    }
    if (auto f = assign_failure()) return sla::fail(ErrorCode::kUnavailable, *f);
    const std::int64_t wait = poll_wait_ms(clock_.now());
    phases.lap(LoopPhases::kOther);
    if (auto r = consumer_->poll(std::chrono::milliseconds(wait), batch_); !r) return tl::unexpected(r.error());
    // A full batch: the consumer has more queued than the loop takes (the
    // consumption limit, a backlog). A partition whose messages wait in
    // that queue behind others' is not stalled (PartitionSchedule::looked):
    // with the limit, one partition's fetched messages could hold another's
    // back for longer than the hold, which then fired its timers on the
    // wall clock with half a lifecycle applied (found by tests/chaos).
    const bool more_queued = batch_.size() >= poll_max_batch_;
    throttle(batch_.size());
    phases.lap(LoopPhases::kPoll);
    const EpochMillis now = clock_.now();
    step_partitions(now, more_queued);
    phases.lap(LoopPhases::kApply);
    producer_->poll();  // delivery reports that are due, without waiting
    bulk_->poll();
    send_dlq_replacements();
    phases.lap(LoopPhases::kDeliveries);
    cut(now, false);
    phases.lap(LoopPhases::kCut);
    hold_back(now);
    fire_due(out);
    phases.lap(LoopPhases::kFire);
    maybe_reload(now);
    if (now - last_gauges >= 1000) {
      update_gauges();
      last_gauges = now;
      phases.report(probe_);
    }
  }
  return finish();
}

std::int64_t Daemon::poll_wait_ms(EpochMillis now) const {
  // Sleep in poll() at most until the next timer is due.
  std::int64_t wait = config_.poll_ms;
  std::lock_guard lock(mu_);
  for (const auto& [part, p] : partitions_) wait = p.schedule.poll_wait_ms(p.engine->next_due(), now, wait);
  return wait;
}

void Daemon::step_partitions(EpochMillis now, bool more_queued) {
  const auto lags = consumer_->lag();
  // Each partition's messages (in order) and timers on the workers, the
  // partitions in parallel: their engines share nothing.
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::int32_t, Partition*>> parts;
  parts.reserve(partitions_.size());
  for (auto& [part, p] : partitions_) {
    p.inbox.clear();
    parts.emplace_back(part, &p);
  }
  for (const auto& m : batch_) {
    auto it = partitions_.find(m.partition);
    if (it != partitions_.end()) it->second.inbox.push_back(&m);  // else not ours (revoked mid-batch)
  }
  workers_->run(parts.size(), [&](std::size_t i) {
    auto [part, p] = parts[i];
    step(part, *p, p->inbox, now, lags, more_queued);
  });
}

sla::Result<void> Daemon::finish() {
  // SIGTERM: finish in-flight work: the last cut (what the last timers
  // changed too), its outputs acknowledged and its state committed.
  log()->info("stopping: flushing outputs and committing state");
  cut(clock_.now(), true);
  if (!committer_->drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.flush_timeout_ms))) {
    committer_->give_up();
    if (auto f = committer_->fatal()) return sla::fail(ErrorCode::kUnavailable, "final flush failed: " + *f);
    log()->error("final commit not done (outputs not acknowledged or state store unreachable): the next start "
                 "resumes from the last commit");
  }
  consumer_->close();
  return {};
}

http::Readiness Daemon::readiness() const {
  http::Readiness r;
  std::size_t owned = owned_partitions();
  if (auto f = assign_failure()) {
    r.reason = *f + "; stopping";
  } else if (!store_ok_.load()) {
    r.reason = "state store unreachable";
  } else if (loading_.load() > 0) {
    r.reason = "loading the state of assigned partitions";
  } else if (!kafka_ok_.load()) {
    // With librdkafka's reason when it gave one: a refused SASL password
    // or an untrusted broker certificate looks like any outage otherwise.
    const std::string why = consumer_ ? consumer_->last_error() : std::string();
    r.reason = why.empty() ? "Kafka unreachable" : "Kafka unreachable: " + why;
  } else if (committer_ && committer_->stalled()) {
    r.reason = "outputs not acknowledged by Kafka for over flush_timeout_ms";
  } else if (owned == 0) {
    r.reason = "no partitions assigned";
  } else {
    r.ready = true;
  }
  return r;
}

namespace {

// What a heavy request (policy validation, policy preview, compliance
// report: one slot for the three) answers while another one holds the slot.
constexpr const char* kHeavySlotBusy =
    "another policy validation, policy preview or compliance report is running; retry";

// /v1/reports/compliance: computed on a thread of its own, one at a time,
// within a time budget, so a report over a million clocks never holds an I/O
// thread past the budget nor runs twice at once.
std::function<sla::Result<nlohmann::json>(const report::Query&)> compliance_handler(
    std::shared_ptr<views::ComplianceFeed> feed, std::shared_ptr<std::atomic<int>> running) {
  return [feed = std::move(feed), running = std::move(running)](const report::Query& q) -> sla::Result<nlohmann::json> {
    constexpr auto kBudget = std::chrono::seconds(10);
    const auto state = feed->state();
    if (!state.loaded) return sla::fail(ErrorCode::kUnavailable, "sla.escalations is still being read");
    if (running->fetch_add(1) >= 1) {
      running->fetch_sub(1);
      return sla::fail(ErrorCode::kUnavailable, kHeavySlotBusy);
    }
    auto task = std::make_shared<std::packaged_task<nlohmann::json()>>([feed, running, q, state] {
      auto j = nlohmann::json::parse(report::to_json(feed->report(q)));
      j["view"] = {{"clocks", state.clocks}, {"dropped", state.dropped}, {"undecodable", state.undecodable}};
      running->fetch_sub(1);
      return j;
    });
    auto result = task->get_future();
    std::thread([task] { (*task)(); }).detach();
    if (result.wait_for(kBudget) != std::future_status::ready) {
      return sla::fail(ErrorCode::kUnavailable, "the report took longer than 10 s");
    }
    return result.get();
  };
}

// POST /v1/policy/validate: off the I/O thread, one at a time (the heavy
// slot), within a time budget: a pathological policy costs one worker, never
// the HTTP plane.
std::function<nlohmann::json(std::string_view)> validation_handler(std::shared_ptr<std::atomic<int>> slots) {
  return [slots = std::move(slots)](std::string_view text) {
    constexpr auto kBudget = std::chrono::seconds(5);
    if (slots->fetch_add(1) >= 1) {
      slots->fetch_sub(1);
      return nlohmann::json{{"ok", false}, {"errors", nlohmann::json::array({{{"message", kHeavySlotBusy}}})}};
    }
    auto task = std::make_shared<std::packaged_task<nlohmann::json()>>([text = std::string(text), slots] {
      policy::LoadOptions opts;
      opts.file = "request";  // ics: imports are not read from uploaded policies
      auto j = http::validate_policy_json(text, opts);
      slots->fetch_sub(1);
      return j;
    });
    auto result = task->get_future();
    std::thread([task] { (*task)(); }).detach();
    if (result.wait_for(kBudget) != std::future_status::ready) {
      return nlohmann::json{{"ok", false}, {"errors", nlohmann::json::array({{{"message", "validation took longer than 5 s"}}})}};
    }
    return result.get();
  };
}

}  // namespace

std::shared_ptr<const http::Deps> Daemon::http_deps() {
  auto deps = std::make_shared<http::Deps>();
  deps->healthy = [] { return true; };
  deps->ready = [this] { return readiness(); };
  deps->metrics_text = [this] { return metrics_text(); };
  add_view_routes(*deps);
  deps->ack_page = [this](std::string_view page_id, std::string_view responder) {
    return ack_page(page_id, responder);
  };
  deps->policy_summary = [this] { return http::policy_json(*http_policy_.load()); };
  deps->validate_policy = validation_handler(validations_);
  // Reports share the heavy-request slot with validation and preview: at
  // most one I/O thread ever waits on any of them, the other answers
  // /healthz and the views.
  if (compliance_) deps->compliance = compliance_handler(compliance_, validations_);
  deps->preview_policy = [this](std::string_view text, const http::PreviewParams& params) {
    return preview_within_budget(text, params);
  };
  deps->deadline = [this](std::string_view cal, EpochMillis start, const calendar::Duration& d) {
    return http::policy_deadline(*http_policy_.load(), cal, start, d);
  };
  deps->bearer_tokens = config_.http.tokens;
  deps->allowed_hosts = config_.http.allowed_hosts;
  return deps;
}

std::string Daemon::metrics_text() {
  // Gauges read at the scrape rather than kept current by the loop: the
  // loop may be the thing that is stuck.
  probe_.ready(readiness().ready);
  probe_.kafka_up(kafka_ok_.load());
  probe_.redis_up(store_ok_.load());
  probe_.assigned_partitions(owned_partitions());
  probe_.unacknowledged_outputs(acks_.outstanding());
  if (committer_) probe_.pending_commits(committer_->queued());
  if (feed_) probe_.view_lag(static_cast<double>(feed_->freshness(clock_.now()).lag_ms) / 1000.0);
  return probe_.text();
}

void Daemon::add_view_routes(http::Deps& deps) {
  // Answers come from the cluster-wide view, never from the engines: no
  // request waits on the loop, and every instance answers for every ticket.
  deps.ticket = [this](std::string_view id) -> std::optional<nlohmann::json> {
    const EpochMillis now = clock_.now();
    auto t = view_->ticket(id);
    if (!t) return std::nullopt;
    return views::ticket_json(*t, now, feed_ ? feed_->freshness(now) : views::Freshness{});
  };
  deps.at_risk = [this](const http::AtRiskParams& params) {
    const EpochMillis now = clock_.now();
    const auto query = views::to_query(params, now);
    return views::at_risk_json(view_->at_risk(query), query, feed_ ? feed_->freshness(now) : views::Freshness{});
  };
  deps.pages = [this](const http::PagesParams& params) {
    const EpochMillis now = clock_.now();
    const views::UnackedQuery query{params.limit, params.tenant};
    return views::unacked_json(view_->unacked_pages(query), query, now,
                               feed_ ? feed_->freshness(now) : views::Freshness{});
  };
  deps.oncall = [this](std::optional<EpochMillis> at) {
    return http::oncall_json(*http_policy_.load(), at.value_or(clock_.now()));
  };
}

sla::Result<nlohmann::json> Daemon::ack_page(std::string_view page_id, std::string_view responder) {
  auto ticket_id = views::ticket_of_page(page_id);
  if (!ticket_id) return tl::unexpected(ticket_id.error());
  const EpochMillis now = clock_.now();
  engine::TicketEvent e;
  e.kind = engine::EventKind::kPageAcknowledged;
  e.ticket_id = *ticket_id;
  if (auto t = view_->ticket(e.ticket_id)) e.tenant_id = t->view.tenant_id;
  e.occurred_at = now;
  e.page_id = std::string(page_id);
  e.responder = std::string(responder);
  // One event per request: a repeated ack is a second event, which the
  // engine treats as a no-op for a ladder already stopped.
  static std::atomic<std::uint64_t> seq{0};
  e.event_id = "http-ack/" + std::to_string(now) + "/" + std::to_string(seq.fetch_add(1)) + "/" + e.page_id;
  const std::string payload = codec::encode_ticket_event(e);
  {
    std::lock_guard lock(ack_mu_);
    if (auto r = ack_producer_->produce(config_.topics.input, e.ticket_id, payload); !r) {
      return sla::fail(ErrorCode::kUnavailable, "page_acknowledged not produced: " + r.error().message);
    }
  }
  return nlohmann::json{{"status", "accepted"},
                        {"event_id", e.event_id},
                        {"ticket_id", e.ticket_id},
                        {"page_id", e.page_id},
                        {"topic", config_.topics.input}};
}

std::pair<unsigned, nlohmann::json> Daemon::preview_within_budget(std::string_view text,
                                                                  const http::PreviewParams& params) {
  // Same slot as validation: one heavy request at a time, so at most one
  // I/O thread waits; the preview's own budget ends it before the wait does.
  constexpr auto kBudget = std::chrono::seconds(5);
  using Answer = std::pair<unsigned, nlohmann::json>;
  const auto& slots = validations_;
  if (slots->fetch_add(1) >= 1) {
    slots->fetch_sub(1);
    return Answer{503, {{"error", kHeavySlotBusy}}};
  }
  const auto budget_end = std::chrono::steady_clock::now() + kBudget - std::chrono::milliseconds(250);
  auto task = std::make_shared<std::packaged_task<Answer()>>([this, text = std::string(text), params, budget_end, slots] {
    auto answer = preview(text, params, budget_end);
    slots->fetch_sub(1);
    return answer;
  });
  auto result = task->get_future();
  {
    std::lock_guard lock(preview_mu_);
    if (preview_thread_.joinable()) preview_thread_.join();  // finished: its slot was free
    preview_thread_ = std::thread([task] { (*task)(); });
  }
  if (result.wait_for(kBudget) != std::future_status::ready) {
    return Answer{503, {{"error", "the preview took longer than 5 s (reading the open tickets from the store)"}}};
  }
  return result.get();
}

sla::Result<Daemon::PreviewTickets> Daemon::preview_tickets(std::chrono::steady_clock::time_point budget_end) {
  constexpr std::size_t kPreviewMaxTickets = 100'000;
  if (!consumer_) return sla::fail(ErrorCode::kUnavailable, "the daemon has not started");
  auto count = consumer_->partition_count(config_.topics.input, std::chrono::seconds(2));
  if (!count) return tl::unexpected(count.error());
  // Its own connection when the store has them; else the shared one, as
  // the committer and on_assign take it.
  auto own = store_->another_connection();
  std::unique_lock shared(store_mu_, std::defer_lock);
  if (!own && !commit_store_) shared.lock();
  store::StateStore& store = own ? *own : *store_;
  PreviewTickets out;
  out.partitions = *count;
  for (std::int32_t p = 0; p < *count; ++p) {
    if (std::chrono::steady_clock::now() >= budget_end || out.states.size() >= kPreviewMaxTickets) {
      out.truncated = true;
      break;
    }
    auto state = store.load_partition(config_.topics.input, p);
    if (!state) return tl::unexpected(state.error());
    for (auto& t : state->tickets) {
      if (out.states.size() >= kPreviewMaxTickets) {
        out.truncated = true;
        break;
      }
      out.states.push_back(std::move(t.state));
    }
  }
  return out;
}

std::pair<unsigned, nlohmann::json> Daemon::preview(const std::string& yaml_text, const http::PreviewParams& params,
                                                    std::chrono::steady_clock::time_point budget_end) {
  policy::LoadOptions opts;
  opts.file = "request";
  opts.allow_files = false;  // an uploaded policy reads no file of the host (SPEC 5.3)
  std::vector<policy::LoadError> errors;
  auto candidate = policy::load_policy(yaml_text, opts, errors);
  if (!candidate) {
    if (errors.empty()) errors.push_back({opts.file, 0, 0, "policy failed to load"});
    return {422, http::load_errors_json(errors)};
  }
  auto tickets = preview_tickets(budget_end);
  if (!tickets) return {503, {{"error", "open tickets not read from the store: " + tickets.error().message}}};
  views::PreviewOptions o;
  o.now = clock_.now();
  o.horizon_ms = params.horizon_ms;
  o.max_changes = params.limit;
  o.budget = budget_end;
  const auto current = http_policy_.load();
  auto result = views::preview_policy(tickets->states, current, candidate, o);
  if (!result) return {500, {{"error", result.error().message}}};
  auto j = views::preview_json(*result, views::target_changes(*current, *candidate));
  // complete: false also when not every open ticket could be read.
  if (tickets->truncated) j["complete"] = false;
  j["source"] = {{"store_partitions", tickets->partitions},
                 {"tickets_read", tickets->states.size()},
                 {"all_tickets_read", !tickets->truncated}};
  return {200, std::move(j)};
}

}  // namespace sla::timerd
