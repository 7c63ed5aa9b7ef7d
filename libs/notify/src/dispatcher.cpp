#include "sla/notify/dispatcher.hpp"

#include <algorithm>
#include <functional>

namespace sla::notify {
namespace {

const std::string& lane_key(const Item& item) {
  if (const auto* p = std::get_if<Page>(&item)) return p->dedup_key;
  return std::get<Notice>(item).ticket_id;  // a ticket's notices stay in order
}

}  // namespace

Dispatcher::Dispatcher(Routes routes, std::uint64_t seed) : routes_(std::move(routes)), rng_(seed) {
  dests_.reserve(routes_.destinations.size());
  for (const auto& d : routes_.destinations) {
    dests_.push_back(Dest{std::vector<Lane>(std::max<std::uint32_t>(1, d.concurrency)),
                          TokenBucket(d.rate_per_second, d.burst), 0, 0});
  }
}

std::uint64_t Dispatcher::next_random() {
  // splitmix64: deterministic for a seed, good enough for jitter.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Dispatcher::PartitionState& Dispatcher::partition(const RecordRef& ref) {
  auto [it, inserted] = partitions_.try_emplace(PartitionKey{ref.topic, ref.partition});
  if (inserted) it->second.generation = next_generation_++;
  return it->second;
}

void Dispatcher::skip(const RecordRef& ref) {
  auto& p = partition(ref);
  p.next_offset = std::max(p.next_offset, ref.offset + 1);
}

Result<std::size_t> Dispatcher::add(const RecordRef& ref, Item item, EpochMillis now) {
  std::vector<std::size_t> targets;
  if (const auto* page = std::get_if<Page>(&item)) {
    if (page->dedup_key.empty()) {
      return fail(ErrorCode::kInvalidArgument, "page '" + page->page_id + "' has no dedup_key");
    }
    targets = routes_.route(*page);
  } else {
    targets = routes_.route(std::get<Notice>(item));
  }
  auto& p = partition(ref);
  p.next_offset = std::max(p.next_offset, ref.offset + 1);
  if (targets.empty()) return std::size_t{0};
  p.open[ref.offset] += static_cast<std::uint32_t>(targets.size());
  auto shared = std::make_shared<const Item>(std::move(item));
  const std::size_t hash = std::hash<std::string>{}(lane_key(*shared));
  for (const auto d : targets) {
    auto& dest = dests_[d];
    const std::uint64_t id = next_job_++;
    Job job;
    job.destination = d;
    job.lane = hash % dest.lanes.size();
    job.item = shared;
    job.record = ref;
    job.generation = p.generation;
    job.enqueued_at = now;
    dest.lanes[job.lane].jobs.push_back(id);
    ++dest.queued;
    jobs_.emplace(id, std::move(job));
  }
  return targets.size();
}

Result<OutboundRequest> Dispatcher::build(const Job& job, EpochMillis now) const {
  const auto& dest = routes_.destinations[job.destination];
  if (const auto* page = std::get_if<Page>(job.item.get())) return build_request(dest, *page, routes_.dashboard_url, now);
  return build_request(dest, std::get<Notice>(*job.item), routes_.dashboard_url, now);
}

std::vector<Send> Dispatcher::due(EpochMillis now) {
  std::vector<Send> out;
  for (std::size_t d = 0; d < dests_.size(); ++d) {
    auto& dest = dests_[d];
    if (dest.queued == 0) continue;
    const std::size_t n = dest.lanes.size();
    std::size_t started = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t li = (dest.next_lane + k) % n;
      auto& lane = dest.lanes[li];
      if (lane.jobs.empty()) continue;
      auto& job = jobs_.at(lane.jobs.front());
      if (job.in_flight || job.not_before > now) continue;
      if (!dest.bucket.try_take(now)) break;  // rate limited: the rest of this destination waits
      job.in_flight = true;
      if (job.first_try < 0) job.first_try = now;
      ++in_flight_;
      ++started;
      out.push_back(Send{lane.jobs.front(), d, job.attempts, build(job, now)});
    }
    if (started > 0) dest.next_lane = (dest.next_lane + 1) % n;
  }
  return out;
}

void Dispatcher::finish_delivery(const Job& job) {
  auto it = partitions_.find(PartitionKey{job.record.topic, job.record.partition});
  if (it == partitions_.end() || it->second.generation != job.generation) return;
  auto open = it->second.open.find(job.record.offset);
  if (open == it->second.open.end()) return;
  if (--open->second == 0) it->second.open.erase(open);
}

std::optional<Outcome> Dispatcher::complete(std::uint64_t id, const AttemptResult& result, EpochMillis now) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || !it->second.in_flight) return std::nullopt;
  Job& job = it->second;
  job.in_flight = false;
  --in_flight_;
  ++job.attempts;
  const auto& dest_cfg = routes_.destinations[job.destination];
  Outcome out;
  out.job = id;
  out.destination = job.destination;
  out.decision = decide(dest_cfg, job.first_try, job.attempts, result, now, next_random());
  out.attempts = job.attempts;
  out.enqueued_at = job.enqueued_at;
  out.record = job.record;
  out.item = job.item;
  const auto part = partitions_.find(PartitionKey{job.record.topic, job.record.partition});
  out.orphan = part == partitions_.end() || part->second.generation != job.generation;
  if (out.decision.verdict == Verdict::kRetry && !out.orphan) {
    job.not_before = out.decision.retry_at;
    return out;
  }
  auto& dest = dests_[job.destination];
  auto& lane = dest.lanes[job.lane];
  // The job in flight is always its lane's head.
  if (!lane.jobs.empty() && lane.jobs.front() == id) lane.jobs.pop_front();
  --dest.queued;
  if (!out.orphan) finish_delivery(job);
  jobs_.erase(it);
  return out;
}

std::optional<EpochMillis> Dispatcher::next_wakeup(EpochMillis now) const {
  std::optional<EpochMillis> best;
  for (const auto& dest : dests_) {
    if (dest.queued == 0) continue;
    std::optional<EpochMillis> head;
    for (const auto& lane : dest.lanes) {
      if (lane.jobs.empty()) continue;
      const auto& job = jobs_.at(lane.jobs.front());
      if (job.in_flight) continue;
      head = head ? std::min(*head, job.not_before) : job.not_before;
    }
    if (!head) continue;
    const EpochMillis at = std::max({*head, dest.bucket.ready_at(std::max(now, *head)), now});
    best = best ? std::min(*best, at) : at;
  }
  return best;
}

std::vector<Position> Dispatcher::positions() const {
  std::vector<Position> out;
  for (const auto& [key, p] : partitions_) {
    if (p.next_offset < 0) continue;
    const std::int64_t next = p.open.empty() ? p.next_offset : p.open.begin()->first;
    out.push_back(Position{key.first, key.second, next});
  }
  return out;
}

void Dispatcher::drop_partition(const std::string& topic, std::int32_t partition) {
  auto pit = partitions_.find(PartitionKey{topic, partition});
  if (pit == partitions_.end()) return;
  const std::uint64_t gen = pit->second.generation;
  partitions_.erase(pit);
  for (auto& dest : dests_) {
    for (auto& lane : dest.lanes) {
      std::deque<std::uint64_t> kept;
      for (const auto id : lane.jobs) {
        const auto& job = jobs_.at(id);
        const bool ours = job.generation == gen;
        if (ours && !job.in_flight) {
          jobs_.erase(id);
          --dest.queued;
        } else {
          kept.push_back(id);
        }
      }
      lane.jobs = std::move(kept);
    }
  }
}

bool Dispatcher::full() const {
  for (std::size_t d = 0; d < dests_.size(); ++d) {
    if (dests_[d].queued >= routes_.destinations[d].max_queue) return true;
  }
  return false;
}

}  // namespace sla::notify
