#include "sla/kafka/dead_letter.hpp"

#include <charconv>
#include <utility>

#include "log.hpp"

namespace sla::kafka {
namespace {

/// A record's framing in a batch on its own, generously: the batch header
/// (61 bytes), the record's varints, and each header's two length varints.
constexpr std::size_t kFramingBytes = 128;
constexpr std::size_t kPerHeaderBytes = 10;

/// At most `max` bytes of `s`, not cutting a UTF-8 sequence in two.
std::string cut(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0U) == 0x80U) --n;
  return std::string(s.substr(0, n));
}

std::size_t headers_bytes(const std::vector<Header>& headers) {
  std::size_t n = 0;
  for (const auto& h : headers) n += h.name.size() + h.value.size() + kPerHeaderBytes;
  return n;
}

DeadLetter::Form smaller(DeadLetter::Form f) {
  return f == DeadLetter::Form::kWhole ? DeadLetter::Form::kBodiless : DeadLetter::Form::kMinimal;
}

std::string_view left_out(DeadLetter::Form f) {
  return f == DeadLetter::Form::kBodiless ? "payload" : "payload,headers,key";
}

}  // namespace

Result<DeadLetter::Form> DeadLetter::produce(const Letter& l, Form form, std::uint64_t tag) {
  const Form first = form;
  for (;;) {
    std::vector<Header> headers;
    std::string key;
    std::string_view payload;
    if (form != Form::kMinimal) {
      headers.reserve(l.headers.size() + 8);
      headers = l.headers;
      key = l.key;
    } else {
      key = cut(l.key, kMaxKeyBytes);
    }
    if (form == Form::kWhole) payload = l.payload;
    headers.push_back(Header{std::string(kDlqReasonHeader), form == Form::kWhole ? l.reason : std::string(kOversizeReason)});
    headers.push_back(Header{std::string(kDlqErrorHeader), cut(l.error, kMaxErrorBytes)});
    headers.push_back(Header{std::string(kDlqSourceTopicHeader), l.source_topic});
    headers.push_back(Header{std::string(kDlqSourcePartitionHeader), l.source_partition});
    headers.push_back(Header{std::string(kDlqSourceOffsetHeader), l.source_offset});
    if (form != Form::kWhole) {
      headers.push_back(Header{std::string(kDlqOriginalReasonHeader), l.reason});
      headers.push_back(Header{std::string(kDlqDroppedHeader), std::string(left_out(form))});
      headers.push_back(Header{std::string(kDlqSourceBytesHeader), std::to_string(l.source_bytes)});
    }
    if (form == first && l.refusals > 0) {
      headers.push_back(Header{std::string(kDlqRefusalsHeader), std::to_string(l.refusals)});
    }
    const std::size_t bytes = key.size() + payload.size() + headers_bytes(headers) + kFramingBytes;
    if (form != Form::kMinimal && bytes > max_bytes_) {
      form = smaller(form);
      continue;
    }
    auto r = producer_.produce(topic_, key, payload, headers, tag);
    // Refused at once (the producer's message.max.bytes is below max_bytes):
    // smaller still.
    if (!r && r.error().code == ErrorCode::kInvalidArgument && form != Form::kMinimal) {
      form = smaller(form);
      continue;
    }
    if (!r) return tl::unexpected(r.error());
    if (form != first) {
      detail::logger()->warn("dead letter of {}/{}@{} ({}, {} bytes) larger than {} takes: sent without its {}",
                             l.source_topic, l.source_partition, l.source_offset, l.reason, l.source_bytes, topic_,
                             left_out(form));
    }
    return form;
  }
}

Result<DeadLetter::Form> DeadLetter::send(const Message& original, std::string_view reason, std::string_view error,
                                          std::uint64_t tag) {
  Letter l;
  l.key = original.key;
  l.payload = original.payload;
  l.headers = original.headers;
  l.reason = reason;
  l.error = error;
  l.source_topic = original.topic;
  l.source_partition = std::to_string(original.partition);
  l.source_offset = std::to_string(original.offset);
  l.source_bytes = original.key.size() + original.payload.size() + headers_bytes(original.headers);
  auto form = produce(l, Form::kWhole, tag);
  if (form) {
    sent_.fetch_add(1, std::memory_order_relaxed);
    if (*form != Form::kWhole) shrunk_.fetch_add(1, std::memory_order_relaxed);
  }
  return form;
}

DeadLetter::Refusal DeadLetter::take_refused(const DeliveryReport& report) {
  if (!report.error || !report.too_large || report.topic != topic_) return Refusal::kNotTaken;
  Replacement r;
  r.tag = report.tag;
  Form refused = Form::kWhole;
  std::string original_reason;
  std::size_t source_bytes = 0;
  bool has_source_bytes = false;
  int refusals = 0;
  Letter& l = r.letter;
  const auto number = [](const std::string& v, auto& out) {
    return std::from_chars(v.data(), v.data() + v.size(), out).ec == std::errc{};
  };
  for (const auto& h : report.headers) {
    if (h.name == kDlqReasonHeader) {
      l.reason = h.value;
    } else if (h.name == kDlqErrorHeader) {
      l.error = h.value;
    } else if (h.name == kDlqSourceTopicHeader) {
      l.source_topic = h.value;
    } else if (h.name == kDlqSourcePartitionHeader) {
      l.source_partition = h.value;
    } else if (h.name == kDlqSourceOffsetHeader) {
      l.source_offset = h.value;
    } else if (h.name == kDlqOriginalReasonHeader) {
      original_reason = h.value;
    } else if (h.name == kDlqDroppedHeader) {
      refused = h.value == left_out(Form::kBodiless) ? Form::kBodiless : Form::kMinimal;
    } else if (h.name == kDlqSourceBytesHeader) {
      has_source_bytes = number(h.value, source_bytes);
    } else if (h.name == kDlqRefusalsHeader) {
      // A malformed count reads as 0 refusals: the count only bounds how
      // often a refused letter is sent again.
      if (!number(h.value, refusals)) refusals = 0;
    } else {
      l.headers.push_back(h);
    }
  }
  if (refused != Form::kWhole) l.reason = std::move(original_reason);
  l.key = report.key;
  if (refused == Form::kWhole) l.payload = report.payload;
  l.source_bytes = has_source_bytes ? source_bytes : report.key.size() + report.payload.size() + headers_bytes(l.headers);
  refusals += 1;
  // Refused as a batch-mate of a large record, perhaps: small ones are sent
  // again as they were, once (the smallest form kMaxRefusals - 1 times).
  const bool again = refused == Form::kWhole      ? refusals < 2 && l.source_bytes <= kRetryWholeBytes
                     : refused == Form::kBodiless ? refusals < 2
                                                  : refusals < kMaxRefusals;
  if (again) {
    r.form = refused;
    l.refusals = refusals;
    detail::logger()->warn("{} refused a batch with the dead letter of {}/{}@{} as too large: sending it again", topic_,
                           l.source_topic, l.source_partition, l.source_offset);
  } else if (refused == Form::kMinimal) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    detail::logger()->error("{} refused the dead letter of {}/{}@{} ({}) {} times even without its payload, headers "
                            "and most of its key: given up (the record stays in {})",
                            topic_, l.source_topic, l.source_partition, l.source_offset, l.reason, refusals,
                            l.source_topic);
    return Refusal::kGivenUp;
  } else {
    r.form = smaller(refused);
    l.payload.clear();
    detail::logger()->warn("{} refused a dead letter of {}/{}@{} as too large: sending it without its {}", topic_,
                           l.source_topic, l.source_partition, l.source_offset, left_out(r.form));
    if (refused == Form::kWhole) shrunk_.fetch_add(1, std::memory_order_relaxed);
  }
  std::lock_guard lock(mu_);
  replacements_.push_back(std::move(r));
  return Refusal::kResent;
}

std::size_t DeadLetter::send_replacements(const std::function<void(std::uint64_t tag, const Error& error)>& failed) {
  std::vector<Replacement> todo;
  {
    std::lock_guard lock(mu_);
    if (replacements_.empty()) return 0;
    todo.swap(replacements_);
  }
  std::size_t sent = 0;
  for (const auto& r : todo) {
    if (auto form = produce(r.letter, r.form, r.tag); form) {
      ++sent;
    } else if (failed) {
      failed(r.tag, form.error());
    }
  }
  return sent;
}

}  // namespace sla::kafka
