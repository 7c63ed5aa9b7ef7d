#include "sla/pipeline/committer.hpp"

#include <pthread.h>

#include <algorithm>

#include "log.hpp"

namespace sla::pipeline {

using detail::log;

namespace {

/// Backoff before retrying a store that failed `attempt` times in a row.
EpochMillis store_backoff_ms(int attempt) { return std::min<EpochMillis>(1000, 50 * EpochMillis{attempt}); }

}  // namespace

Committer::Committer(store::StateStore& store, std::mutex* store_mu, Acks& acks, const Clock& clock,
                     CommitterSettings settings, CommitterHooks hooks)
    : store_(store),
      store_mu_(store_mu),
      acks_(acks),
      clock_(clock),
      settings_(std::move(settings)),
      hooks_(std::move(hooks)) {}

Committer::~Committer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  give_up_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Committer::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sla-commit");  // for top -H and perf
    run();
  });
}

bool Committer::try_push(CommitJob job) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() + (busy_ ? 1 : 0) >= settings_.max_queued || fatal_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
  return true;
}

std::size_t Committer::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size() + (busy_ ? 1 : 0);
}

bool Committer::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [this] { return fatal_ || (jobs_.empty() && !busy_); });
  return !fatal_ && jobs_.empty() && !busy_;
}

void Committer::forget_partition(std::int32_t partition) {
  std::lock_guard lock(mu_);
  for (auto& job : jobs_) {
    std::erase_if(job.parts, [partition](const PartitionCommit& p) { return p.partition == partition; });
  }
  if (busy_) forgotten_.push_back(partition);  // the job in hand checks before each store call
}

bool Committer::forgotten(std::int32_t partition) const {
  std::lock_guard lock(mu_);
  return std::find(forgotten_.begin(), forgotten_.end(), partition) != forgotten_.end();
}

std::optional<std::string> Committer::fatal() const {
  std::lock_guard lock(mu_);
  return fatal_;
}

void Committer::give_up() {
  give_up_.store(true);
  cv_.notify_all();
}

void Committer::finish_job(bool abandon, std::optional<std::string> fatal) {
  {
    std::lock_guard lock(mu_);
    busy_ = false;
    forgotten_.clear();
    if (fatal) fatal_ = std::move(fatal);
    // A failed output, or give_up() (shutdown) while waiting for acks or the
    // store: this and the queued jobs are left to the next start.
    if (abandon) jobs_.clear();
    in_hand_ = CommitJob{};
  }
  cv_.notify_all();
}

bool Committer::commit_part(const PartitionCommit& part) {
  sla::Result<void> r;
  const auto t0 = std::chrono::steady_clock::now();
  if (store_mu_ != nullptr) {
    std::lock_guard lock(*store_mu_);
    r = store_.commit(settings_.topic, part.partition, part.batch);
  } else {
    r = store_.commit(settings_.topic, part.partition, part.batch);
  }
  if (hooks_.commit_latency) {
    hooks_.commit_latency(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  if (!r && r.error().code == ErrorCode::kOutOfRange) {
    // A stale commit: the stored offset is past ours (another owner, or a
    // later assignment of this one, committed meanwhile). Retrying cannot
    // help and would hold every later commit back; the store is fine.
    if (hooks_.store_state) hooks_.store_state(true);
    log()->error("commit of partition {} dropped: {}", part.partition, r.error().message);
    return true;
  }
  if (hooks_.store_state) hooks_.store_state(r.has_value());
  if (r) return true;
  if (attempt_ == 0) log()->warn("commit of partition {} failed: {}; retrying", part.partition, r.error().message);
  return false;
}

CommitStep Committer::step() {
  using Kind = CommitStep::Kind;
  {
    std::lock_guard lock(mu_);
    if (fatal_) return {Kind::kFatal};
    if (!busy_) {
      if (jobs_.empty()) return {Kind::kIdle};
      in_hand_ = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
      acked_ = false;
      waiting_since_ = clock_.now();
      next_part_ = 0;
      attempt_ = 0;
    }
  }
  // Outputs first: the state below records them.
  if (!acked_) {
    const AckStatus s = acks_.status(in_hand_.epoch);
    if (s.failure) {
      stalled_.store(false);
      finish_job(true, "an output failed: " + *s.failure);
      return {Kind::kFatal};
    }
    if (s.pending > 0) {
      if (give_up_.load()) {
        stalled_.store(false);
        finish_job(true, std::nullopt);
        return {Kind::kIdle};
      }
      // Past the ack timeout the job is stalled (Kafka down or restarting)
      // and goes on waiting: only a record that failed for good, or
      // give_up(), ends the wait without the acknowledgements.
      if (clock_.now() - waiting_since_ >= settings_.ack_timeout.count() && !stalled_.exchange(true)) {
        log()->error("outputs unacknowledged for over {} ms ({} outputs not acknowledged in time; Kafka "
                     "unreachable?): nothing is committed past them, waiting",
                     settings_.ack_timeout.count(), s.pending);
      }
      CommitStep wait{Kind::kAwaitingAcks};
      wait.settlements = s.settlements;
      return wait;
    }
    if (stalled_.exchange(false)) log()->info("outputs acknowledged again: commits resume");
    acked_ = true;
  }
  for (; next_part_ < in_hand_.parts.size(); ++next_part_, attempt_ = 0) {
    const PartitionCommit& part = in_hand_.parts[next_part_];
    if (forgotten(part.partition)) continue;  // lost meanwhile: not ours to write
    if (attempt_ > 0) {
      if (give_up_.load()) {
        finish_job(true, std::nullopt);
        return {Kind::kIdle};
      }
      if (clock_.now() < retry_at_) return {Kind::kBackoff, retry_at_};
    }
    if (!commit_part(part)) {
      ++attempt_;
      retry_at_ = clock_.now() + store_backoff_ms(attempt_);
      return {Kind::kBackoff, retry_at_};
    }
  }
  finish_job(false, std::nullopt);
  return {Kind::kCommitted};
}

void Committer::run() {
  using Kind = CommitStep::Kind;
  for (;;) {
    const CommitStep s = step();
    switch (s.kind) {
      case Kind::kCommitted:
        break;
      case Kind::kFatal:
        return;
      case Kind::kAwaitingAcks:
        // Someone else may be serving the reports (the loop's produce calls).
        if (hooks_.poll_producer) {
          hooks_.poll_producer();
        } else {
          acks_.await_settlement(s.settlements, std::chrono::milliseconds(50));
        }
        break;
      case Kind::kBackoff: {
        // Sleep out the backoff, but wake at once on give_up().
        std::unique_lock lock(mu_);
        const EpochMillis left = std::max<EpochMillis>(0, s.retry_at - clock_.now());
        cv_.wait_for(lock, std::chrono::milliseconds(left), [this] { return give_up_.load(); });
        break;
      }
      case Kind::kIdle: {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (stop_ && jobs_.empty()) return;
        break;
      }
    }
  }
}

}  // namespace sla::pipeline
