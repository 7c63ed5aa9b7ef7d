#include "sla/kafka/reader.hpp"

#include <array>

#include "log.hpp"

namespace sla::kafka {

Result<std::unique_ptr<Reader>> Reader::create(const KafkaConfig& config, std::string topic,
                                               std::chrono::milliseconds metadata_timeout) {
  auto props = to_properties(config);
  props.erase("group.id");
  // A group id is still needed by librdkafka's consumer; nothing joins it
  // (no subscribe, no commit).
  props["group.id"] = "sla-view-reader";
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["enable.partition.eof"] = "true";
  props["auto.offset.reset"] = "earliest";
  auto conf = make_conf(props);
  if (!conf) return tl::unexpected(conf.error());
  std::array<char, 512> errstr{};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr.data(), errstr.size());
  if (rk == nullptr) return fail(ErrorCode::kUnavailable, "kafka reader: rd_kafka_new: " + std::string(errstr.data()));
  (void)conf->release();
  std::unique_ptr<Reader> self(new Reader());
  self->client_.reset(rk);
  self->topic_ = std::move(topic);

  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, self->topic_.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(rk, 0, t, &md, static_cast<int>(metadata_timeout.count()));
  rd_kafka_topic_destroy(t);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return tl::unexpected(to_error(err, "kafka reader: metadata " + self->topic_));
  std::int32_t count = 0;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (self->topic_ == md->topics[i].topic) {
      count = md->topics[i].partition_cnt;
      topic_err = md->topics[i].err;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (count <= 0) {
    return fail(ErrorCode::kNotFound,
                "kafka reader: topic '" + self->topic_ + "' not found: " + rd_kafka_err2str(topic_err));
  }
  self->partitions_ = count;
  PartitionListHandle list(rd_kafka_topic_partition_list_new(count));
  for (std::int32_t p = 0; p < count; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), self->topic_.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (const auto e = rd_kafka_assign(rk, list.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return tl::unexpected(to_error(e, "kafka reader: assign"));
  }
  rd_kafka_poll_set_consumer(rk);
  self->queue_ = rd_kafka_queue_get_consumer(rk);
  detail::logger()->info("reader of {}: {} partitions from the beginning", self->topic_, count);
  return self;
}

Reader::~Reader() {
  release();
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  if (client_) {
    // A destructor cannot report: failures are logged, the handle goes anyway.
    if (const auto e = rd_kafka_assign(client_.get(), nullptr); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      detail::logger()->warn("reader of {}: unassign at close failed: {}", topic_, rd_kafka_err2str(e));
    }
    if (const auto e = rd_kafka_consumer_close(client_.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      detail::logger()->warn("reader of {}: close failed: {}", topic_, rd_kafka_err2str(e));
    }
  }
}

void Reader::release() {
  for (auto* m : held_) rd_kafka_message_destroy(m);
  held_.clear();
}

const ReaderBatch& Reader::poll(std::chrono::milliseconds timeout, std::size_t max_records) {
  release();
  batch_.records.clear();
  batch_.at_end.clear();
  held_.resize(max_records == 0 ? 1 : max_records);
  const auto n = rd_kafka_consume_batch_queue(queue_, static_cast<int>(timeout.count()), held_.data(), held_.size());
  held_.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  for (auto* m : held_) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      batch_.at_end.push_back(m->partition);
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      detail::logger()->warn("reader of {}: {}", topic_, rd_kafka_message_errstr(m));
      continue;
    }
    ReaderRecord r;
    r.partition = m->partition;
    r.offset = m->offset;
    r.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) r.value = std::string_view(static_cast<const char*>(m->payload), m->len);
    rd_kafka_timestamp_type_t tt{};
    r.timestamp_ms = rd_kafka_message_timestamp(m, &tt);
    rd_kafka_headers_t* headers = nullptr;  // owned by the message
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers != nullptr &&
        rd_kafka_header_get_last(headers, "content-type", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        value != nullptr) {
      r.content_type = std::string_view(static_cast<const char*>(value), size);
    }
    batch_.records.push_back(r);
  }
  return batch_;
}

}  // namespace sla::kafka
