// The daemon's JSON log lines parse, whatever the message holds.
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "sla/services/json_log.hpp"

namespace {

std::vector<nlohmann::json> log_lines(const std::vector<std::string>& messages) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("timerd-test", sink);
  logger.set_formatter(sla::services::json_log_formatter());
  for (const auto& m : messages) logger.warn("{}", m);
  logger.flush();
  std::vector<nlohmann::json> parsed;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) parsed.push_back(nlohmann::json::parse(line));
  return parsed;
}

TEST(JsonLogTest, EveryLineIsOneJsonObjectWithTheMessageIntact) {
  const std::vector<std::string> messages = {
      "plain",
      R"(ticket "T-1" said \ "hi")",
      "two\nlines\tand a tab",
      std::string("nul \0 byte and bell \a", 21),
  };
  const auto lines = log_lines(messages);
  ASSERT_EQ(lines.size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(lines[i].at("msg").get<std::string>(), messages[i]);
    EXPECT_EQ(lines[i].at("level"), "warning");
    EXPECT_EQ(lines[i].at("logger"), "timerd-test");
    const auto ts = lines[i].at("ts").get<std::string>();
    ASSERT_EQ(ts.size(), 24U) << ts;  // 2026-11-23T14:50:00.123Z
    EXPECT_EQ(ts.back(), 'Z');
  }
}

TEST(JsonLogTest, InvalidUtf8IsReplacedNotPassedThrough) {
  const auto lines = log_lines({std::string("bad \xff\xfe bytes")});
  ASSERT_EQ(lines.size(), 1U);
  const auto msg = lines[0].at("msg").get<std::string>();
  EXPECT_NE(msg.find("bad "), std::string::npos);
  EXPECT_EQ(msg.find('\xff'), std::string::npos);
}

}  // namespace
