// A fixed set of threads that run the daemon's per-partition work in
// parallel: `run(n, task)` calls task(0..n-1), spread over the workers and
// the calling thread, and returns when every call has returned. One run at a
// time (the daemon's loop thread). A task that throws (on any thread) stops
// the run from starting further calls; run() still waits until every call
// in progress has returned (the task and what it refers to live on the
// caller's stack) and then rethrows the first exception on the caller's
// thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <utility>
#include <vector>

namespace sla::timerd {

class Workers {
 public:
  /// `threads` in all, counting the caller: threads - 1 are started.
  explicit Workers(std::size_t threads) {
    for (std::size_t i = 1; i < std::max<std::size_t>(threads, 1); ++i) pool_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "sla-apply");  // for top -H and perf
        work();
      });
  }
  ~Workers() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : pool_) t.join();
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  [[nodiscard]] std::size_t size() const { return pool_.size() + 1; }

  void run(std::size_t n, const std::function<void(std::size_t)>& task) {
    if (n == 0) return;
    if (pool_.empty() || n == 1) {
      for (std::size_t i = 0; i < n; ++i) task(i);
      return;
    }
    {
      std::lock_guard lock(mu_);
      task_ = &task;
      count_ = n;
      next_.store(0);
      busy_ = pool_.size();
      error_ = nullptr;
      ++generation_;
    }
    start_.notify_all();
    drain(task, n);  // does not throw: the workers must be waited for first
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return busy_ == 0; });
    task_ = nullptr;
    if (error_) {
      std::exception_ptr error = std::exchange(error_, nullptr);
      lock.unlock();
      std::rethrow_exception(error);
    }
  }

 private:
  void drain(const std::function<void(std::size_t)>& task, std::size_t n) noexcept {
    for (std::size_t i = next_++; i < n; i = next_++) {
      try {
        task(i);
      } catch (...) {
        {
          std::lock_guard lock(mu_);
          if (!error_) error_ = std::current_exception();
        }
        next_.store(n);  // no further calls start; those in progress finish
        return;
      }
    }
  }

  void work() {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(std::size_t)>* task = nullptr;
      std::size_t n = 0;
      {
        std::unique_lock lock(mu_);
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        task = task_;
        n = count_;
      }
      drain(*task, n);
      {
        std::lock_guard lock(mu_);
        --busy_;
      }
      done_.notify_all();
    }
  }

  std::vector<std::thread> pool_;
  std::mutex mu_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* task_ = nullptr;  // guarded by mu_
  std::size_t count_ = 0;                                    // guarded by mu_
  std::size_t busy_ = 0;                                     // workers still in the current run
  std::uint64_t generation_ = 0;
  std::exception_ptr error_;  // guarded by mu_: the run's first exception
  bool stop_ = false;
  std::atomic<std::size_t> next_{0};
};

}  // namespace sla::timerd
