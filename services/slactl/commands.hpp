// The slactl subcommand registry. Each *_cmd.cpp defines a static
// `Registration` that adds its subcommand to the CLI11 app; main() runs the
// chosen one. Wiring only: the work is done by the libraries.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sla::slactl {

/// Adds a subcommand to `app`; the callback it installs sets the exit code.
using Registrar = std::function<void(CLI::App& app, int& exit_code)>;

inline std::vector<Registrar>& registry() {
  static std::vector<Registrar> commands;
  return commands;
}

struct Registration {
  explicit Registration(Registrar r) { registry().push_back(std::move(r)); }
};

}  // namespace sla::slactl
