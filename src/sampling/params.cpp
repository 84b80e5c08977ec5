// Qwen3's sampling presets, the range of every parameter, and advice for
// settings that are valid but discouraged.
#include <charconv>
#include <cmath>
#include <string>

#include "qwen3/error.h"
#include "qwen3/sampling.h"

namespace qwen3 {
namespace {

// Shortest text that reads back as the same float: 1.5 -> "1.5", 0.1f -> "0.1".
std::string format_value(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}
std::string format_value(long long v) { return std::to_string(v); }

template <typename T>
[[noreturn]] void out_of_range(const char* name, T value, const std::string& expected) {
  throw Error(std::string(name) + " = " + format_value(value) + " is out of range: expected " + expected);
}

// Every float must be finite; the comparisons below are written so that NaN
// fails them too.
void check_float(const char* name, float v, bool ok, const char* expected) {
  if (!std::isfinite(v) || !ok) out_of_range(name, v, expected);
}

}  // namespace

SamplingParams sampling_preset(SamplingMode mode) {
  SamplingParams p;  // the defaults are the thinking preset (also the model's generation_config.json)
  if (mode == SamplingMode::NonThinking) {
    p.temperature = 0.7f;
    p.top_p = 0.8f;
    p.top_k = 20;
    p.min_p = 0.0f;
  }
  return p;
}

void validate(const SamplingParams& p) {
  check_float("temperature", p.temperature, p.temperature >= 0.0f, "temperature >= 0 (0 = greedy)");
  check_float("top_p", p.top_p, p.top_p > 0.0f && p.top_p <= 1.0f, "0 < top_p <= 1");
  if (p.top_k < 0) out_of_range("top_k", static_cast<long long>(p.top_k), "top_k >= 0 (0 = disabled)");
  check_float("min_p", p.min_p, p.min_p >= 0.0f && p.min_p <= 1.0f, "0 <= min_p <= 1");
  check_float("presence_penalty", p.presence_penalty, p.presence_penalty >= -2.0f && p.presence_penalty <= 2.0f,
              "-2 <= presence_penalty <= 2");
  check_float("frequency_penalty", p.frequency_penalty, p.frequency_penalty >= -2.0f && p.frequency_penalty <= 2.0f,
              "-2 <= frequency_penalty <= 2");
  check_float("repetition_penalty", p.repetition_penalty, p.repetition_penalty > 0.0f,
              "repetition_penalty > 0 (1 = off)");
  if (p.max_new_tokens < 1)
    out_of_range("max_new_tokens", static_cast<long long>(p.max_new_tokens), "max_new_tokens >= 1");
}

std::vector<std::string> sampling_warnings(const SamplingParams& p, SamplingMode mode) {
  std::vector<std::string> warnings;
  if (mode == SamplingMode::Thinking && p.greedy())
    warnings.push_back(
        "temperature = 0 (greedy decoding) in thinking mode: Qwen advises against greedy "
        "decoding with thinking, it can degrade quality and cause endless repetition; the "
        "thinking preset is temperature 0.6, top_p 0.95, top_k 20");
  if (p.presence_penalty > 1.5f)
    warnings.push_back("presence_penalty = " + format_value(p.presence_penalty) +
                       ": Qwen suggests at most 1.5; higher values may cause language mixing");
  return warnings;
}

}  // namespace qwen3
