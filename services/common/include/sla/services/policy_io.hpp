// File helpers shared by the tools (slactl, sla-timerd): read a file, load a
// policy from disk with ICS paths resolved against the policy's directory.
// Services-only: the core libraries take text and an injected reader.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/policy/loader.hpp"

namespace sla::services {

/// Reads a whole file; a relative `path` is taken relative to `base_dir`.
[[nodiscard]] inline sla::Result<std::string> read_text(const std::filesystem::path& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative() && !base_dir.empty()) p = base_dir / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) return sla::fail(sla::ErrorCode::kNotFound, "cannot open " + p.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return sla::fail(sla::ErrorCode::kUnavailable, "cannot read " + p.string());
  return out.str();
}

/// Loads the policy file `file`; on failure `errors` holds the problems (a
/// file that cannot be read is reported as an error at 0:0).
inline std::shared_ptr<const sla::policy::Policy> load_policy_path(const std::string& file,
                                                                   std::vector<sla::policy::LoadError>& errors) {
  const std::filesystem::path base_dir = std::filesystem::path(file).parent_path();
  sla::policy::LoadOptions opts;
  opts.file = file;
  opts.read_file = [base_dir](const std::string& path) { return read_text(base_dir, path); };
  auto text = read_text({}, file);
  if (!text) {
    errors.push_back(sla::policy::LoadError{file, 0, 0, text.error().message});
    return nullptr;
  }
  return sla::policy::load_policy(*text, opts, errors);
}

}  // namespace sla::services
