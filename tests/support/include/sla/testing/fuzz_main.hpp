// The corpus runner shared by the fuzz targets when they are built without
// libFuzzer: runs every file named on the command line through the target,
// then a deterministic mutation pass of each (byte flips from `alphabet`,
// deletions, insertions, truncation). Test-only.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

namespace sla::testing {

/// Returns the process exit code: 1 if a file cannot be read, else 0 (a
/// crash or abort in `check` is the failure the runner exists to catch).
inline int run_fuzz_corpus(const char* name, int argc, char** argv, const std::function<void(std::string_view)>& check,
                           int mutations_per_file, std::string_view alphabet) {
  long runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << name << ": cannot open " << argv[i] << "\n";
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string base = ss.str();
    check(base);
    ++runs;
    std::mt19937 rng(static_cast<unsigned>(i));
    for (int m = 0; m < mutations_per_file && !base.empty(); ++m) {
      std::string t = base;
      const std::size_t at = rng() % t.size();
      switch (rng() % 4) {
        case 0: t[at] = alphabet.empty() ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(at, 1 + rng() % 4); break;
        case 2: t.insert(at, 1, alphabet.empty() ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()]); break;
        default: t.resize(at); break;
      }
      check(t);
      ++runs;
    }
  }
  std::cout << name << ": " << runs << " inputs ok\n";
  return 0;
}

}  // namespace sla::testing
