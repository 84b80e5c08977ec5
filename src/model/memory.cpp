#include "model/memory.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "qwen3/error.h"

namespace qwen3::model {
namespace {

// The value in kB of a "Key:   123 kB" line of a /proc file, in bytes; 0 if absent.
std::uint64_t proc_kb(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::istringstream s(line.substr(key.size() + 1));
      std::uint64_t kb = 0;
      s >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

}  // namespace

std::uint64_t available_memory_bytes() { return proc_kb("/proc/meminfo", "MemAvailable"); }
std::uint64_t peak_resident_bytes() { return proc_kb("/proc/self/status", "VmHWM"); }

bool reset_peak_resident() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  const bool ok = std::fputs("5", f) >= 0;  // 5: reset the peak resident set to the current one
  return std::fclose(f) == 0 && ok;
}

std::string gib(std::uint64_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return s;
}

void check_memory(std::uint64_t weight_bytes, std::uint64_t kv_bytes, std::int64_t kv_tokens, std::int64_t ctx) {
  const std::uint64_t available = available_memory_bytes();
  if (available == 0) return;  // no /proc/meminfo: nothing to check against
  if (weight_bytes + kv_bytes > available)
    throw Error("not enough memory: the weights need " + gib(weight_bytes) + " and the KV cache for " +
                (kv_tokens < ctx
                     ? "its first " + std::to_string(kv_tokens) + " tokens (ctx = " + std::to_string(ctx) + ")"
                     : "ctx = " + std::to_string(ctx)) +
                " needs " + gib(kv_bytes) + ", but only " + gib(available) +
                " is available (lower ctx, use dtype bf16 or kv_dtype bf16)");
}

void check_kv_growth(std::uint64_t bytes, std::uint64_t available, std::int64_t from, std::int64_t to,
                     std::int64_t ctx) {
  if (available == 0 || bytes <= available) return;
  throw Error("not enough memory for the KV cache beyond " + std::to_string(from) + " tokens: growing it to " +
              std::to_string(to) + " tokens needs " + gib(bytes) + " more, but only " + gib(available) +
              " is available (the context is limited by memory, not by ctx = " + std::to_string(ctx) +
              "; free memory, or use kv_dtype bf16)");
}

}  // namespace qwen3::model
