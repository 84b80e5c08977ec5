// Setting names, values as text, and the ranges of the general settings.
#include <cctype>
#include <charconv>
#include <cstdio>
#include <string>

#include "qwen3/error.h"
#include "qwen3/vocab.h"
#include "common/utf8.h"
#include "qwen3/settings.h"

namespace qwen3 {

std::string env_name(std::string_view key) {
  std::string name = "QWEN3_";
  for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

namespace {
template <typename T>
bool parse_number(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::string lower(std::string_view text) {
  std::string s(text);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

bool parse_text(std::string_view text, std::string& out) {
  out = std::string(text);
  return true;
}
bool parse_text(std::string_view text, int& out) { return parse_number(text, out); }
bool parse_text(std::string_view text, float& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);  // from_chars rejects '+'
  return parse_number(text, out);
}
bool parse_text(std::string_view text, bool& out) {
  const auto t = lower(text);
  if (t == "1" || t == "true" || t == "yes" || t == "on") return out = true, true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return out = false, true;
  return false;
}
bool parse_text(std::string_view text, std::uint64_t& out) {
  if (lower(text) == "random") return out = kRandomSeed, true;
  // 2^64-1 is the "random" sentinel: as a number it would silently mean random.
  return parse_number(text, out) && out != kRandomSeed;
}
bool parse_text(std::string_view text, std::vector<std::string>& out) {
  out.emplace_back(text);
  return true;
}
bool parse_text(std::string_view text, WeightDType& out) {
  const auto t = lower(text);
  if (t == "auto") return out = WeightDType::Auto, true;
  if (t == "bf16") return out = WeightDType::BF16, true;
  if (t == "f32") return out = WeightDType::F32, true;
  if (t == "q8_0") return out = WeightDType::Q8_0, true;
  if (t == "q4_0") return out = WeightDType::Q4_0, true;
  return false;
}
bool parse_text(std::string_view text, KvDType& out) {
  const auto t = lower(text);
  if (t == "bf16") return out = KvDType::BF16, true;
  if (t == "f32") return out = KvDType::F32, true;
  return false;
}

std::string to_toml(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}
std::string to_toml(int v) { return std::to_string(v); }
std::string to_toml(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + to_toml(v[i]);
  return out + "]";
}
double shortest(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  double d = 0;
  std::from_chars(buf, end, d);
  return d;
}
std::string to_toml(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, end);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";  // a TOML float needs '.' or 'e'
  return s;
}
std::string to_toml(bool v) { return v ? "true" : "false"; }
std::string to_toml(std::uint64_t v) { return v == kRandomSeed ? "\"random\"" : std::to_string(v); }
std::string to_toml(WeightDType v) {
  switch (v) {
    case WeightDType::BF16:
      return "\"bf16\"";
    case WeightDType::F32:
      return "\"f32\"";
    case WeightDType::Q8_0:
      return "\"q8_0\"";
    case WeightDType::Q4_0:
      return "\"q4_0\"";
    case WeightDType::Auto:
      break;
  }
  return "\"auto\"";
}
std::string to_toml(KvDType v) { return v == KvDType::F32 ? "\"f32\"" : "\"bf16\""; }

void validate_options(const Settings& s) {
  auto out_of_range = [](std::string_view key, int v, std::string_view expected) {
    throw Error(std::string(key) + " = " + std::to_string(v) + " is out of range: expected " + std::string(expected));
  };
  if (s.model.source != Source::Builtin && s.model.value.empty())
    throw Error("model = \"\" is empty: expected a model folder or a hub id such as \"Qwen/Qwen3-4B\"");
  if (s.device.value != "cpu")
    throw Error("device = " + to_toml(s.device.value) + " is not supported: expected \"cpu\"");
  if (s.chat_template.value != "auto" && s.chat_template.value != "official")
    throw Error("chat_template = " + to_toml(s.chat_template.value) +
                " is not supported: expected \"auto\" or \"official\"");
  if (s.threads.value < 0 || s.threads.value > kMaxThreads)
    out_of_range("threads", s.threads.value, "0 <= threads <= " + std::to_string(kMaxThreads) + " (0 = all cores)");
  if (s.ctx.value < 1) out_of_range("ctx", s.ctx.value, "ctx >= 1 (tokens)");
  if (s.thinking_budget.value < -1)
    out_of_range("thinking_budget", s.thinking_budget.value, "thinking_budget >= -1 (-1 = no limit, 0 = no thinking)");
  if (!is_valid_utf8(s.thinking_budget_text.value))
    throw Error("thinking_budget_text: invalid UTF-8 (expected UTF-8 text)");
  if (s.thinking_budget_text.value.find("</think>") == std::string::npos)
    throw Error("thinking_budget_text = " + to_toml(s.thinking_budget_text.value) +
                " does not close the think block: expected text containing </think>");
  if (s.repetition_guard.value < 0 || s.repetition_guard.value == 1)
    out_of_range("repetition_guard", s.repetition_guard.value, "repetition_guard = 0 (off) or >= 2 (repeats)");
  if (s.repetition_min_period.value < 1 || s.repetition_min_period.value > kMaxRepetitionPeriod)
    out_of_range("repetition_min_period", s.repetition_min_period.value,
                 "1 <= repetition_min_period <= " + std::to_string(kMaxRepetitionPeriod));
  for (const auto& stop : s.stop.value)
    if (stop.empty() || !is_valid_utf8(stop))
      throw Error("stop = " + to_toml(stop) + ": expected a non-empty UTF-8 stop string");
  const auto either = [](std::string_view key, const std::string& v, std::string_view a, std::string_view b) {
    if (v != a && v != b)
      throw Error(std::string(key) + " = " + to_toml(v) + ": expected \"" + std::string(a) + "\" or \"" +
                  std::string(b) + "\"");
  };
  either("special_tokens_in_content", s.special_tokens_in_content.value, "parse", "text");
  either("activations", s.activations.value, "f32", "bf16");
  if (!s.endpoint.value.empty()) {
    const std::string& url = s.endpoint.value;
    const std::size_t scheme = url.rfind("http://", 0) == 0 ? 7 : url.rfind("https://", 0) == 0 ? 8 : 0;
    const std::size_t host_end = scheme ? url.find_first_of("/?#", scheme) : 0;
    const std::string host =
        scheme ? url.substr(scheme, host_end == std::string::npos ? std::string::npos : host_end - scheme) : "";
    if (!scheme || host.empty() || host.front() == ':' || host.find_first_of(" \t@") != std::string::npos ||
        url.find_first_of(" \t\r\n") != std::string::npos)
      throw Error("endpoint = " + to_toml(url) +
                  " is not a server URL: expected http://HOST[:PORT][/v1] or https://HOST[:PORT][/v1]");
  }
  if (s.api_key.value.find_first_of("\r\n") != std::string::npos)
    throw Error("api_key: a line break in the key (expected one line; the key is not shown)");
  if (s.english_only.value != "off") {
    try {
      vocab::Policy::parse(s.english_only.value);
    } catch (const Error& e) {
      throw Error("english_only = " + to_toml(s.english_only.value) +
                  ": expected \"off\" or a vocab policy: " + e.what());
    }
  }
}

}  // namespace qwen3
