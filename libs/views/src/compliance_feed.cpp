#include "sla/views/compliance_feed.hpp"

#include <pthread.h>

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "sla/codec/codec.hpp"
#include "sla/kafka/reader.hpp"
#include "sla/views/feed.hpp"

namespace sla::views {
namespace {
std::shared_ptr<spdlog::logger> logger() {
  auto l = spdlog::get("views");
  return l ? l : spdlog::default_logger();
}
}  // namespace

ComplianceFeed::ComplianceFeed(ComplianceFeedOptions options)
    : options_(std::move(options)), ledger_(options_.max_clocks) {
  thread_ = std::jthread([this](std::stop_token stop) {
    pthread_setname_np(pthread_self(), "sla-report");  // for top -H, perf and measure.sh's CPU per thread
    if (!lower_thread_priority(options_.nice)) logger()->warn("compliance feed: could not lower the thread's priority");
    run(stop);
  });
}

ComplianceFeed::~ComplianceFeed() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

report::Report ComplianceFeed::report(const report::Query& query) const {
  std::lock_guard lock(mu_);
  return report::compute(ledger_.clocks(), query, ledger_.dropped() == 0);
}

ComplianceState ComplianceFeed::state() const {
  ComplianceState s;
  s.loaded = loaded_.load();
  s.undecodable = undecodable_.load();
  std::lock_guard lock(mu_);
  s.clocks = ledger_.clocks().size();
  s.dropped = ledger_.dropped();
  return s;
}

void ComplianceFeed::run(const std::stop_token& stop) {
  std::unique_ptr<kafka::Reader> reader;
  while (!stop.stop_requested()) {
    auto r = kafka::Reader::create(options_.kafka, options_.topic, std::chrono::milliseconds(2000));
    if (r) {
      reader = std::move(*r);
      break;
    }
    logger()->warn("compliance feed: {} (retrying)", r.error().message);
    for (int i = 0; i < 10 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!reader) return;
  std::vector<bool> ever_at_end(static_cast<std::size_t>(reader->partitions()), false);
  std::vector<engine::SlaOutput> decoded;
  while (!stop.stop_requested()) {
    const auto& batch = reader->poll(options_.poll_timeout, options_.max_batch);
    decoded.clear();
    for (const auto& rec : batch.records) {
      if (!rec.value) continue;
      auto e = codec::decode_sla_event(*rec.value, codec::content_type_from_header(rec.content_type));
      if (!e) {
        undecodable_.fetch_add(1);
        continue;
      }
      // Warnings and steps count too: they show clocks started and still
      // running, which no met or breach has named yet.
      decoded.push_back(std::move(*e));
    }
    if (!decoded.empty()) {
      std::lock_guard lock(mu_);
      for (const auto& e : decoded) ledger_.add(e);
    }
    for (const auto p : batch.at_end) {
      if (static_cast<std::size_t>(p) < ever_at_end.size()) ever_at_end[static_cast<std::size_t>(p)] = true;
    }
    if (!loaded_.load() && std::all_of(ever_at_end.begin(), ever_at_end.end(), [](bool b) { return b; })) {
      loaded_.store(true);
      logger()->info("compliance feed loaded: {} clocks", state().clocks);
    }
  }
}

}  // namespace sla::views
