#include "sla/http/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace sla::http {

namespace {

prometheus::MetricFamily one(std::string name, std::string help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

/// Seconds since the epoch at which the machine booted (/proc/stat btime).
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> process_metric_families() {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  std::ifstream stat_file("/proc/self/stat");
  std::string stat;
  std::getline(stat_file, stat);  // one line
  // Fields after the command name, which is in parentheses and may hold
  // spaces: field 3 (state) is the first after the last ')'.
  if (const auto close = stat.rfind(')'); close != std::string::npos && ticks > 0 && page > 0) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string s; fields >> s;) f.push_back(std::move(s));
    // f[0] is field 3: utime is field 14 (f[11]), stime 15, starttime 22,
    // vsize 23 (bytes), rss 24 (pages).
    if (f.size() > 21) {
      try {
        const double utime = std::stod(f[11]);
        const double stime = std::stod(f[12]);
        const double start = std::stod(f[19]);
        const double vsize = std::stod(f[20]);
        const double rss = std::stod(f[21]);
        const auto hz = static_cast<double>(ticks);
        out.push_back(one("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                          MetricType::Counter, (utime + stime) / hz));
        out.push_back(one("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge, vsize));
        out.push_back(one("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
                          rss * static_cast<double>(page)));
        if (const double boot = boot_time_seconds(); boot > 0) {
          out.push_back(one("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                            MetricType::Gauge, boot + start / hz));
        }
      } catch (const std::exception&) {
        // a /proc format this code does not know: the families are left out
      }
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) {
    // The iterator's own descriptor is among those listed.
    out.push_back(one("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                      static_cast<double>(fds > 0 ? fds - 1 : 0)));
  }
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out.push_back(one("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                      static_cast<double>(lim.rlim_cur)));
  }
  return out;
}

std::string exposition_with_process_metrics(const prometheus::Registry& registry) {
  auto families = registry.Collect();
  auto process = process_metric_families();
  families.insert(families.end(), std::make_move_iterator(process.begin()), std::make_move_iterator(process.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace sla::http
