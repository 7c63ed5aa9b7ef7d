// Helpers for the policy tests: load from text with an in-memory file map,
// and render errors for assertions.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sla/policy/loader.hpp"

namespace sla::policy::testing {

struct Loaded {
  std::shared_ptr<const Policy> policy;
  std::vector<LoadError> errors;
  /// All errors as "file:line:col: message", one per line.
  [[nodiscard]] std::string text() const {
    std::string out;
    for (const auto& e : errors) out += format(e) + "\n";
    return out;
  }
};

inline Loaded load(const std::string& yaml, std::map<std::string, std::string> files = {}) {
  LoadOptions opts;
  opts.file = "p.yaml";
  opts.read_file = [files](const std::string& path) -> sla::Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return sla::fail(ErrorCode::kNotFound, "no such file " + path);
    return it->second;
  };
  Loaded l;
  l.policy = load_policy(yaml, opts, l.errors);
  return l;
}

/// Loads and fails the test (with every error) unless it loaded.
inline std::shared_ptr<const Policy> load_ok(const std::string& yaml) {
  auto l = load(yaml);
  EXPECT_TRUE(l.errors.empty()) << l.text();
  EXPECT_NE(l.policy, nullptr);
  return l.policy;
}

}  // namespace sla::policy::testing
