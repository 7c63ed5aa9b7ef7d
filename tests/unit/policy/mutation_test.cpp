// Deterministic mutation testing of the loader (a fuzz run that fits in CI):
// random small edits of every policy in deploy/policies/ never throw or
// crash, a policy comes back iff there are no errors, every error has a
// position inside the text and a message, and lookups on whatever loads
// are safe.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "sla/policy/loader.hpp"
#include "test_util.hpp"

namespace sla::policy {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string mutate(std::string text, std::mt19937& rng) {
  static constexpr std::string_view kChars = "{}[]:,-#&*!|>'\"% \n\t0123456789abzPm.+";
  std::uniform_int_distribution<int> edits(1, 3);
  const int n = edits(rng);
  for (int i = 0; i < n && !text.empty(); ++i) {
    std::uniform_int_distribution<std::size_t> pos(0, text.size() - 1);
    std::uniform_int_distribution<std::size_t> ch(0, kChars.size() - 1);
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: text.erase(pos(rng), 1); break;
      case 1: text.insert(pos(rng), 1, kChars[ch(rng)]); break;
      case 2: text[pos(rng)] = kChars[ch(rng)]; break;
      default: {  // duplicate a line somewhere else
        const std::size_t a = text.rfind('\n', pos(rng));
        const std::size_t start = a == std::string::npos ? 0 : a + 1;
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
        text.insert(pos(rng), line);
      }
    }
  }
  return text;
}

TEST(LoaderMutation, RandomEditsOfTheSeedPoliciesAreHandled) {
  std::mt19937 rng(20261123);
  const fs::path dir = fs::path(SLA_SOURCE_DIR) / "deploy" / "policies";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  std::size_t loaded = 0, rejected = 0;
  for (const auto& f : files) {
    const std::string original = read(f);
    const int lines = static_cast<int>(std::count(original.begin(), original.end(), '\n')) + 2;
    for (int i = 0; i < 250; ++i) {
      const std::string text = mutate(original, rng);
      auto l = testing::load(text);
      ASSERT_EQ(l.policy == nullptr, !l.errors.empty()) << text;
      for (const auto& e : l.errors) {
        ASSERT_FALSE(e.message.empty());
        ASSERT_LE(e.line, lines + 1) << format(e);
        ASSERT_GE(e.line, 0);
      }
      if (l.policy) {
        ++loaded;
        (void)l.policy->summary();
        for (const auto& [pn, plan] : l.policy->plans()) {
          for (const auto& [sn, sev] : plan.severities) {
            for (auto m : kAllMetrics) {
              (void)l.policy->target_at(pn, sn, m, 1'790'000'000'000);
              for (const auto* step : l.policy->escalation_steps(pn, sn, m)) ASSERT_NE(step, nullptr);
            }
          }
        }
        for (const auto& [rn, r] : l.policy->rotations()) ASSERT_TRUE(l.policy->on_call(rn, 1'790'000'000'000));
      } else {
        ++rejected;
      }
    }
  }
  // Both outcomes occur: the mutations are neither all harmless nor all fatal.
  EXPECT_GT(loaded, 0U);
  EXPECT_GT(rejected, 0U);
}

}  // namespace
}  // namespace sla::policy
