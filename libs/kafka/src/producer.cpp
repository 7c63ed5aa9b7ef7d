#include "sla/kafka/producer.hpp"

#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "log.hpp"

namespace sla::kafka {
namespace {

int to_ms(std::chrono::milliseconds d) {
  return d.count() > 0x7fffffff ? 0x7fffffff : static_cast<int>(d.count() < 0 ? 0 : d.count());
}

}  // namespace

Producer::Producer(ProducerOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Producer>> Producer::create(const KafkaConfig& config, ProducerOptions options) {
  std::map<std::string, std::string> props{
      {"linger.ms", "5"},
      {"partitioner", "murmur2_random"},
      // Outputs are small protobufs with repeated field values: batches
      // compress well, so the broker writes and serves fewer bytes.
      {"compression.type", "lz4"},
  };
  for (auto& [name, value] : to_properties(config)) props[name] = value;
  // The semantics this class promises; not overridable.
  props["enable.idempotence"] = "true";
  props["acks"] = "all";

  auto conf = make_conf(props);
  if (!conf) return tl::unexpected(conf.error());

  std::unique_ptr<Producer> self(new Producer(std::move(options)));
  rd_kafka_conf_set_opaque(conf->get(), self.get());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &Producer::delivery_trampoline);

  std::array<char, 512> errstr{};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr.data(), errstr.size());
  if (rk == nullptr) {
    return fail(ErrorCode::kUnavailable, "kafka producer: rd_kafka_new: " + std::string(errstr.data()));
  }
  (void)conf->release();  // rd_kafka_new took ownership
  self->client_.reset(rk);
  return self;
}

Producer::~Producer() {
  if (!client_) return;
  if (rd_kafka_flush(client_.get(), 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    detail::logger()->warn("producer destroyed with {} messages unacknowledged", rd_kafka_outq_len(client_.get()));
  }
  // Anything still queued fails with a purge report when the client goes.
  if (const auto e = rd_kafka_purge(client_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    detail::logger()->warn("purging the producer's queue failed: {}", rd_kafka_err2str(e));
  }
  rd_kafka_poll(client_.get(), 0);
  for (auto& slot : topics_) {
    if (const TopicEntry* e = slot.load(std::memory_order_acquire)) {
      rd_kafka_topic_destroy(e->handle);
      delete e;
    }
  }
}

rd_kafka_topic_t* Producer::topic_handle(const std::string& topic) {
  // Lock-free on a hit (every record but a topic's first); the handle saves
  // librdkafka a topic lookup by name, under its client lock, per record.
  for (const auto& slot : topics_) {
    const TopicEntry* e = slot.load(std::memory_order_acquire);
    if (e == nullptr) break;
    if (e->name == topic) return e->handle;
  }
  std::lock_guard lock(topics_mutex_);
  std::size_t free = 0;
  for (; free < topics_.size(); ++free) {
    const TopicEntry* e = topics_[free].load(std::memory_order_acquire);
    if (e == nullptr) break;
    if (e->name == topic) return e->handle;
  }
  if (free == topics_.size()) return nullptr;  // more topics than slots: by name
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client_.get(), topic.c_str(), nullptr);
  if (handle == nullptr) return nullptr;  // produce by name reports the error
  topics_[free].store(new TopicEntry{topic, handle}, std::memory_order_release);
  return handle;
}

void Producer::delivery_trampoline(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) noexcept {
  static_cast<Producer*>(opaque)->on_delivery(message);
}

void Producer::on_delivery(const rd_kafka_message_t* message) noexcept {
  DeliveryReport report;
  report.topic = rd_kafka_topic_name(message->rkt);
  report.partition = message->partition;
  report.tag = reinterpret_cast<std::uintptr_t>(message->_private);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    report.offset = message->offset;
    delivered_.fetch_add(1, std::memory_order_relaxed);
  } else {
    report.error = to_error(message->err, "kafka delivery to " + std::string(report.topic));
    report.too_large = message->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
                       message->err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
    if (message->key != nullptr) report.key = {static_cast<const char*>(message->key), message->key_len};
    if (message->payload != nullptr) report.payload = {static_cast<const char*>(message->payload), message->len};
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers != nullptr) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        report.headers.push_back(
            Header{name, value != nullptr ? std::string(static_cast<const char*>(value), size) : std::string()});
      }
    }
    failed_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(failures_mutex_);
    if (failed_since_flush_++ == 0) first_failure_ = report.error->message;
  }
  // A throwing handler is a broken invariant: noexcept terminates.
  if (options_.on_delivery) options_.on_delivery(report);
}

Result<void> Producer::produce(const std::string& topic, std::string_view key, std::string_view payload,
                               std::span<const Header> headers, std::uint64_t tag) {
  rd_kafka_t* rk = client_.get();
  // On the stack for the usual few headers (no allocation per record).
  constexpr std::size_t kInline = 8;
  std::array<rd_kafka_vu_t, kInline> inline_vus{};
  std::vector<rd_kafka_vu_t> heap_vus;
  if (5 + headers.size() > kInline) heap_vus.resize(5 + headers.size());
  rd_kafka_vu_t* const vus = heap_vus.empty() ? inline_vus.data() : heap_vus.data();
  std::size_t count = 0;
  const auto add = [&](rd_kafka_vtype_t type, auto&& set) {
    rd_kafka_vu_t& vu = vus[count++];
    vu.vtype = type;
    set(vu.u);
  };
  using Union = decltype(rd_kafka_vu_t::u);
  if (rd_kafka_topic_t* rkt = topic_handle(topic)) {
    add(RD_KAFKA_VTYPE_RKT, [&](Union& u) { u.rkt = rkt; });
  } else {
    add(RD_KAFKA_VTYPE_TOPIC, [&](Union& u) { u.cstr = topic.c_str(); });
  }
  add(RD_KAFKA_VTYPE_MSGFLAGS, [](Union& u) { u.i = RD_KAFKA_MSG_F_COPY; });
  // F_COPY: librdkafka copies and never writes through these pointers.
  add(RD_KAFKA_VTYPE_VALUE, [&](Union& u) {
    u.mem.ptr = const_cast<char*>(payload.data());
    u.mem.size = payload.size();
  });
  if (!key.empty()) {
    add(RD_KAFKA_VTYPE_KEY, [&](Union& u) {
      u.mem.ptr = const_cast<char*>(key.data());
      u.mem.size = key.size();
    });
  }
  add(RD_KAFKA_VTYPE_OPAQUE, [&](Union& u) { u.ptr = reinterpret_cast<void*>(tag); });
  for (const auto& h : headers) {
    add(RD_KAFKA_VTYPE_HEADER, [&](Union& u) {
      u.header.name = h.name.c_str();
      u.header.val = h.value.data();
      u.header.size = static_cast<ssize_t>(h.value.size());
    });
  }

  std::optional<std::chrono::steady_clock::time_point> deadline;  // read the clock only when the queue is full
  for (;;) {
    ErrorHandle error(rd_kafka_produceva(rk, vus, count));
    if (!error) break;
    const auto code = rd_kafka_error_code(error.get());
    const auto t = std::chrono::steady_clock::now();
    if (!deadline) deadline = t + options_.enqueue_timeout;
    if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL || t >= *deadline) {
      return tl::unexpected(to_error(code, "kafka produce to " + topic));
    }
    // Queue full: serve delivery reports to make room, then retry.
    rd_kafka_poll(rk, 10);
  }
  if (options_.poll_on_produce) rd_kafka_poll(rk, 0);  // serve due delivery reports without waiting
  return {};
}

void Producer::poll(std::chrono::milliseconds timeout) { rd_kafka_poll(client_.get(), to_ms(timeout)); }

std::int64_t Producer::in_flight() const noexcept { return rd_kafka_outq_len(client_.get()); }

Result<void> Producer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = client_.get();
  const auto err = rd_kafka_flush(rk, to_ms(timeout));
  {
    std::lock_guard lock(failures_mutex_);
    if (failed_since_flush_ > 0) {
      auto message = std::to_string(failed_since_flush_) + " messages failed: " + first_failure_;
      failed_since_flush_ = 0;
      first_failure_.clear();
      return fail(ErrorCode::kUnavailable, std::move(message));
    }
  }
  std::array<char, 512> reason{};
  if (rd_kafka_fatal_error(rk, reason.data(), reason.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(ErrorCode::kUnavailable, "kafka producer fatal error: " + std::string(reason.data()));
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(ErrorCode::kUnavailable, std::to_string(rd_kafka_outq_len(rk)) + " messages not acknowledged after " +
                                             std::to_string(timeout.count()) + " ms");
  }
  return {};
}

}  // namespace sla::kafka
