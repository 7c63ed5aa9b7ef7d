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

/// A 1-based line and column in a YAML text.
struct Pos {
  int line = 0;
  int column = 0;
};

/// Where the `nth` occurrence of `token` starts in `text` (the place a load
/// error about it should name); fails the test if there is none.
inline Pos where(const std::string& text, const std::string& token, int nth = 1) {
  std::size_t off = std::string::npos;
  std::size_t from = 0;
  for (int i = 0; i < nth; ++i) {
    off = text.find(token, from);
    if (off == std::string::npos) {
      ADD_FAILURE() << "token '" << token << "' #" << nth << " not in test YAML";
      return {};
    }
    from = off + 1;
  }
  Pos p{1, 1};
  for (std::size_t i = 0; i < off; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

/// Fails the test unless `l` has an error containing `message`, and every
/// such error names p.yaml at where `token` starts in `yaml`. `name` labels
/// the case in failure messages.
inline void expect_error_at(const Loaded& l, const std::string& yaml, const std::string& token,
                            const std::string& message, const std::string& name) {
  const Pos pos = where(yaml, token);
  bool found = false;
  for (const auto& e : l.errors) {
    if (e.message.find(message) == std::string::npos) continue;
    found = true;
    EXPECT_EQ(e.file, "p.yaml") << name;
    EXPECT_EQ(e.line, pos.line) << name << ": " << format(e);
    EXPECT_EQ(e.column, pos.column) << name << ": " << format(e);
  }
  EXPECT_TRUE(found) << name << ": no error containing '" << message << "' in:\n" << l.text();
}

/// Loads and fails the test (with every error) unless it loaded.
inline std::shared_ptr<const Policy> load_ok(const std::string& yaml) {
  auto l = load(yaml);
  EXPECT_TRUE(l.errors.empty()) << l.text();
  EXPECT_NE(l.policy, nullptr);
  return l.policy;
}

}  // namespace sla::policy::testing
