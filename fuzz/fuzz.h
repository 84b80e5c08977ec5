#pragma once
// The fuzz targets' harness (fuzz/README in docs/reliability.md): each target
// is a function of the input bytes, registered by name with QWEN3_FUZZ_TARGET.
// The same functions are built three ways: one libFuzzer program per target
// (fuzz_NAME), one multiplexed program (fuzz_all, the target named by
// $QWEN3_FUZZ_TARGET), and, with the ordinary compiler, the regression test
// tests/fuzz (every seed and every input that ever failed, run again).
//
// A target fails (abort, or a test failure in the regression test) when the
// code under test breaks the error contract: an exception other than
// qwen3::Error (or the server's ApiError), an error message of more than one
// line or an empty one, or a property the target checks. Crashes, hangs and
// sanitizer reports are found by the fuzzer itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3::fuzz {

using Target = int (*)(const std::uint8_t* data, std::size_t size);

// name -> target, for fuzz_all and the regression test.
std::map<std::string, Target>& targets();
bool register_target(const char* name, Target target);

// Reports a broken property: aborts in the fuzzers; the regression test
// replaces the handler to fail the test instead.
[[noreturn]] void fail(const std::string& what);
void set_fail_handler(std::function<void(const std::string&)> handler);

// Runs f() and checks the error contract: returns true when f returned,
// false when it threw a one-line qwen3::Error; anything else fails.
bool returns_or_errs(const std::function<void()>& f);

// Input data the targets need. Each is found in order: the environment
// variable, the bundle folder beside the program (scripts/fuzz-bundle.sh),
// the path the build was configured with.
std::filesystem::path tokenizer_dir();  // $QWEN3_TOKENIZER_DIR, <exe>/data/tokenizer
std::filesystem::path fixture_dir();    // $QWEN3_SHARED_DIR/fixtures/tiny-qwen3-a, <exe>/data/tiny-qwen3-a

// The Qwen3 tokenizer, loaded once.
const Tokenizer& qwen3_tokenizer();

// A private temporary folder for this process, removed at exit; files the
// targets write go there and nowhere else.
const std::filesystem::path& temp_dir();
// Writes bytes to temp_dir()/name and returns the path.
std::filesystem::path write_temp(const std::string& name, std::string_view bytes);

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Token ids from the input: 3 bytes each, little-endian, modulo `modulus`
// (so that most ids are in range; the targets that test the range check
// use raw 4-byte ids instead).
std::vector<TokenId> ids_from(std::span<const std::uint8_t> bytes, std::uint32_t modulus);

}  // namespace qwen3::fuzz

// QWEN3_FUZZ_TARGET(name) { ... data, size ... return 0; }
#define QWEN3_FUZZ_CONCAT2(a, b) a##b
#define QWEN3_FUZZ_CONCAT(a, b) QWEN3_FUZZ_CONCAT2(a, b)
#ifdef QWEN3_FUZZ_ALL
#define QWEN3_FUZZ_ENTRY(name)
#else
#define QWEN3_FUZZ_ENTRY(name)                                                        \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    return QWEN3_FUZZ_CONCAT(fuzz_target_, name)(data, size);                         \
  }
#endif
#define QWEN3_FUZZ_TARGET(name)                                                                 \
  static int QWEN3_FUZZ_CONCAT(fuzz_target_, name)(const std::uint8_t* data, std::size_t size); \
  [[maybe_unused]] static const bool QWEN3_FUZZ_CONCAT(fuzz_registered_, name) =                \
      ::qwen3::fuzz::register_target(#name, QWEN3_FUZZ_CONCAT(fuzz_target_, name));             \
  QWEN3_FUZZ_ENTRY(name)                                                                        \
  static int QWEN3_FUZZ_CONCAT(fuzz_target_, name)(const std::uint8_t* data, std::size_t size)
