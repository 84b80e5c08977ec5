// fuzz_all: every fuzz target in one libFuzzer program, the one to run
// named by $QWEN3_FUZZ_TARGET (scripts/fuzz-run.sh runs them all in
// parallel from the bundle scripts/fuzz-bundle.sh makes).
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz.h"

namespace {
qwen3::fuzz::Target chosen = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const auto& all = qwen3::fuzz::targets();
  const char* name = std::getenv("QWEN3_FUZZ_TARGET");
  if (name)
    if (auto it = all.find(name); it != all.end()) chosen = it->second;
  if (!chosen) {
    std::fprintf(stderr, "fuzz_all: set QWEN3_FUZZ_TARGET to one of:");
    for (const auto& [n, t] : all) std::fprintf(stderr, " %s", n.c_str());
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { return chosen(data, size); }
