#include "sla/kafka/handles.hpp"

#include <array>

#include <spdlog/spdlog.h>

#include "log.hpp"

namespace sla::kafka {

void ClientDeleter::operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
void ConfDeleter::operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
void PartitionListDeleter::operator()(rd_kafka_topic_partition_list_t* list) const noexcept {
  rd_kafka_topic_partition_list_destroy(list);
}
void ErrorDeleter::operator()(rd_kafka_error_t* error) const noexcept { rd_kafka_error_destroy(error); }
void MessageDeleter::operator()(rd_kafka_message_t* message) const noexcept {
  rd_kafka_message_destroy(message);
}
void HeadersDeleter::operator()(rd_kafka_headers_t* headers) const noexcept {
  rd_kafka_headers_destroy(headers);
}

Result<ConfHandle> make_conf(const std::map<std::string, std::string>& properties) {
  ConfHandle conf(rd_kafka_conf_new());
  std::array<char, 512> errstr{};
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr.data(), errstr.size()) !=
        RD_KAFKA_CONF_OK) {
      return fail(ErrorCode::kInvalidArgument,
                  "kafka property '" + name + "': " + std::string(errstr.data()));
    }
  }
  detail::install_log_callbacks(conf.get());
  return conf;
}

Error to_error(rd_kafka_resp_err_t err, const std::string& context) {
  ErrorCode code = ErrorCode::kUnavailable;
  switch (err) {
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR__CONFLICT:
      code = ErrorCode::kInvalidArgument;
      break;
    case RD_KAFKA_RESP_ERR__FAIL:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__FATAL:
      code = ErrorCode::kInternal;
      break;
    default:
      break;
  }
  return Error{code, context + ": " + rd_kafka_err2str(err) + " (" + rd_kafka_err2name(err) + ")"};
}

namespace detail {

std::shared_ptr<spdlog::logger> logger() {
  if (auto existing = spdlog::get("kafka")) return existing;
  auto created = spdlog::default_logger()->clone("kafka");
  try {
    spdlog::register_logger(created);
  } catch (const spdlog::spdlog_ex&) {
    // Another thread registered it first: use that one.
    if (auto existing = spdlog::get("kafka")) return existing;
  }
  return created;
}

namespace {

spdlog::level::level_enum from_syslog(int level) {
  // librdkafka uses syslog levels: 0 emerg .. 7 debug.
  if (level <= 2) return spdlog::level::critical;
  if (level == 3) return spdlog::level::err;
  if (level == 4) return spdlog::level::warn;
  if (level <= 6) return spdlog::level::info;
  return spdlog::level::debug;
}

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  logger()->log(from_syslog(level), "[{}] {}: {}", rd_kafka_name(rk), fac, buf);
}

void error_cb(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) { log_client_error(rk, err, reason); }

}  // namespace

void log_client_error(rd_kafka_t* rk, int err, const char* reason) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  // Transport errors are routine during broker restarts: librdkafka retries.
  const bool fatal = code == RD_KAFKA_RESP_ERR__FATAL;
  logger()->log(fatal ? spdlog::level::err : spdlog::level::warn, "[{}] {}: {}", rd_kafka_name(rk),
                rd_kafka_err2name(code), reason);
}

void install_log_callbacks(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, &log_cb);
  rd_kafka_conf_set_error_cb(conf, &error_cb);
}

}  // namespace detail
}  // namespace sla::kafka
