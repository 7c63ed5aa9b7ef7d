#include "committer.hpp"

#include <pthread.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "timerd_log.hpp"

namespace sla::timerd {

std::uint64_t Acks::current() const { return current_.load(std::memory_order_acquire); }

void Acks::produced(std::uint64_t epoch, std::int64_t n) {
  if (n <= 0) return;
  // The open epoch's count is an atomic: the workers producing in parallel
  // take no lock per record. cut() moves it into the map.
  if (epoch == current_.load(std::memory_order_acquire)) {
    open_count_.fetch_add(n, std::memory_order_acq_rel);
    return;
  }
  std::lock_guard lock(mu_);
  outstanding_[epoch] += n;
}

void Acks::settled(std::uint64_t epoch, const std::optional<std::string>& error) {
  bool wake = false;  // only a failure or an epoch's last record can end a wait
  {
    std::lock_guard lock(mu_);  // excludes cut(): the open epoch stays open meanwhile
    if (error && !failure_) {
      failure_ = *error;
      wake = true;
    }
    if (epoch == current_.load(std::memory_order_acquire)) {
      wake = open_count_.fetch_sub(1, std::memory_order_acq_rel) == 1 || wake;
    } else if (auto it = outstanding_.find(epoch); it != outstanding_.end() && --it->second <= 0) {
      outstanding_.erase(it);
      wake = true;
    }
  }
  if (wake) settled_cv_.notify_all();
}

std::uint64_t Acks::cut() {
  std::lock_guard lock(mu_);
  const std::uint64_t closed = current_.load(std::memory_order_acquire);
  if (const std::int64_t n = open_count_.exchange(0, std::memory_order_acq_rel); n > 0) outstanding_[closed] += n;
  current_.store(closed + 1, std::memory_order_release);
  return closed;
}

bool Acks::failed() const {
  std::lock_guard lock(mu_);
  return failure_.has_value();
}

std::int64_t Acks::outstanding() const {
  std::lock_guard lock(mu_);
  std::int64_t n = std::max<std::int64_t>(0, open_count_.load(std::memory_order_acquire));
  for (const auto& [epoch, count] : outstanding_) n += count;
  return n;
}

sla::Result<void> Acks::wait(std::uint64_t epoch, std::chrono::steady_clock::time_point deadline,
                             const std::function<void()>& poll) {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (failure_) return sla::fail(ErrorCode::kUnavailable, "an output failed: " + *failure_);
      const bool open_pending = epoch >= current_.load(std::memory_order_acquire) && open_count_.load() > 0;
      if (!open_pending && (outstanding_.empty() || outstanding_.begin()->first > epoch)) return {};
      if (std::chrono::steady_clock::now() >= deadline) {
        std::int64_t n = open_pending ? open_count_.load() : 0;
        for (auto it = outstanding_.begin(); it != outstanding_.end() && it->first <= epoch; ++it) n += it->second;
        return sla::fail(ErrorCode::kUnavailable, std::to_string(n) + " outputs not acknowledged in time");
      }
      // Someone else may be serving the reports (the loop's produce calls).
      if (!poll) settled_cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
    }
    if (poll) poll();
  }
}

Committer::Committer(store::StateStore& store, std::mutex* store_mu, Acks& acks, CommitterSettings settings,
                     CommitterHooks hooks)
    : store_(store), store_mu_(store_mu), acks_(acks), settings_(std::move(settings)), hooks_(std::move(hooks)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sla-commit");  // for top -H and perf
    run();
  });
}

Committer::~Committer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  give_up_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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

bool Committer::commit_with_retry(const PartitionCommit& part) {
  for (int attempt = 0;; ++attempt) {
    if (forgotten(part.partition)) return true;  // lost meanwhile: not ours to write
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
    if (attempt == 0) log()->warn("commit of partition {} failed: {}; retrying", part.partition, r.error().message);
    if (give_up_.load()) return false;
    // Back off, but wake at once on give_up().
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(std::min(1000, 50 * (attempt + 1))), [this] { return give_up_.load(); });
  }
}

sla::Result<void> Committer::wait_for_acks(std::uint64_t epoch) {
  // In slices, so give_up() is seen; past the ack timeout the job is stalled
  // (Kafka down or restarting) and goes on waiting: only a record that failed
  // for good, or give_up(), ends the wait without the acknowledgements.
  const auto start = std::chrono::steady_clock::now();
  constexpr auto kSlice = std::chrono::milliseconds(500);
  for (;;) {
    const auto slice = std::min<std::chrono::milliseconds>(kSlice, settings_.ack_timeout);
    auto r = acks_.wait(epoch, std::chrono::steady_clock::now() + slice, hooks_.poll_producer);
    if (r || acks_.failed()) {
      if (stalled_.exchange(false) && r) log()->info("outputs acknowledged again: commits resume");
      return r;
    }
    if (give_up_.load()) {
      stalled_.store(false);
      return sla::fail(ErrorCode::kUnavailable, "given up waiting: " + r.error().message);
    }
    if (std::chrono::steady_clock::now() - start >= settings_.ack_timeout && !stalled_.exchange(true)) {
      log()->error("outputs unacknowledged for over {} ms ({}; Kafka unreachable?): nothing is committed past them, "
                   "waiting",
                   settings_.ack_timeout.count(), r.error().message);
    }
  }
}

void Committer::run() {
  for (;;) {
    CommitJob job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
    }
    // Outputs first: the state below records them.
    auto acked = wait_for_acks(job.epoch);
    bool ok = acked.has_value();
    if (ok) {
      for (const auto& part : job.parts) {
        if (!commit_with_retry(part)) {
          ok = false;
          break;
        }
      }
    }
    const bool failed = !acked && acks_.failed();
    {
      std::lock_guard lock(mu_);
      busy_ = false;
      forgotten_.clear();
      if (failed) fatal_ = acked.error().message;
      // A failed output, or give_up() (shutdown) while waiting for acks or the
      // store: this and the queued jobs are left to the next start.
      if (!ok) jobs_.clear();
    }
    cv_.notify_all();
    if (failed) return;
  }
}

}  // namespace sla::timerd
