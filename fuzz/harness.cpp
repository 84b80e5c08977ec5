// The fuzz targets' shared harness: registry, error contract, data, temp files.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include "fuzz/fuzz.h"
#include "qwen3/error.h"

#ifndef QWEN3_FUZZ_TOKENIZER_DIR
#define QWEN3_FUZZ_TOKENIZER_DIR ""
#endif
#ifndef QWEN3_FUZZ_SHARED_DIR
#define QWEN3_FUZZ_SHARED_DIR ""
#endif

namespace qwen3::fuzz {
namespace fs = std::filesystem;

std::map<std::string, Target>& targets() {
  static std::map<std::string, Target> all;
  return all;
}

bool register_target(const char* name, Target target) {
  targets()[name] = target;
  return true;
}

namespace {
std::function<void(const std::string&)>& fail_handler() {
  static std::function<void(const std::string&)> handler;
  return handler;
}

fs::path exe_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// The first of: $VAR (joined with `under`), <exe>/data/bundled, configured (joined with `under`).
fs::path find_data(const char* var, const fs::path& under, const std::string& bundled, const char* configured) {
  std::error_code ec;
  if (const char* v = std::getenv(var); v && *v) return fs::path(v) / under;
  if (const fs::path b = exe_dir() / "data" / bundled; fs::is_directory(b, ec)) return b;
  if (*configured) return fs::path(configured) / under;
  fail(std::string("no data for the fuzz targets: set ") + var);
}
}  // namespace

void set_fail_handler(std::function<void(const std::string&)> handler) { fail_handler() = std::move(handler); }

void fail(const std::string& what) {
  if (fail_handler()) fail_handler()(what);
  std::fprintf(stderr, "qwen3 fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

bool returns_or_errs(const std::function<void()>& f) {
  try {
    f();
    return true;
  } catch (const Error& e) {
    const std::string_view m = e.what();
    if (m.empty()) fail("an empty error message");
    if (m.find('\n') != std::string_view::npos) fail("an error message of more than one line: " + std::string(m));
    return false;
  } catch (const std::exception& e) {
    fail(std::string("an exception other than qwen3::Error (\"internal error\"): ") + e.what());
  }
}

fs::path tokenizer_dir() { return find_data("QWEN3_TOKENIZER_DIR", "", "tokenizer", QWEN3_FUZZ_TOKENIZER_DIR); }

fs::path fixture_dir() {
  return find_data("QWEN3_SHARED_DIR", "fixtures/tiny-qwen3-a", "tiny-qwen3-a", QWEN3_FUZZ_SHARED_DIR);
}

const Tokenizer& qwen3_tokenizer() {
  static const Tokenizer tokenizer = Tokenizer::load(tokenizer_dir());
  return tokenizer;
}

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/qwen3-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) fail("cannot create a temporary folder from " + tmpl);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
}  // namespace

const fs::path& temp_dir() {
  static const TempDir dir;
  return dir.path;
}

fs::path write_temp(const std::string& name, std::string_view bytes) {
  const fs::path p = temp_dir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) fail("cannot write " + p.string());
  return p;
}

std::vector<TokenId> ids_from(std::span<const std::uint8_t> bytes, std::uint32_t modulus) {
  std::vector<TokenId> ids;
  for (std::size_t i = 0; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16);
    ids.push_back(static_cast<TokenId>(v % modulus));
  }
  return ids;
}

}  // namespace qwen3::fuzz
