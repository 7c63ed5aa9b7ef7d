// `slactl validate FILE...`: loads each policy file the way the daemon does
// and prints `ok: <summary>` or every error as `file:line:col: message`, one
// per line. Exit 0 when every file is valid, 1 otherwise (SPEC 6.3).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sla/policy/loader.hpp"

namespace {

// Reads a whole file. Relative paths (ICS imports named in the policy) are
// resolved against the policy file's directory.
sla::Result<std::string> read_text(const std::filesystem::path& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = base_dir / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) return sla::fail(sla::ErrorCode::kNotFound, "cannot open " + p.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return sla::fail(sla::ErrorCode::kUnavailable, "cannot read " + p.string());
  return out.str();
}

int validate(const std::string& file) {
  const std::filesystem::path policy_path(file);
  const std::filesystem::path base_dir = policy_path.parent_path();
  sla::policy::LoadOptions opts;
  opts.file = file;
  opts.read_file = [base_dir](const std::string& path) { return read_text(base_dir, path); };
  auto text = read_text({}, file);
  if (!text) {
    std::cout << file << ": " << text.error().message << "\n";
    return 1;
  }
  std::vector<sla::policy::LoadError> errors;
  auto policy = sla::policy::load_policy(*text, opts, errors);
  if (!policy) {
    for (const auto& e : errors) std::cout << sla::policy::format(e) << "\n";
    return 1;
  }
  std::cout << "ok: " << file << ": " << policy->summary() << "\n";
  return 0;
}

const sla::slactl::Registration kValidate{[](CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("validate", "Validate policy files; print ok or file:line:col: errors");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("FILE", *files, "policy YAML file(s)")->required();
  cmd->callback([files, &exit_code] {
    int rc = 0;
    for (const auto& f : *files) {
      if (validate(f) != 0) rc = 1;
    }
    exit_code = rc;
  });
}};

}  // namespace
