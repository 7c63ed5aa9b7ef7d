// `slactl validate FILE...`: loads each policy file the way the daemon does
// and prints `ok: <summary>` or every error as `file:line:col: message`, one
// per line. Exit 0 when every file is valid, 1 otherwise (SPEC 6.3).
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "sla/services/policy_io.hpp"
#include "sla/policy/loader.hpp"

namespace {

int validate(const std::string& file) {
  std::vector<sla::policy::LoadError> errors;
  auto policy = sla::services::load_policy_path(file, errors);
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
