// Loads a policy file for a test or fuzz target, or aborts naming every load
// error (a target without its policy would test nothing). Test-only.
#pragma once

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sla/policy/loader.hpp"

namespace sla::testing {

inline std::shared_ptr<const sla::policy::Policy> load_policy_file_or_abort(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<sla::policy::LoadError> errors;
  sla::policy::LoadOptions options;
  options.file = path;
  auto loaded = sla::policy::load_policy(text.str(), options, errors);
  if (loaded == nullptr) {
    std::cerr << path << ": the policy does not load\n";
    for (const auto& e : errors) std::cerr << "  " << e.message << "\n";
    std::abort();
  }
  return loaded;
}

}  // namespace sla::testing
