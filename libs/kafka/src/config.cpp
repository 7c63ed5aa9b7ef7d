#include "sla/kafka/config.hpp"

#include <cctype>

extern char** environ;  // POSIX

namespace sla::kafka {

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view line(*entry);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return env;
}

KafkaConfig with_env(KafkaConfig base, const Environment& env) {
  const auto overlay = [&env](const char* name, std::string& field) {
    if (const auto it = env.find(name); it != env.end()) field = it->second;
  };
  overlay("SLA_KAFKA_BROKERS", base.brokers);
  overlay("SLA_KAFKA_SECURITY_PROTOCOL", base.security_protocol);
  overlay("SLA_KAFKA_SASL_MECHANISM", base.sasl_mechanism);
  overlay("SLA_KAFKA_SASL_USERNAME", base.sasl_username);
  overlay("SLA_KAFKA_SASL_PASSWORD", base.sasl_password);
  overlay("SLA_KAFKA_GROUP_ID", base.group_id);
  overlay("SLA_KAFKA_GROUP_INSTANCE_ID", base.group_instance_id);
  overlay("SLA_KAFKA_CLIENT_ID", base.client_id);
  constexpr std::string_view kPrefix = "SLA_KAFKA_PROPERTY_";
  for (const auto& [name, value] : env) {
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) continue;
    std::string property;
    for (const char c : std::string_view(name).substr(kPrefix.size())) {
      property += c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    base.properties[property] = value;
  }
  return base;
}

std::map<std::string, std::string> to_properties(const KafkaConfig& config) {
  std::map<std::string, std::string> props;
  const auto set = [&props](const char* name, const std::string& value) {
    if (!value.empty()) props[name] = value;
  };
  set("bootstrap.servers", config.brokers);
  set("security.protocol", config.security_protocol);
  set("sasl.mechanisms", config.sasl_mechanism);
  set("sasl.username", config.sasl_username);
  set("sasl.password", config.sasl_password);
  set("client.id", config.client_id);
  for (const auto& [name, value] : config.properties) props[name] = value;
  return props;
}

}  // namespace sla::kafka
