#pragma once
// The one mechanism by which tests find data outside the repository: CTest
// sets these environment variables from the CMake cache (see tests/CMakeLists.txt).
//   QWEN3_TOKENIZER_DIR  folder with the Qwen3 tokenizer.json (scripts/fetch-tokenizer.sh)
//   QWEN3_SHARED_DIR     the shared ground truth (golden vectors, fixtures)
//   QWEN3_TEST_DATA      tests/data in this repository
//   QWEN3_BIN            the built qwen3 program, for command-line tests
//   QWEN3_WORD_LIST      optional; an English word list (default: Debian wamerican's)
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace qwen3::test {

inline std::filesystem::path env_path(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string("environment variable ") + name + " is not set: run the tests through ctest");
  return v;
}

inline std::filesystem::path tokenizer_dir() { return env_path("QWEN3_TOKENIZER_DIR"); }
inline std::filesystem::path shared_dir() { return env_path("QWEN3_SHARED_DIR"); }
inline std::filesystem::path test_data() { return env_path("QWEN3_TEST_DATA"); }
inline std::filesystem::path qwen3_bin() { return env_path("QWEN3_BIN"); }
inline std::filesystem::path source_dir() { return env_path("QWEN3_SOURCE_DIR"); }
inline std::filesystem::path english_word_list() {
  const char* v = std::getenv("QWEN3_WORD_LIST");
  return v && *v ? std::filesystem::path(v) : std::filesystem::path("/usr/share/dict/american-english");
}
inline std::filesystem::path fixture_dir(const std::string& name = "tiny-qwen3-a") {
  return shared_dir() / "fixtures" / name;
}

// The fixture's folder as a command-line argument (--model).
inline std::string fixture_arg() { return fixture_dir().string(); }

}  // namespace qwen3::test
