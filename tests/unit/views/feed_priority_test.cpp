// The view readers' threads run at the niceness they are given (views_nice),
// read back from /proc: the feeds start their thread at construction, and
// it lowers its priority before it first tries to reach Kafka.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <sys/resource.h>

#include <gtest/gtest.h>

#include "sla/views/compliance_feed.hpp"
#include "sla/views/deadline_view.hpp"
#include "sla/views/feed.hpp"

namespace {

// Niceness of each thread of this process, by thread name.
std::map<std::string, int> nice_by_thread() {
  std::map<std::string, int> out;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(t.path() / "comm");
    std::string name;
    std::getline(comm, name);
    std::ifstream stat(t.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the ")" that closes the name: state is field 3, nice 19.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) out[name] = std::stoi(field);
    }
  }
  return out;
}

// Waits (bounded) until a thread of that name shows the niceness.
std::optional<int> wait_for_nice(const std::string& name, int want) {
  std::optional<int> seen;
  for (int i = 0; i < 500; ++i) {
    const auto all = nice_by_thread();
    if (const auto it = all.find(name); it != all.end()) {
      seen = it->second;
      if (*seen == want) return seen;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return seen;
}

sla::kafka::KafkaConfig nowhere() {
  sla::kafka::KafkaConfig k;
  k.brokers = "127.0.0.1:1";  // nothing listens: the feed keeps retrying, its thread stays up
  return k;
}

TEST(FeedPriority, ReadersRunAtTheGivenNiceness) {
  const int base = ::getpriority(PRIO_PROCESS, 0);
  sla::views::FeedOptions f;
  f.kafka = nowhere();
  f.nice = 7;
  sla::views::DeadlineFeed feed(f, std::make_shared<sla::views::DeadlineView>(), [] { return sla::EpochMillis{0}; });
  sla::views::ComplianceFeedOptions c;
  c.kafka = nowhere();
  c.nice = 3;
  sla::views::ComplianceFeed report(c);
  EXPECT_EQ(wait_for_nice("sla-view", std::min(19, base + 7)), std::min(19, base + 7));
  EXPECT_EQ(wait_for_nice("sla-report", std::min(19, base + 3)), std::min(19, base + 3));
  // The caller's own thread is untouched.
  EXPECT_EQ(::getpriority(PRIO_PROCESS, 0), base);
}

TEST(FeedPriority, ZeroLeavesTheThreadAsItIs) {
  const int base = ::getpriority(PRIO_PROCESS, 0);
  EXPECT_TRUE(sla::views::lower_thread_priority(0));
  EXPECT_EQ(::getpriority(PRIO_PROCESS, 0), base);
}

}  // namespace
