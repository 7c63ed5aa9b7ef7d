// yaml-cpp marks are 0-based; errors are reported 1-based. Every getter
// records at most one error per node and never throws.
#include "sla/yaml/reader.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

namespace sla::yaml {
namespace {

std::string join(std::initializer_list<std::string_view> v) {
  std::string out;
  for (auto s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

std::string format(const Error& e) {
  std::string out = e.file.empty() ? "<input>" : e.file;
  if (e.line > 0) out += ":" + std::to_string(e.line) + ":" + std::to_string(e.column);
  return out + ": " + e.message;
}

const Entry* find(const Entries& entries, std::string_view key) {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

sla::Result<std::int64_t> parse_integer(std::string_view text, std::int64_t lo, std::int64_t hi) {
  // from_chars takes a '-' but not a '+'; digits only after the sign.
  const std::string_view number = !text.empty() && text.front() == '+' ? text.substr(1) : text;
  const bool signed_twice = number.size() < text.size() && !number.empty() && number.front() == '-';
  const std::string_view digits = !number.empty() && number.front() == '-' ? number.substr(1) : number;
  if (signed_twice || digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return sla::fail(ErrorCode::kInvalidArgument, "expected a whole number, got '" + std::string(text) + "'");
  }
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || v < lo || v > hi) {
    return sla::fail(ErrorCode::kOutOfRange, std::string(text) + " is out of range (" + std::to_string(lo) + ".." +
                                                 std::to_string(hi) + ")");
  }
  return v;
}

std::string kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a scalar '" + n.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "something else";
}

YAML::Node Reader::parse(std::string_view text, std::string_view prefix) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& ex) {
    error_at(ex.mark, std::string(prefix) + ex.msg);
  } catch (const YAML::Exception& ex) {
    error_at(ex.mark, std::string("YAML error: ") + ex.what());
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

void Reader::error_at(const YAML::Mark& mark, std::string message) {
  Error e;
  e.file = file_;
  if (!mark.is_null()) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  e.message = std::move(message);
  errors_.push_back(std::move(e));
}

void Reader::error(const YAML::Node& node, std::string message) { error_at(mark_of(node), std::move(message)); }

void Reader::add(std::vector<Error> more) {
  for (auto& e : more) errors_.push_back(std::move(e));
}

std::vector<Error> Reader::take_sorted_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const Error& a, const Error& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  return std::exchange(errors_, {});
}

// yaml-cpp gives undefined nodes a null mark, and an empty value (`key:`)
// the position after it; those are reported at their key instead.
YAML::Mark Reader::mark_of(const YAML::Node& node) {
  if (node.IsDefined() && node.IsNull()) {
    for (const auto& [n, m] : null_values_) {
      if (n.is(node)) return m;
    }
  }
  if (node.IsDefined()) {
    YAML::Mark m = node.Mark();
    if (!m.is_null()) {
      last_mark_ = m;
      return m;
    }
  }
  return last_mark_;
}

std::optional<Entries> Reader::mapping(const YAML::Node& node, const std::string& path,
                                       std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) {
    error(node, path + ": expected a mapping, got " + kind_name(node));
    return std::nullopt;
  }
  Entries out;
  std::set<std::string, std::less<>> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;
    if (!k.IsScalar()) {
      error(k, path + ": keys must be plain names, got " + kind_name(k));
      continue;
    }
    const std::string& key = k.Scalar();
    if (!seen.insert(key).second) {
      error(k, path + ": duplicate key '" + key + "'");
      continue;
    }
    if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
      error(k, "unknown key '" + key + "' in " + path + " (expected one of: " + join(allowed) + ")");
      continue;
    }
    if (it->second.IsNull()) null_values_.emplace_back(it->second, k.Mark());
    out.push_back(Entry{key, k, it->second});
  }
  return out;
}

std::optional<std::string> Reader::scalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    error(node, path + ": expected a value, got " + kind_name(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> Reader::nonempty_scalar(const YAML::Node& node, const std::string& path) {
  auto s = scalar(node, path);
  if (s && s->empty()) {
    error(node, path + ": must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::vector<std::pair<std::string, YAML::Node>>> Reader::scalar_list(const YAML::Node& node,
                                                                                   const std::string& path,
                                                                                   bool allow_scalar) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (allow_scalar && node.IsScalar()) {
    auto s = nonempty_scalar(node, path);
    if (!s) return std::nullopt;
    out.emplace_back(*s, node);
    return out;
  }
  if (!node.IsSequence()) {
    error(node, path + ": expected a list" + std::string(allow_scalar ? " or a value" : "") + ", got " +
                    kind_name(node));
    return std::nullopt;
  }
  bool ok = true;
  std::size_t i = 0;
  for (const auto& item : node) {
    auto s = nonempty_scalar(item, path + "[" + std::to_string(i++) + "]");
    if (!s) {
      ok = false;
      continue;
    }
    out.emplace_back(*s, item);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> Reader::string_list(const YAML::Node& node, const std::string& path,
                                                            bool allow_scalar) {
  auto l = scalar_list(node, path, allow_scalar);
  if (!l) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(l->size());
  for (auto& [s, n] : *l) out.push_back(std::move(s));
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> Reader::string_map(const YAML::Node& node,
                                                                                  const std::string& path) {
  auto m = named_mapping(node, path);
  if (!m) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  bool ok = true;
  for (const auto& e : *m) {
    auto v = scalar(e.value, path + "." + e.key);
    if (v) out.emplace_back(e.key, std::move(*v));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<bool> Reader::boolean(const YAML::Node& node, const std::string& path) {
  auto s = scalar(node, path);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "True" || *s == "TRUE") return true;
  if (*s == "false" || *s == "False" || *s == "FALSE") return false;
  error(node, path + ": expected true or false, got '" + *s + "'");
  return std::nullopt;
}

std::optional<std::int64_t> Reader::integer(const YAML::Node& node, const std::string& path, std::int64_t lo,
                                            std::int64_t hi) {
  auto s = scalar(node, path);
  if (!s) return std::nullopt;
  auto v = parse_integer(*s, lo, hi);
  if (!v) {
    error(node, path + ": " + v.error().message);
    return std::nullopt;
  }
  return *v;
}

}  // namespace sla::yaml
