// slactl: the operator's command line for sla-timer (SPEC 6.3).
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"

int main(int argc, char** argv) {
  // stdout carries the data (JSON lines); diagnostics, including the Kafka
  // client's, go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("slactl"));
  CLI::App app{"slactl: sla-timer command line (deadline, validate, replay, report, policy diff, produce, tail)"};
  app.require_subcommand(1);
  int exit_code = 0;
  for (const auto& reg : sla::slactl::registry()) reg(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
