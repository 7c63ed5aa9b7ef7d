// The YAML reader shared by every loader (the policy, its calendars, the
// daemon's settings): typed getters over yaml-cpp nodes that return a value
// or nothing and, for nothing, record an error with the file, line and
// column of the offending node. Nothing stops at the first problem, so a
// user fixes a file in one pass. Also the small text parsers every loader
// needs (whole numbers). Not a schema language: each loader still says what
// its keys mean.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sla/base/result.hpp"

namespace sla::yaml {

/// One problem. `line`/`column` are 1-based (0 when unknown).
struct Error {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;  ///< names the key path and what is wrong
};

/// "file:line:col: message" ("file: message" without a position,
/// "<input>" for an unnamed file).
[[nodiscard]] std::string format(const Error& e);

/// One key/value pair of a mapping, with the key as text.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};
using Entries = std::vector<Entry>;

/// The entry named `key`, or nullptr.
[[nodiscard]] const Entry* find(const Entries& entries, std::string_view key);

/// A whole number: optional sign, decimal digits only (no spaces), within
/// [lo, hi]. kInvalidArgument ("expected a whole number, got 'x'") or
/// kOutOfRange ("70000 is out of range (1..65535)").
[[nodiscard]] sla::Result<std::int64_t> parse_integer(std::string_view text, std::int64_t lo, std::int64_t hi);

/// "nothing", "a scalar 'x'", "a list", "a mapping": what a node is, for messages.
[[nodiscard]] std::string kind_name(const YAML::Node& n);

/// Reads values out of one YAML source and collects its errors. Not
/// thread-safe; one per load.
class Reader {
 public:
  /// `file` names the source in every error.
  explicit Reader(std::string file) : file_(std::move(file)) {}

  /// Parses `text`; a syntax error is recorded (`prefix` + yaml-cpp's
  /// message, at its position) and an undefined node returned.
  [[nodiscard]] YAML::Node parse(std::string_view text, std::string_view prefix = "YAML syntax error: ");

  // --- errors -----------------------------------------------------------
  /// Records `message` at `node` (an empty value `key:` is reported at its
  /// key; an undefined node at the last position seen).
  void error(const YAML::Node& node, std::string message);
  /// Records `message` at a position (a null mark: no position).
  void error_at(const YAML::Mark& mark, std::string message);
  /// Records an error with no position (an environment variable, a file that
  /// cannot be read).
  void error_here(std::string message) { error_at(YAML::Mark::null_mark(), std::move(message)); }
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] std::size_t error_count() const { return errors_.size(); }
  [[nodiscard]] const std::vector<Error>& errors() const { return errors_; }
  /// Adds errors found by another reader (a section loaded on its own).
  void add(std::vector<Error> more);
  /// The errors so far, sorted by position (stable), and clears them.
  [[nodiscard]] std::vector<Error> take_sorted_errors();
  /// The position reported for `node` (see error()).
  [[nodiscard]] YAML::Mark mark_of(const YAML::Node& node);

  // --- typed getters: a value, or nullopt with an error recorded --------
  /// The entries of a mapping; reports a non-mapping, non-scalar keys,
  /// duplicate keys and, when `allowed` is not empty, unknown keys
  /// ("unknown key 'k' in <path> (expected one of: a, b)").
  [[nodiscard]] std::optional<Entries> mapping(const YAML::Node& node, const std::string& path,
                                               std::initializer_list<std::string_view> allowed = {});
  /// A mapping whose keys are names chosen by the user (no key check).
  [[nodiscard]] std::optional<Entries> named_mapping(const YAML::Node& node, const std::string& path) {
    return mapping(node, path);
  }
  [[nodiscard]] std::optional<std::string> scalar(const YAML::Node& node, const std::string& path);
  [[nodiscard]] std::optional<std::string> nonempty_scalar(const YAML::Node& node, const std::string& path);
  /// Non-empty scalars with their nodes; `allow_scalar`: one value is a list of one.
  [[nodiscard]] std::optional<std::vector<std::pair<std::string, YAML::Node>>> scalar_list(
      const YAML::Node& node, const std::string& path, bool allow_scalar = false);
  [[nodiscard]] std::optional<std::vector<std::string>> string_list(const YAML::Node& node, const std::string& path,
                                                                    bool allow_scalar = false);
  /// A mapping of non-empty scalars to scalars (e.g. librdkafka properties).
  [[nodiscard]] std::optional<std::vector<std::pair<std::string, std::string>>> string_map(const YAML::Node& node,
                                                                                          const std::string& path);
  /// true/True/TRUE/false/False/FALSE.
  [[nodiscard]] std::optional<bool> boolean(const YAML::Node& node, const std::string& path);
  /// parse_integer on a scalar.
  [[nodiscard]] std::optional<std::int64_t> integer(const YAML::Node& node, const std::string& path, std::int64_t lo,
                                                    std::int64_t hi);

 private:
  std::string file_;
  std::vector<Error> errors_;
  YAML::Mark last_mark_ = YAML::Mark::null_mark();
  std::vector<std::pair<YAML::Node, YAML::Mark>> null_values_;  // empty values -> their key's mark
};

}  // namespace sla::yaml
