// `slactl version`: prints the build's version.
#include <iostream>

#include "commands.hpp"

namespace {
const sla::slactl::Registration kVersion{[](CLI::App& app, int& /*exit_code*/) {
  auto* cmd = app.add_subcommand("version", "Print the slactl version");
  cmd->callback([] { std::cout << "slactl 0.1.0\n"; });
}};
}  // namespace
