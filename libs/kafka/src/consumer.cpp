#include "sla/kafka/consumer.hpp"

#include <array>
#include <cstring>
#include <exception>
#include <utility>

#include "log.hpp"

namespace sla::kafka {
namespace {

PartitionListHandle to_list(const std::vector<TopicPartition>& partitions) {
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = tp.offset;
  }
  return list;
}

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  out.reserve(static_cast<std::size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    const auto& elem = list->elems[i];
    out.push_back(TopicPartition{elem.topic, elem.partition, elem.offset});
  }
  return out;
}

std::string describe(const std::vector<TopicPartition>& partitions) {
  std::string out;
  for (const auto& tp : partitions) {
    if (!out.empty()) out += ',';
    out += tp.topic + '[' + std::to_string(tp.partition) + ']';
    if (tp.offset != kOffsetStored) out += '@' + std::to_string(tp.offset);
  }
  return out.empty() ? "(none)" : out;
}

/// The first per-partition error in a list returned by pause/resume/commit.
Result<void> check_list(const rd_kafka_topic_partition_list_t* list, const char* what) {
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return tl::unexpected(to_error(list->elems[i].err, std::string(what) + " " + list->elems[i].topic +
                                                            "[" + std::to_string(list->elems[i].partition) + "]"));
    }
  }
  return {};
}

/// Overwrites every field of `out` with `m` (reusing its strings' storage).
void copy_message(const rd_kafka_message_t& m, Message& out) {
  out.topic.assign(rd_kafka_topic_name(m.rkt));
  out.partition = m.partition;
  out.offset = m.offset;
  if (m.key != nullptr) {
    out.key.assign(static_cast<const char*>(m.key), m.key_len);
  } else {
    out.key.clear();
  }
  if (m.payload != nullptr) {
    out.payload.assign(static_cast<const char*>(m.payload), m.len);
  } else {
    out.payload.clear();
  }
  std::size_t n = 0;
  rd_kafka_headers_t* headers = nullptr;  // owned by the message
  if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers != nullptr) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (; rd_kafka_header_get_all(headers, n, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++n) {
      if (n == out.headers.size()) out.headers.emplace_back();
      Header& h = out.headers[n];
      h.name.assign(name);
      if (value != nullptr) {
        h.value.assign(static_cast<const char*>(value), size);
      } else {
        h.value.clear();
      }
    }
  }
  out.headers.resize(n);
  rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t ts = rd_kafka_message_timestamp(&m, &ts_type);
  out.timestamp_ms.reset();
  if (ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0) out.timestamp_ms = ts;
}

}  // namespace

std::optional<std::string_view> Message::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->name == name) return std::string_view(it->value);
  }
  return std::nullopt;
}

Consumer::Consumer(ConsumerOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Consumer>> Consumer::create(const KafkaConfig& config, std::vector<std::string> topics,
                                                   ConsumerOptions options) {
  if (topics.empty()) return fail(ErrorCode::kInvalidArgument, "kafka consumer: no topics to subscribe to");
  if (config.group_id.empty()) return fail(ErrorCode::kInvalidArgument, "kafka consumer: group_id is empty");
  if (options.max_batch == 0) options.max_batch = 1;

  std::map<std::string, std::string> props{
      {"auto.offset.reset", "earliest"},
      {"partition.assignment.strategy", options.assignment_strategy},
  };
  for (auto& [name, value] : to_properties(config)) props[name] = value;
  // The semantics this class promises; not overridable.
  props["group.id"] = config.group_id;
  if (!config.group_instance_id.empty()) props["group.instance.id"] = config.group_instance_id;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["enable.partition.eof"] = "false";

  auto conf = make_conf(props);
  if (!conf) return tl::unexpected(conf.error());

  std::unique_ptr<Consumer> self(new Consumer(std::move(options)));
  // Before joining, rd_kafka_rebalance_protocol() says "NONE" (and NULL once
  // closed): what close() needs to know is what was configured.
  self->cooperative_assignor_ = props["partition.assignment.strategy"].find("cooperative") != std::string::npos;
  rd_kafka_conf_set_opaque(conf->get(), self.get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), &Consumer::rebalance_trampoline);
  rd_kafka_conf_set_error_cb(conf->get(), &Consumer::error_trampoline);

  std::array<char, 512> errstr{};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr.data(), errstr.size());
  if (rk == nullptr) {
    return fail(ErrorCode::kUnavailable, "kafka consumer: rd_kafka_new: " + std::string(errstr.data()));
  }
  (void)conf->release();  // rd_kafka_new took ownership
  self->client_.reset(rk);
  // Serve everything (logs, errors, rebalances) from the consumer queue, so
  // poll() is the one place callbacks run.
  rd_kafka_poll_set_consumer(rk);

  std::vector<TopicPartition> subscription;
  for (auto& topic : topics) subscription.push_back(TopicPartition{std::move(topic), RD_KAFKA_PARTITION_UA, kOffsetStored});
  auto list = to_list(subscription);
  if (const auto err = rd_kafka_subscribe(rk, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->closed_ = true;  // never joined: nothing to leave
    return tl::unexpected(to_error(err, "kafka consumer: subscribe"));
  }
  detail::logger()->info("consumer {} joining group '{}'{} for {} ({})", rd_kafka_name(rk), config.group_id,
                         config.group_instance_id.empty() ? "" : " as static member '" + config.group_instance_id + "'",
                         describe(subscription), props["partition.assignment.strategy"]);
  return self;
}

Consumer::~Consumer() { close(); }

void Consumer::close() {
  if (closed_ || !client_) return;
  closed_ = true;
  if (const auto err = rd_kafka_consumer_close(client_.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    detail::logger()->warn("consumer close: {}", rd_kafka_err2str(err));
  }
  if (!assigned_once_ && cooperative_assignor_) {
    // librdkafka < 2.3 asserts in rd_kafka_destroy() when the cooperative
    // assignor never got an assignment (#4312): leave the handle to the
    // process exit rather than abort a clean shutdown. Its threads live on
    // until then and log through the log callback, which at exit would
    // reach spdlog after its static destruction (a crash seen about once in
    // 75 runs): the handle is silenced first (level 0 = emergencies only,
    // which librdkafka does not log).
    detail::logger()->info("consumer closed before its first assignment: handle left to the process exit");
    rd_kafka_set_log_level(client_.get(), 0);
    (void)client_.release();
  }
}

void Consumer::rebalance_trampoline(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) noexcept {
  static_cast<Consumer*>(opaque)->on_rebalance(err, partitions);
}

void Consumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) noexcept {
  rd_kafka_t* rk = client_.get();
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  const bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  auto log = detail::logger();
  auto tps = to_vector(partitions);

  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assigned_once_ = true;
    for (auto& tp : tps) tp.offset = kOffsetStored;
    // A throwing handler is a broken invariant: noexcept terminates.
    if (options_.on_assign && !tps.empty()) options_.on_assign(tps);
    for (int i = 0; i < partitions->cnt; ++i) {
      partitions->elems[i].offset = tps[static_cast<std::size_t>(i)].offset;
    }
    log->info("assigned {} ({})", describe(tps), cooperative ? "incremental" : "eager");
    if (cooperative) {
      if (ErrorHandle e{rd_kafka_incremental_assign(rk, partitions)}) {
        log->error("incremental assign failed: {}", rd_kafka_error_string(e.get()));
        ++errors_;
      }
    } else if (const auto e = rd_kafka_assign(rk, partitions); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log->error("assign failed: {}", rd_kafka_err2str(e));
      ++errors_;
    }
    if (paused_all_ && partitions->cnt > 0) {
      // Backpressure covers partitions that arrive while it is on.
      if (const auto e = rd_kafka_pause_partitions(rk, partitions); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log->error("pausing the assigned partitions failed (back-pressure does not cover them): {}", rd_kafka_err2str(e));
        ++errors_;
      }
    } else if (partitions->cnt > 0) {
      // librdkafka keeps a partition's pause across an unassignment: one
      // paused, then lost (session timeout) and assigned again would never
      // be fetched. Not paused now, so not paused.
      if (const auto e = rd_kafka_resume_partitions(rk, partitions); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log->error("resuming the assigned partitions failed: {}", rd_kafka_err2str(e));
        ++errors_;
      }
    }
    return;
  }

  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    const bool lost = rd_kafka_assignment_lost(rk) != 0;
    for (auto& tp : tps) tp.offset = kOffsetStored;
    log->info("revoking {}{}", describe(tps), lost ? " (lost)" : "");
    if (options_.on_revoke && !tps.empty()) options_.on_revoke(tps, lost);
    if (cooperative) {
      if (ErrorHandle e{rd_kafka_incremental_unassign(rk, partitions)}) {
        log->error("incremental unassign failed: {}", rd_kafka_error_string(e.get()));
        ++errors_;
      }
    } else if (const auto e = rd_kafka_assign(rk, nullptr); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log->error("unassign failed: {}", rd_kafka_err2str(e));
      ++errors_;
    }
    return;
  }

  log->error("rebalance error: {}", rd_kafka_err2str(err));
  ++errors_;
  if (const auto e = rd_kafka_assign(rk, nullptr); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log->error("unassign after a rebalance error failed: {}", rd_kafka_err2str(e));
    ++errors_;
  }
}

Result<std::vector<Message>> Consumer::poll(std::chrono::milliseconds timeout) {
  MessageBatch batch;
  if (auto r = poll(timeout, batch); !r) return tl::unexpected(r.error());
  return std::vector<Message>(batch.begin(), batch.end());
}

Result<void> Consumer::poll(std::chrono::milliseconds timeout, MessageBatch& batch) {
  batch.clear();
  if (closed_) return fail(ErrorCode::kUnavailable, "kafka consumer: closed");
  rd_kafka_t* rk = client_.get();
  auto wait = static_cast<int>(timeout.count());
  while (batch.size() < options_.max_batch) {
    MessageHandle m(rd_kafka_consumer_poll(rk, wait));
    wait = 0;
    if (!m) break;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      ++errors_;
      std::array<char, 512> reason{};
      if (rd_kafka_fatal_error(rk, reason.data(), reason.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        batch.clear();
        return fail(ErrorCode::kUnavailable, "kafka consumer fatal error: " + std::string(reason.data()));
      }
      detail::logger()->warn("consumer: {}", rd_kafka_message_errstr(m.get()));
      continue;
    }
    copy_message(*m, batch.next());
  }
  return {};
}

Result<void> Consumer::pause(const std::vector<TopicPartition>& partitions) {
  auto list = to_list(partitions);
  if (const auto err = rd_kafka_pause_partitions(client_.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return tl::unexpected(to_error(err, "kafka pause"));
  }
  return check_list(list.get(), "kafka pause");
}

Result<void> Consumer::resume(const std::vector<TopicPartition>& partitions) {
  auto list = to_list(partitions);
  if (const auto err = rd_kafka_resume_partitions(client_.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return tl::unexpected(to_error(err, "kafka resume"));
  }
  return check_list(list.get(), "kafka resume");
}

Result<void> Consumer::pause_all() {
  paused_all_ = true;
  return pause(assignment());
}

Result<void> Consumer::resume_all() {
  paused_all_ = false;
  return resume(assignment());
}

Result<void> Consumer::commit(const std::vector<TopicPartition>& offsets, bool async) {
  if (offsets.empty()) return {};
  auto list = to_list(offsets);
  if (const auto err = rd_kafka_commit(client_.get(), list.get(), async ? 1 : 0); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return tl::unexpected(to_error(err, "kafka commit"));
  }
  return async ? Result<void>{} : check_list(list.get(), "kafka commit");
}

std::vector<TopicPartition> Consumer::assignment() const {
  rd_kafka_topic_partition_list_t* raw_list = nullptr;
  if (rd_kafka_assignment(client_.get(), &raw_list) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  PartitionListHandle list(raw_list);
  auto out = to_vector(list.get());
  for (auto& tp : out) tp.offset = kOffsetStored;
  return out;
}

std::vector<PartitionLag> Consumer::lag() const {
  std::vector<PartitionLag> out;
  auto assigned = assignment();
  if (assigned.empty()) return out;
  auto list = to_list(assigned);
  // On failure every position stays invalid and is reported as -1 (unknown):
  // lag() feeds a gauge, and an unknown value is what it should show then.
  if (const auto e = rd_kafka_position(client_.get(), list.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    detail::logger()->debug("reading positions for the lag failed: {}", rd_kafka_err2str(e));
  }
  for (int i = 0; i < list->cnt; ++i) {
    const auto& elem = list->elems[i];
    PartitionLag entry{elem.topic, elem.partition, elem.offset >= 0 ? elem.offset : -1, -1, -1};
    std::int64_t low = -1;
    std::int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(client_.get(), elem.topic, elem.partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      entry.high_watermark = high;
      if (entry.position >= 0) entry.lag = high > entry.position ? high - entry.position : 0;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

bool Consumer::brokers_reachable(std::chrono::milliseconds timeout) const {
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(client_.get(), 0, nullptr, &md, static_cast<int>(timeout.count()));
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  const std::lock_guard lock(last_error_mutex_);
  last_error_.clear();
  last_error_weight_ = -1;
  return true;
}

std::string Consumer::last_error() const {
  const std::lock_guard lock(last_error_mutex_);
  return last_error_;
}

namespace {

/// How much an error says about why the brokers are not reachable: a
/// refused login or certificate (which stays until fixed) over a dropped
/// connection or timeout (which follow it on every retry) over the "all
/// brokers down" summary.
int error_weight(rd_kafka_resp_err_t code) {
  switch (code) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__FATAL:
      return 2;
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return 0;
    default:
      return 1;
  }
}

}  // namespace

void Consumer::error_trampoline(rd_kafka_t* rk, int err, const char* reason, void* opaque) noexcept {
  detail::log_client_error(rk, err, reason);
  auto* self = static_cast<Consumer*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  try {
    const std::lock_guard lock(self->last_error_mutex_);
    if (error_weight(code) < self->last_error_weight_) return;
    self->last_error_ = std::string(reason) + " (" + rd_kafka_err2name(code) + ")";
    self->last_error_weight_ = error_weight(code);
  } catch (...) {
    // Out of memory for a diagnostic: the log line above has it.
  }
}

sla::Result<std::int32_t> Consumer::partition_count(std::string_view topic, std::chrono::milliseconds timeout) const {
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(client_.get(), 1, nullptr, &md, static_cast<int>(timeout.count()));
  const std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> owned(md, rd_kafka_metadata_destroy);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md == nullptr) {
    return sla::fail(ErrorCode::kUnavailable, std::string("topic metadata: ") + rd_kafka_err2str(err));
  }
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return sla::fail(ErrorCode::kNotFound, "topic " + std::string(topic) + ": " + rd_kafka_err2str(t.err));
    }
    return static_cast<std::int32_t>(t.partition_cnt);
  }
  return sla::fail(ErrorCode::kNotFound, "no topic " + std::string(topic) + " in the cluster");
}

}  // namespace sla::kafka
