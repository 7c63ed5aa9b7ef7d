#include "sla/pipeline/acks.hpp"

#include <algorithm>

namespace sla::pipeline {

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
    if (wake) ++wakeups_;
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

AckStatus Acks::status(std::uint64_t epoch) const {
  std::lock_guard lock(mu_);
  AckStatus s;
  s.failure = failure_;
  s.settlements = wakeups_;
  if (epoch >= current_.load(std::memory_order_acquire)) {
    s.pending += std::max<std::int64_t>(0, open_count_.load(std::memory_order_acquire));
  }
  for (auto it = outstanding_.begin(); it != outstanding_.end() && it->first <= epoch; ++it) s.pending += it->second;
  return s;
}

void Acks::await_settlement(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  settled_cv_.wait_for(lock, timeout, [&] { return wakeups_ != seen; });
}

}  // namespace sla::pipeline
