// Internal: the "kafka" spdlog logger and librdkafka callbacks that feed it.
#pragma once

#include <memory>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

namespace sla::kafka::detail {

/// The library's one named logger, "kafka". If the daemon registered one
/// (with its JSON sink) before, that one is used; else a clone of the default.
std::shared_ptr<spdlog::logger> logger();

/// Routes librdkafka's log lines (`rd_kafka_conf_set_log_cb`) and client
/// errors (`rd_kafka_conf_set_error_cb`) to logger(). Called from
/// librdkafka's internal threads; spdlog loggers are thread-safe.
void install_log_callbacks(rd_kafka_conf_t* conf);

/// Logs one client error as the installed error callback does (warn; err
/// when fatal). For clients that install an error callback of their own.
void log_client_error(rd_kafka_t* rk, int err, const char* reason);

}  // namespace sla::kafka::detail
