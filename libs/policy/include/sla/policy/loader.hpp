// Loading a policy from YAML text (SPEC 3): parse, resolve every reference
// (calendars, plans, severities, rotations, paging targets), validate, and
// report every problem found, each with file, line and column. The
// `calendars:` section is handed to sla::calendar::load_calendars and its
// errors are merged with ours. No I/O except through the injected reader
// (ICS imports, load_policy_file). Not a watcher: reload is the caller's.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sla/calendar/yaml_loader.hpp"
#include "sla/policy/policy.hpp"

namespace sla::policy {

/// `file` names the source in errors (and ICS paths are relative to it);
/// `read_file` reads files (ICS imports, load_policy_file). Shared with the
/// calendar loader.
using LoadOptions = calendar::LoadOptions;
/// One load problem: file, 1-based line and column, message.
using LoadError = calendar::LoadError;

/// Parses and validates a policy. Returns the policy, or nullptr iff
/// `errors` gained at least one entry (errors are appended, sorted by
/// position). Never throws for bad input; thread-safe (no shared state).
[[nodiscard]] std::shared_ptr<const Policy> load_policy(std::string_view yaml_text, const LoadOptions& options,
                                                        std::vector<LoadError>& errors);

/// Reads `path` with options.read_file (an error if it is unset or fails) and
/// loads it with `file` = path unless options.file is set.
[[nodiscard]] std::shared_ptr<const Policy> load_policy_file(const std::string& path, const LoadOptions& options,
                                                             std::vector<LoadError>& errors);

/// format(error) -> "file:line:col: message". The YAML reader's function
/// (re-exported by the calendar library), re-exported (not redeclared) so unqualified calls stay unambiguous.
using calendar::format;

}  // namespace sla::policy
