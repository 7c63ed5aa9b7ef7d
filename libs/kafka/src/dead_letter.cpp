#include "sla/kafka/dead_letter.hpp"

#include <vector>

namespace sla::kafka {

Result<void> DeadLetter::send(const Message& original, std::string_view reason, std::string_view error,
                              std::uint64_t tag) {
  std::vector<Header> headers;
  headers.reserve(original.headers.size() + 5);
  headers = original.headers;
  headers.push_back(Header{std::string(kDlqReasonHeader), std::string(reason)});
  headers.push_back(Header{std::string(kDlqErrorHeader), std::string(error)});
  headers.push_back(Header{std::string(kDlqSourceTopicHeader), original.topic});
  headers.push_back(Header{std::string(kDlqSourcePartitionHeader), std::to_string(original.partition)});
  headers.push_back(Header{std::string(kDlqSourceOffsetHeader), std::to_string(original.offset)});
  auto produced = producer_.produce(topic_, original.key, original.payload, headers, tag);
  if (produced) sent_.fetch_add(1, std::memory_order_relaxed);
  return produced;
}

}  // namespace sla::kafka
