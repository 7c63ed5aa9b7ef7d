// sla::views::DeadlineFeed: keeps a DeadlineView current from the compacted
// `sla.deadlines` topic. A thread of its own reads every partition from the
// beginning outside the consumer group (kafka::Reader), decodes each
// TicketDeadlines snapshot (codec) and applies them per poll; a tombstone or
// a closed ticket removes the ticket. Not the index (deadline_view.hpp) and
// not the engine's loop: nothing here touches the loop or its lock.
//
// Staleness: a snapshot is produced at the cut after a change (every
// commit_interval_ms, batched for bulk_linger_ms), so the view trails the
// engines by about commit_interval_ms + bulk_linger_ms plus the time the
// feed needs to read what is written. freshness() says how far behind the
// topic the view may be: `as_of` is the last moment every partition had been
// read to its end.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "sla/base/clock.hpp"
#include "sla/kafka/config.hpp"
#include "sla/views/deadline_view.hpp"

namespace sla::views {

struct FeedOptions {
  kafka::KafkaConfig kafka;
  std::string topic = "sla.deadlines";
  /// Longest wait of one poll (and so of stop()).
  std::chrono::milliseconds poll_timeout{100};
  /// Records decoded and applied per poll at most.
  std::size_t max_batch = 2000;
  /// Niceness added to the reading thread (0-19; 0 leaves it as is), so that
  /// the engine's loop goes first when the cores are busy and the view
  /// catches up after (its lag shows in freshness()).
  int nice = 0;
};

/// How current the view is, for responses (`view` object) and /readyz.
struct Freshness {
  /// Every partition has been read to its end at least once.
  bool loaded = false;
  /// The last moment every partition had been read to its end (wall ms); 0
  /// before `loaded`.
  EpochMillis as_of = 0;
  /// now - as_of (0 before loaded).
  std::int64_t lag_ms = 0;
  std::size_t tickets = 0;
  std::uint64_t undecodable = 0;  ///< records that were not TicketDeadlines
};

/// Lowers the calling thread's priority by `nice` (Linux: a thread has a
/// niceness of its own); false, with nothing changed, if the system refused.
bool lower_thread_priority(int nice) noexcept;

class DeadlineFeed {
 public:
  /// Starts the reading thread at once; it retries (every second) until the
  /// topic is there. `wall_now` gives wall-clock milliseconds.
  DeadlineFeed(FeedOptions options, std::shared_ptr<DeadlineView> view, std::function<EpochMillis()> wall_now);
  /// Stops and joins (within about poll_timeout).
  ~DeadlineFeed();
  DeadlineFeed(const DeadlineFeed&) = delete;
  DeadlineFeed& operator=(const DeadlineFeed&) = delete;

  /// Any thread; atomics only.
  [[nodiscard]] Freshness freshness(EpochMillis now) const;
  [[nodiscard]] const DeadlineView& view() const noexcept { return *view_; }

 private:
  void run(const std::stop_token& stop);

  FeedOptions options_;
  std::shared_ptr<DeadlineView> view_;
  std::function<EpochMillis()> wall_now_;
  std::atomic<bool> loaded_{false};
  std::atomic<EpochMillis> as_of_{0};
  std::atomic<std::uint64_t> undecodable_{0};
  std::jthread thread_;
};

}  // namespace sla::views
