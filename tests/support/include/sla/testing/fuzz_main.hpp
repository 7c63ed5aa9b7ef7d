// The corpus runner shared by the fuzz targets when they are built without
// libFuzzer. Arguments, in any order of sections:
//   --replay DIR...   every regular file under each DIR (sorted), once: the
//                     committed libFuzzer corpus and the crash regressions;
//                     a missing DIR is skipped (git keeps no empty folder)
//   --mutate FILE...  each FILE (or every file under a directory), then a
//                     deterministic mutation pass of it
//                     (byte flips from `alphabet`, deletions, insertions,
//                     truncation); also the mode before any flag.
// A missing file is an error; a missing --replay DIR is skipped.
// Test-only.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace sla::testing {

using FuzzCheck = std::function<void(std::string_view)>;

/// A fuzz target's invariant: prints what was violated, then aborts
/// (libFuzzer and the corpus runner both report an abort as the failure,
/// libFuzzer with the stack and the input). No std::source_location: the
/// `fuzz` preset's clang 14 cannot compile libstdc++'s.
inline void fuzz_require(bool ok, const char* what) {
  if (ok) return;
  std::cerr << "invariant violated: " << what << "\n";
  std::abort();
}

inline bool read_fuzz_input(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

/// Runs `check` on `base` and `mutations` deterministic mutations of it
/// (seeded by `seed`); returns how many inputs ran.
inline long run_fuzz_mutations(const std::string& base, unsigned seed, const FuzzCheck& check, int mutations,
                               std::string_view alphabet) {
  long runs = 1;
  check(base);
  std::mt19937 rng(seed);
  auto pick = [&] { return alphabet.empty() ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()]; };
  for (int m = 0; m < mutations && !base.empty(); ++m, ++runs) {
    std::string t = base;
    const std::size_t at = rng() % t.size();
    switch (rng() % 4) {
      case 0: t[at] = pick(); break;
      case 1: t.erase(at, 1 + rng() % 4); break;
      case 2: t.insert(at, 1, pick()); break;
      default: t.resize(at); break;
    }
    check(t);
  }
  return runs;
}

/// Every regular file under `dir`, sorted (empty if `dir` does not exist).
inline std::vector<std::string> fuzz_corpus_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// Returns the process exit code: 1 if a file cannot be read, else 0 (a
/// crash or abort in a check is the failure the runner exists to catch).
/// `mutate_check` runs the --mutate files (default: `check`).
inline int run_fuzz_corpus(const char* name, int argc, char** argv, const FuzzCheck& check, int mutations_per_file,
                           std::string_view alphabet, const FuzzCheck& mutate_check = {}) {
  long replayed = 0;
  long mutated = 0;
  bool replay = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--replay" || arg == "--mutate") {
      replay = arg == "--replay";
      continue;
    }
    std::string text;
    std::error_code ec;
    const bool dir = std::filesystem::is_directory(arg, ec);
    if (replay && !dir) continue;  // no corpus or regressions committed yet
    const std::vector<std::string> files = dir ? fuzz_corpus_files(arg) : std::vector<std::string>{arg};
    unsigned seed = static_cast<unsigned>(i) * 7919U;
    for (const auto& f : files) {
      if (!read_fuzz_input(f, text)) {
        std::cerr << name << ": cannot read " << f << "\n";
        return 1;
      }
      if (replay) {
        check(text);
        ++replayed;
      } else {
        mutated += run_fuzz_mutations(text, seed++,
                                      mutate_check ? mutate_check : check, mutations_per_file, alphabet);
      }
    }
  }
  std::cout << name << ": " << replayed << " corpus inputs and " << mutated << " seed and mutated inputs ok\n";
  return 0;
}

}  // namespace sla::testing
