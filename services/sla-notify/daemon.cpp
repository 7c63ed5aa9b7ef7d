#include "daemon.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "sla/http/origin.hpp"
#include "sla/notify/inbound.hpp"
#include "sla/notify/payload.hpp"
#include "sla/notify/signing.hpp"
#include "wire.hpp"

namespace sla::notify_service {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;
using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

bool takes_notices(const notify::Routes& routes) {
  for (const auto& r : routes.routes) {
    for (const auto& k : r.kinds) {
      if (k != "page") return true;
    }
  }
  return false;
}

http::Response reply(const http::Request& req, bhttp::status status, std::string body,
                     std::string_view type = "application/json") {
  http::Response res{status, req.version()};
  res.set(bhttp::field::content_type, type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string error_json(std::string_view message) { return json{{"error", message}}.dump(); }

}  // namespace

Daemon::Daemon(Config config, notify::Routes routes)
    : config_(std::move(config)), dispatcher_(std::move(routes), std::random_device{}()) {
  topics_.push_back(config_.topics.pages);
  if (takes_notices(dispatcher_.routes())) topics_.push_back(config_.topics.escalations);
}

Daemon::~Daemon() {
  consumer_.reset();
  if (client_) client_->shutdown();
  if (ioc_) ioc_->stop();
  for (auto& t : io_threads_) t.join();
  client_.reset();
}

Result<void> Daemon::start() {
  for (const auto& d : dispatcher_.routes().destinations) probe_.destination(d.name);
  ioc_ = std::make_unique<boost::asio::io_context>();
  webclient::ClientOptions copts;
  copts.ca_file = config_.ca_file;
  copts.connect_timeout = std::chrono::milliseconds(config_.connect_timeout_ms);
  copts.request_timeout = std::chrono::milliseconds(config_.request_timeout_ms);
  client_ = std::make_unique<webclient::Client>(*ioc_, copts);
  auto guard = std::make_shared<Guard>(ioc_->get_executor());
  for (int i = 0; i < config_.io_threads; ++i) {
    io_threads_.emplace_back([this, guard] { ioc_->run(); });
  }

  auto producer = kafka::Producer::create(config_.kafka);
  if (!producer) return tl::unexpected(producer.error());
  producer_ = std::move(*producer);
  dead_letter_ = std::make_unique<kafka::DeadLetter>(*producer_, config_.topics.dlq);

  kafka::ConsumerOptions opts;
  opts.max_batch = 500;
  opts.on_assign = [this](std::vector<kafka::TopicPartition>& parts) {
    assigned_.fetch_add(static_cast<int>(parts.size()));
    spdlog::info("assigned {} partitions", parts.size());
  };
  opts.on_revoke = [this](const std::vector<kafka::TopicPartition>& parts, bool lost) {
    if (!lost && consumer_) commit(true);  // consumer_ is null while the destructor closes it
    {
      std::lock_guard lock(mutex_);
      for (const auto& p : parts) {
        dispatcher_.drop_partition(p.topic, p.partition);
        committed_.erase({p.topic, p.partition});
      }
    }
    assigned_.fetch_sub(static_cast<int>(parts.size()));
    spdlog::info("revoked {} partitions{}", parts.size(), lost ? " (lost)" : "");
  };
  auto consumer = kafka::Consumer::create(config_.kafka, topics_, std::move(opts));
  if (!consumer) return tl::unexpected(consumer.error());
  consumer_ = std::move(*consumer);
  started_.store(true);
  std::string names;
  for (const auto& t : topics_) names += (names.empty() ? "" : ", ") + t;
  spdlog::info("consuming {} as group {}", names, config_.kafka.group_id);
  return {};
}

bool Daemon::ready() const { return started_.load() && !draining_.load() && !fatal_.load() && assigned_.load() > 0; }

void Daemon::on_record(const kafka::Message& m) {
  // Called under mutex_.
  probe_.consumed(m.topic);
  const notify::RecordRef ref{m.topic, m.partition, m.offset};
  const auto type = m.header("content-type");
  const bool json_payload = type && *type == "application/json";
  auto dead = [&](std::string_view reason, const std::string& error) {
    spdlog::warn("{}[{}]@{}: {}: {}", m.topic, m.partition, m.offset, reason, error);
    if (auto r = dead_letter_->send(m, reason, error); !r) {
      spdlog::error("dead letter of {}[{}]@{} not enqueued: {}", m.topic, m.partition, m.offset, r.error().message);
    }
    probe_.dlq("", reason);
    dispatcher_.skip(ref);
  };
  notify::Item item;
  if (m.topic == config_.topics.pages) {
    auto page = decode_page(m.payload, json_payload);
    if (!page) return dead("undecodable", page.error().message);
    item = std::move(*page);
  } else {
    auto notice = decode_notice(m.payload, json_payload);
    if (!notice) return dead("undecodable", notice.error().message);
    item = std::move(*notice);
  }
  if (auto added = dispatcher_.add(ref, std::move(item), clock_.now()); !added) dead("invalid", added.error().message);
}

void Daemon::pump() {
  std::vector<notify::Send> sends;
  {
    std::lock_guard lock(mutex_);
    sends = dispatcher_.due(clock_.now());
  }
  launch(std::move(sends));
}

void Daemon::launch(std::vector<notify::Send> sends) {
  for (auto& s : sends) {
    if (!s.request) {
      webclient::Response r;
      r.error = "cannot build the request: " + s.request.error().message;
      on_response(s.job, s.destination, r);
      continue;
    }
    const auto job = s.job;
    const auto dest = s.destination;
    client_->post(s.request->url, s.request->headers, std::move(s.request->body),
                  [this, job, dest](webclient::Response r) { on_response(job, dest, r); });
  }
}

void Daemon::on_response(std::uint64_t job, std::size_t destination, const webclient::Response& r) {
  notify::AttemptResult a;
  a.status = r.status;
  a.error = r.error;
  a.timed_out = r.timed_out;
  a.permanent = r.error.rfind("cannot build", 0) == 0;
  a.retry_after = r.retry_after;
  a.body = r.body;
  std::vector<notify::Send> next;
  {
    std::lock_guard lock(mutex_);
    const auto& name = dispatcher_.routes().destinations[destination].name;
    if (r.status != 0) probe_.request_latency(name, std::chrono::duration<double>(r.elapsed).count());
    const EpochMillis now = clock_.now();
    if (auto out = dispatcher_.complete(job, a, now)) on_outcome(*out, a);
    next = dispatcher_.due(now);
  }
  changed_.notify_all();
  launch(std::move(next));
}

void Daemon::on_outcome(const notify::Outcome& out, const notify::AttemptResult& a) {
  // Called under mutex_.
  const auto& dest = dispatcher_.routes().destinations[out.destination];
  const auto* page = std::get_if<notify::Page>(out.item.get());
  const std::string& id = page ? page->page_id : std::get<notify::Notice>(*out.item).event_id;
  const std::string what = a.status != 0 ? "HTTP " + std::to_string(a.status) : a.error;
  switch (out.decision.verdict) {
    case notify::Verdict::kDelivered:
      probe_.delivery(dest.name, "delivered");
      probe_.delivery_latency(dest.name, static_cast<double>(clock_.now() - out.enqueued_at) / 1000.0);
      spdlog::debug("delivered {} to {} ({} attempts)", id, dest.name, out.attempts);
      return;
    case notify::Verdict::kRetry:
      probe_.delivery(dest.name, "retry");
      probe_.retry(dest.name, out.decision.reason);
      spdlog::warn("{} to {}: {} ({}); retry {} in {} ms", id, dest.name, what, out.decision.reason, out.attempts,
                   out.decision.retry_at - clock_.now());
      return;
    case notify::Verdict::kDeadLetter: break;
  }
  probe_.delivery(dest.name, "dead_letter");
  if (out.orphan) return;  // its partition moved: the next owner delivers it
  probe_.dlq(dest.name, out.decision.reason);
  spdlog::error("{} to {}: {} ({}) after {} attempts: dead-lettered to {}", id, dest.name, what,
                out.decision.reason, out.attempts, config_.topics.dlq);
  json body{{"reason", out.decision.reason},
            {"destination", dest.name},
            {"destination_type", notify::to_string(dest.kind)},
            {"status", a.status},
            {"error", a.error},
            {"response", a.body},
            {"attempts", out.attempts},
            {"source", {{"topic", out.record.topic}, {"partition", out.record.partition}, {"offset", out.record.offset}}}};
  std::string key;
  if (page) {
    body["page"] = json::parse(notify::to_json(*page));
    key = page->ticket_id;
  } else {
    const auto& n = std::get<notify::Notice>(*out.item);
    body["notice"] = json::parse(notify::to_json(n));
    key = n.ticket_id;
  }
  const std::vector<kafka::Header> headers{
      {"content-type", "application/json"},
      {std::string(kafka::kDlqReasonHeader), out.decision.reason},
      {std::string(kafka::kDlqErrorHeader), what},
      {std::string(kafka::kDlqSourceTopicHeader), out.record.topic},
      {std::string(kafka::kDlqSourcePartitionHeader), std::to_string(out.record.partition)},
      {std::string(kafka::kDlqSourceOffsetHeader), std::to_string(out.record.offset)},
      {"sla-destination", dest.name}};
  const std::string value = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (auto r = producer_->produce(config_.topics.dlq, key, value, headers); !r) {
    // Not committed past: the flush before the commit fails and the
    // record is delivered again after a restart.
    spdlog::error("DLQ produce failed: {}", r.error().message);
    fatal_.store(true);
  }
}

void Daemon::commit(bool force) {
  const EpochMillis now = clock_.now();
  if (!force && now - last_commit_ < config_.commit_interval_ms) return;
  last_commit_ = now;
  std::vector<notify::Position> positions;
  {
    std::lock_guard lock(mutex_);
    positions = dispatcher_.positions();
  }
  std::vector<kafka::TopicPartition> offsets;
  for (const auto& p : positions) {
    const auto key = std::make_pair(p.topic, p.partition);
    const auto it = committed_.find(key);
    if (it != committed_.end() && it->second >= p.next_offset) continue;
    offsets.push_back(kafka::TopicPartition{p.topic, p.partition, p.next_offset});
  }
  if (offsets.empty()) return;
  // Dead letters before the offsets that skip them.
  if (auto f = producer_->flush(std::chrono::milliseconds(10'000)); !f) {
    spdlog::warn("commit postponed: {}", f.error().message);
    return;
  }
  if (auto r = consumer_->commit(offsets, /*async=*/false); !r) {
    spdlog::warn("commit failed: {}", r.error().message);
    return;
  }
  for (const auto& o : offsets) committed_[{o.topic, o.partition}] = o.offset;
}

void Daemon::update_gauges() {
  std::lock_guard lock(mutex_);
  const auto& dests = dispatcher_.routes().destinations;
  for (std::size_t d = 0; d < dests.size(); ++d) probe_.queued(dests[d].name, static_cast<double>(dispatcher_.pending(d)));
}

void Daemon::step(bool consume) {
  bool full = false;
  std::size_t pending = 0;
  std::optional<EpochMillis> wake;
  const EpochMillis now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    full = dispatcher_.full();
    pending = dispatcher_.pending();
    wake = dispatcher_.next_wakeup(now);
  }
  const bool want_pause = full || !consume;
  if (want_pause != paused_) {
    auto r = want_pause ? consumer_->pause_all() : consumer_->resume_all();
    if (r) {
      paused_ = want_pause;
      probe_.paused(full);
      if (full) spdlog::warn("a destination queue is full: consumption paused");
    }
  }
  std::int64_t timeout = config_.poll_ms;
  if (pending > 0) timeout = std::min<std::int64_t>(timeout, 5);
  if (wake) timeout = std::clamp<std::int64_t>(*wake - now, 0, timeout);
  auto polled = consumer_->poll(std::chrono::milliseconds(timeout), batch_);
  if (!polled) {
    spdlog::critical("kafka: {}", polled.error().message);
    fatal_.store(true);
    return;
  }
  if (!batch_.empty()) {
    std::lock_guard lock(mutex_);
    for (const auto& m : batch_) on_record(m);
  }
  pump();
  commit(false);
}

Result<void> Daemon::run() {
  EpochMillis last_gauges = 0;
  while (!stop_.load() && !fatal_.load()) {
    step(true);
    if (clock_.now() - last_gauges >= 1000) {
      update_gauges();
      last_gauges = clock_.now();
    }
  }
  draining_.store(true);
  const EpochMillis deadline = clock_.now() + config_.drain_timeout_ms;
  std::size_t left = 0;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      left = dispatcher_.pending();
    }
    if (left == 0 || clock_.now() >= deadline || fatal_.load()) break;
    step(false);  // paused: serves the group and retries, consumes nothing
  }
  commit(true);
  if (left > 0) spdlog::warn("drain timeout: {} deliveries left to the next owner", left);
  spdlog::info("stopping: leaving the consumer group");
  consumer_->close();
  client_->shutdown();
  if (fatal_.load()) return fail(ErrorCode::kUnavailable, "stopped on a fatal Kafka error");
  return {};
}

http::Response Daemon::handle(const http::Request& req) {
  const auto target = std::string_view(req.target().data(), req.target().size());
  const auto path = target.substr(0, target.find('?'));
  // The webhook is called under the public name and proves itself by its
  // signature; everything else answers only to IPs, localhost and the
  // configured names, and no route takes a cross-origin POST.
  const bool signed_route = path == "/v1/pagerduty/webhook";
  if (auto denied = signed_route ? http::check_origin(req) : http::check_host_and_origin(req, config_.http.allowed_hosts)) {
    return std::move(*denied);
  }
  if (req.method() == bhttp::verb::get && path == "/healthz") return reply(req, bhttp::status::ok, "ok\n", "text/plain");
  if (req.method() == bhttp::verb::get && path == "/readyz") {
    if (ready()) return reply(req, bhttp::status::ok, "ready\n", "text/plain");
    const char* why = !started_ ? "starting" : draining_ ? "draining" : fatal_ ? "kafka failed" : "no partitions assigned";
    return reply(req, bhttp::status::service_unavailable, std::string(why) + "\n", "text/plain");
  }
  if (req.method() == bhttp::verb::get && path == "/metrics") {
    probe_.ready(ready());
    return reply(req, bhttp::status::ok, probe_.text(), "text/plain; version=0.0.4");
  }
  if (path == "/v1/pagerduty/webhook") {
    if (req.method() != bhttp::verb::post) return reply(req, bhttp::status::method_not_allowed, error_json("use POST"));
    return webhook(req);
  }
  return reply(req, bhttp::status::not_found, error_json("not found"));
}

http::Response Daemon::webhook(const http::Request& req) {
  if (config_.pagerduty_webhook_secret.empty()) {
    return reply(req, bhttp::status::not_found, error_json("PagerDuty webhooks are not configured"));
  }
  const auto sig = req[notify::kPagerDutySignatureHeader];
  if (!notify::verify_pagerduty_signature(config_.pagerduty_webhook_secret, std::string_view(sig.data(), sig.size()),
                                          req.body())) {
    probe_.ack("bad_signature");
    spdlog::warn("PagerDuty webhook with a bad signature refused");
    return reply(req, bhttp::status::unauthorized, error_json("bad signature"));
  }
  auto parsed = notify::parse_pagerduty_webhook(req.body(), clock_.now());
  if (!parsed) {
    probe_.ack("bad_request");
    return reply(req, bhttp::status::bad_request, error_json(parsed.error().message));
  }
  if (!*parsed) {
    probe_.ack("ignored");
    return reply(req, bhttp::status::ok, json{{"ignored", true}}.dump());
  }
  const auto& ack = **parsed;
  const std::string value = encode_page_acknowledged(ack);
  if (auto r = producer_->produce(config_.topics.input, ack.ticket_id, value); !r) {
    probe_.ack("failed");
    return reply(req, bhttp::status::service_unavailable, error_json(r.error().message));
  }
  // PagerDuty retries a webhook that is not answered 2xx: answer only once
  // the acknowledgement is on the broker.
  if (auto f = producer_->flush(std::chrono::milliseconds(5'000)); !f) {
    probe_.ack("failed");
    return reply(req, bhttp::status::service_unavailable, error_json(f.error().message));
  }
  probe_.ack("produced");
  spdlog::info("{} for {} by {}: page_acknowledged produced for ticket {}", ack.event_type, ack.page_id,
               ack.responder.empty() ? "-" : ack.responder, ack.ticket_id);
  return reply(req, bhttp::status::accepted,
               json{{"ticket_id", ack.ticket_id}, {"page_id", ack.page_id}, {"event_id", ack.event_id}}.dump());
}

}  // namespace sla::notify_service
