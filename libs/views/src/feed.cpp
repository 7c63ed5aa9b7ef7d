#include "sla/views/feed.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include <spdlog/spdlog.h>

#include "sla/codec/codec.hpp"
#include "sla/kafka/reader.hpp"

namespace sla::views {

namespace {
std::shared_ptr<spdlog::logger> logger() {
  auto l = spdlog::get("views");
  if (!l) {
    l = spdlog::default_logger()->clone("views");
    spdlog::register_logger(l);
  }
  return l;
}
}  // namespace

bool lower_thread_priority(int nice) noexcept {
  if (nice <= 0) return true;
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return false;
  return ::setpriority(PRIO_PROCESS, tid, std::min(19, now + nice)) == 0;
}

DeadlineFeed::DeadlineFeed(FeedOptions options, std::shared_ptr<DeadlineView> view,
                           std::function<EpochMillis()> wall_now)
    : options_(std::move(options)), view_(std::move(view)), wall_now_(std::move(wall_now)) {
  thread_ = std::jthread([this](std::stop_token stop) {
    pthread_setname_np(pthread_self(), "sla-view");  // for top -H, perf and measure.sh's CPU per thread
    if (!lower_thread_priority(options_.nice)) logger()->warn("deadline view: could not lower the thread's priority");
    run(stop);
  });
}

DeadlineFeed::~DeadlineFeed() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

Freshness DeadlineFeed::freshness(EpochMillis now) const {
  Freshness f;
  f.loaded = loaded_.load();
  f.as_of = as_of_.load();
  f.lag_ms = f.loaded ? std::max<std::int64_t>(0, now - f.as_of) : 0;
  f.tickets = view_->size();
  f.undecodable = undecodable_.load();
  return f;
}

void DeadlineFeed::run(const std::stop_token& stop) {
  std::unique_ptr<kafka::Reader> reader;
  while (!stop.stop_requested() && !reader) {
    auto r = kafka::Reader::create(options_.kafka, options_.topic, std::chrono::milliseconds(2000));
    if (r) {
      reader = std::move(*r);
      break;
    }
    logger()->warn("deadline view: {} (retrying)", r.error().message);
    for (int i = 0; i < 10 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!reader) return;
  const auto parts = static_cast<std::size_t>(reader->partitions());
  std::vector<bool> at_end(parts, false);
  std::vector<bool> ever_at_end(parts, false);
  std::vector<EpochMillis> end_seen_at(parts, 0);
  std::vector<ViewUpdate> updates;
  while (!stop.stop_requested()) {
    const auto& batch = reader->poll(options_.poll_timeout, options_.max_batch);
    const EpochMillis now = wall_now_();
    updates.clear();
    for (const auto& rec : batch.records) {
      const auto p = static_cast<std::size_t>(rec.partition);
      if (p < parts) at_end[p] = false;
      // A null value is a tombstone; so is an empty one, which daemons
      // before the null tombstone wrote (no snapshot is ever empty).
      if (!rec.value || rec.value->empty()) {
        updates.push_back(ViewUpdate{std::string(rec.key), std::nullopt});
        continue;
      }
      auto snap = codec::decode_deadlines(*rec.value, codec::content_type_from_header(rec.content_type));
      if (!snap) {
        undecodable_.fetch_add(1);
        continue;
      }
      std::string id = snap->view.ticket_id.empty() ? std::string(rec.key) : snap->view.ticket_id;
      updates.push_back(ViewUpdate{std::move(id), ViewTicket{std::move(snap->view), snap->as_of}});
    }
    view_->apply(updates);
    for (const auto p32 : batch.at_end) {
      const auto p = static_cast<std::size_t>(p32);
      if (p >= parts) continue;
      at_end[p] = true;
      ever_at_end[p] = true;
    }
    // A partition at its end is current now; one still being read is as
    // current as the last time it was at its end.
    EpochMillis as_of = now;
    bool all = true;
    for (std::size_t p = 0; p < parts; ++p) {
      if (at_end[p]) end_seen_at[p] = now;
      all = all && ever_at_end[p];
      as_of = std::min(as_of, end_seen_at[p]);
    }
    if (all) {
      if (!loaded_.load()) logger()->info("deadline view loaded: {} tickets", view_->size());
      as_of_.store(as_of);
      loaded_.store(true);
    }
  }
}

}  // namespace sla::views
