// The policy YAML loader's entry points and top level. One pass per section
// in dependency order (calendars, paging, global rules, plans, escalations),
// collecting every error with its position instead of stopping at the
// first; the policy is only returned when there were none. The sections are
// in load_*.cpp, the shared state in builder.hpp.
#include "builder.hpp"

namespace sla::policy {
namespace detail {


std::shared_ptr<const Policy> Builder::build(std::string_view text) {
  policy_.reset(new Policy());  // private constructor: make_shared cannot reach it
  const YAML::Node root = reader_.parse(text);
  if (reader_.error_count() == 0) {
    try {
      load_top(root);
    } catch (const YAML::Exception& ex) {
      // Should not happen (every access is checked); report instead of throwing.
      error_at(ex.mark, std::string("YAML error: ") + ex.what());
    }
  }
  const bool failed = reader_.error_count() != 0;
  for (auto& e : reader_.take_sorted_errors()) errors_.push_back(std::move(e));
  if (failed) return nullptr;
  link_steps();
  return std::move(policy_);
}

// Sections in dependency order: calendars, paging, global rules, plans,
// escalations (each refers only to what comes before it).
void Builder::load_top(const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) {
    error_at(YAML::Mark(), "the policy is empty (expected a mapping with version, policy_id and plans)");
    return;
  }
  auto top = mapping(root, "the policy",
                     {"version", "policy_id", "description", "calendars", "plans", "warnings", "after_breach",
                      "pause_on", "on_retarget", "on_reopen", "escalations", "paging"});
  if (!top) return;
  const Entries& t = *top;
  if (const Entry* v = find(t, "version")) {
    auto s = scalar(v->value, "version");
    if (s && *s != "1") error(v->value, "version: unsupported version '" + *s + "' (only 1 is supported)");
  } else {
    error(root, "missing required key 'version' (version: 1)");
  }
  if (const Entry* id = find(t, "policy_id")) {
    if (auto s = nonempty_scalar(id->value, "policy_id")) policy_->id_ = *s;
  } else {
    error(root, "missing required key 'policy_id'");
  }
  if (const Entry* d = find(t, "description")) (void)scalar(d->value, "description");
  load_calendars(find(t, "calendars"));
  if (const Entry* p = find(t, "paging")) load_paging(*p);
  load_rules(t);
  if (const Entry* p = find(t, "plans")) {
    const std::size_t before = reader_.error_count();
    load_plans(*p);
    plans_ok_ = reader_.error_count() == before;
  } else {
    error(root, "missing required key 'plans'");
  }
  if (const Entry* e = find(t, "escalations")) load_escalations(*e);
  number_attribute_ladders();
  if (plans_ok_) check_clock_items();
}

// The global rules targets inherit: warnings, after_breach, pause_on,
// on_retarget, on_reopen.
void Builder::load_rules(const Entries& t) {
  if (const Entry* w = find(t, "warnings")) {
    if (auto ws = load_warnings(w->value, "warnings")) policy_->warnings_ = std::move(*ws);
  }
  if (const Entry* a = find(t, "after_breach")) {
    if (auto ab = load_after_breach(a->value, "after_breach")) policy_->after_breach_ = *ab;
  }
  if (const Entry* p = find(t, "pause_on")) {
    if (auto l = string_list(p->value, "pause_on")) policy_->pause_on_ = std::move(*l);
  }
  if (const Entry* r = find(t, "on_retarget")) {
    if (auto s = scalar(r->value, "on_retarget")) {
      if (*s == "keep_elapsed") {
        policy_->on_retarget_ = OnRetarget::kKeepElapsed;
      } else if (*s == "restart") {
        policy_->on_retarget_ = OnRetarget::kRestart;
      } else {
        error(r->value, "on_retarget: unknown value '" + *s + "' (expected keep_elapsed or restart)");
      }
    }
  }
  if (const Entry* r = find(t, "on_reopen")) load_on_reopen(*r);
}

}  // namespace detail

std::shared_ptr<const Policy> load_policy(std::string_view yaml_text, const LoadOptions& options,
                                          std::vector<LoadError>& errors) {
  detail::Builder b(options, errors);
  return b.build(yaml_text);
}

std::shared_ptr<const Policy> load_policy_file(const std::string& path, const LoadOptions& options,
                                               std::vector<LoadError>& errors) {
  LoadOptions opts = options;
  if (opts.file.empty()) opts.file = path;
  if (!opts.read_file) {
    errors.push_back(LoadError{opts.file, 0, 0, "no file reader configured"});
    return nullptr;
  }
  auto text = opts.read_file(path);
  if (!text) {
    errors.push_back(LoadError{opts.file, 0, 0, "cannot read policy: " + text.error().message});
    return nullptr;
  }
  return load_policy(*text, opts, errors);
}


}  // namespace sla::policy
