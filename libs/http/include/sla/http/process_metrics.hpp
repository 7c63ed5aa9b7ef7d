// The standard Prometheus process metrics (the names every client library
// exports: process_cpu_seconds_total, process_resident_memory_bytes, ...)
// read from Linux /proc at scrape time, and the text exposition of a registry
// with them appended. Not a collector that runs on its own: a scrape reads
// /proc once. Linux only (the daemons run on Debian); elsewhere the families
// come out empty.
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace prometheus {
class Registry;
}

namespace sla::http {

/// process_cpu_seconds_total, process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_start_time_seconds,
/// process_open_fds and process_max_fds of the calling process, as read now.
/// A file that cannot be read leaves its families out. Thread-safe.
[[nodiscard]] std::vector<prometheus::MetricFamily> process_metric_families();

/// Text exposition format 0.0.4 of `registry` followed by the process
/// metrics. Thread-safe.
[[nodiscard]] std::string exposition_with_process_metrics(const prometheus::Registry& registry);

}  // namespace sla::http
