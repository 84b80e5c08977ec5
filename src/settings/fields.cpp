// Setting names, values as text, and the ranges of the general settings.
#include <cctype>
#include <charconv>
#include <string>

#include "qwen3/error.h"
#include "qwen3/vocab.h"
#include "settings/fields.h"

namespace qwen3::settings {

std::string env_name(std::string_view key) {
  std::string name = "QWEN3_";
  for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string flag_name(std::string_view key) {
  std::string name = "--";
  for (char c : key) name += c == '_' ? '-' : c;
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
  return parse_number(text, out);
}
bool parse_text(std::string_view text, WeightDType& out) {
  const auto t = lower(text);
  if (t == "auto") return out = WeightDType::Auto, true;
  if (t == "bf16") return out = WeightDType::BF16, true;
  if (t == "f32") return out = WeightDType::F32, true;
  return false;
}

std::string to_toml(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}
std::string to_toml(int v) { return std::to_string(v); }
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
    case WeightDType::BF16: return "\"bf16\"";
    case WeightDType::F32: return "\"f32\"";
    case WeightDType::Auto: break;
  }
  return "\"auto\"";
}

void validate_general(const Settings& s) {
  auto out_of_range = [](std::string_view key, int v, std::string_view expected) {
    throw Error(std::string(key) + " = " + std::to_string(v) + " is out of range: expected " +
                std::string(expected));
  };
  if (s.model.source != Source::Builtin && s.model.value.empty())
    throw Error("model = \"\" is empty: expected a model folder or a hub id such as \"Qwen/Qwen3-4B\"");
  if (s.device.value != "cpu")
    throw Error("device = " + to_toml(s.device.value) + " is not supported: expected \"cpu\"");
  if (s.threads.value < 0) out_of_range("threads", s.threads.value, "threads >= 0 (0 = all cores)");
  if (s.ctx.value < 1) out_of_range("ctx", s.ctx.value, "ctx >= 1 (tokens)");
  if (s.thinking_budget.value < -1)
    out_of_range("thinking_budget", s.thinking_budget.value,
                 "thinking_budget >= -1 (-1 = no limit, 0 = no thinking)");
  if (s.english_only.value != "off") {
    try {
      vocab::Policy::parse(s.english_only.value);
    } catch (const Error& e) {
      throw Error("english_only = " + to_toml(s.english_only.value) +
                  ": expected \"off\" or a vocab policy: " + e.what());
    }
  }
}

}  // namespace qwen3::settings
