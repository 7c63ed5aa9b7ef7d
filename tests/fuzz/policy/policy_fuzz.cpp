// Fuzz target for the policy loader (SPEC 8: "Fuzzed: ... policy loading"):
// YAML text loaded as POST /v1/policy/validate loads it (allow_files off: no
// file of the host is read). LLVMFuzzerTestOneInput works with libFuzzer (the
// `fuzz` preset); without it main() is the corpus runner
// (sla/testing/fuzz_main.hpp) over the committed corpus and the seed policies.
// Invariants: never throws or crashes; a policy is returned iff no errors;
// every error has a message; lookups on a loaded policy are safe.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sla/policy/loader.hpp"
#include "sla/testing/fuzz_main.hpp"

namespace {

void check(std::string_view text) {
  sla::policy::LoadOptions opts;
  opts.file = "fuzz.yaml";
  opts.allow_files = false;
  opts.read_file = [](const std::string&) -> sla::Result<std::string> {
    std::abort();  // allow_files = false: the loader must never read a file
  };
  std::vector<sla::policy::LoadError> errors;
  auto policy = sla::policy::load_policy(text, opts, errors);
  sla::testing::fuzz_require((policy == nullptr) != errors.empty(), "a policy iff no errors");
  for (const auto& e : errors) sla::testing::fuzz_require(!e.message.empty(), "every error has a message");
  if (!policy) return;
  (void)policy->summary();
  for (const auto& [pn, plan] : policy->plans()) {
    for (const auto& [sn, sev] : plan.severities) {
      for (auto m : sla::policy::kAllMetrics) {
        (void)policy->target_at(pn, sn, m, 1'700'000'000'000);
        (void)policy->escalation_steps(pn, sn, m);
      }
    }
  }
  for (const auto& [rn, r] : policy->rotations()) (void)policy->on_call(rn, 1'700'000'000'000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifndef SLA_LIBFUZZER
int main(int argc, char** argv) {
  return sla::testing::run_fuzz_corpus("policy_fuzz", argc, argv, check, 300, "0123456789:-,[]{}\"' \nabcdefmnorstuwy#%");
}
#endif
