// The `calendars:` section (handed to sla::calendar, whose errors are
// merged as they are) and calendar references from targets and plans.
#include "builder.hpp"

namespace sla::policy::detail {

void Builder::load_calendars(const Entry* e) {
  calendar_names_.insert("24x7");
  YAML::Node node;  // undefined/null -> only 24x7
  if (e != nullptr) {
    node = e->value;
    mark_of(e->key_node);
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar()) calendar_names_.insert(it->first.Scalar());
      }
    }
  }
  std::vector<LoadError> cal_errors;
  calendar::LoadOptions copts = options_;
  auto set = calendar::load_calendars(node, copts, cal_errors);
  reader_.add(std::move(cal_errors));  // the same error type: calendar::LoadError is yaml::Error
  if (set) {
    policy_->calendars_ = std::move(set);
    calendars_ok_ = true;
  } else {
    policy_->calendars_ = std::make_shared<calendar::CalendarSet>();
  }
}

const calendar::Calendar* Builder::resolve_calendar(const YAML::Node& node, const std::string& path, bool& ok) {
  auto name = nonempty_scalar(node, path);
  if (!name) {
    ok = false;
    return nullptr;
  }
  if (calendars_ok_) {
    if (const auto* c = policy_->calendars_->find(*name)) return c;
  } else if (calendar_names_.count(*name) != 0) {
    return nullptr;  // exists but failed to load; its own errors say why
  }
  std::vector<std::string> known(calendar_names_.begin(), calendar_names_.end());
  error(node, path + ": unknown calendar '" + *name + "' (defined: " + join(known) + ")");
  ok = false;
  return nullptr;
}


}  // namespace sla::policy::detail
