#pragma once
// Every setting once, by name: the config-file key, from which the
// environment variable (QWEN3_ + upper case) and the flag (--, '_' -> '-')
// are derived. Each source is written once against these lists.
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "qwen3/error.h"
#include "qwen3/settings.h"

namespace qwen3::settings {

// v(key, member) for each general (non-sampling) setting. S: Settings or
// SettingOverrides (same member names), const or not.
template <typename S, typename Visitor>
void visit_general(S& s, Visitor&& v) {
  v(std::string_view("model"), s.model);
  v(std::string_view("device"), s.device);
  v(std::string_view("dtype"), s.dtype);
  v(std::string_view("threads"), s.threads);
  v(std::string_view("ctx"), s.ctx);
  v(std::string_view("enable_thinking"), s.enable_thinking);
  v(std::string_view("thinking_budget"), s.thinking_budget);
  v(std::string_view("english_only"), s.english_only);
}

// v(key, member) for each parameter of a preset, with validate()'s names.
// S: SamplingSettings or SamplingOverrides, const or not.
template <typename S, typename Visitor>
void visit_sampling(S& s, Visitor&& v) {
  v(std::string_view("temperature"), s.temperature);
  v(std::string_view("top_p"), s.top_p);
  v(std::string_view("top_k"), s.top_k);
  v(std::string_view("min_p"), s.min_p);
  v(std::string_view("presence_penalty"), s.presence_penalty);
  v(std::string_view("frequency_penalty"), s.frequency_penalty);
  v(std::string_view("repetition_penalty"), s.repetition_penalty);
  v(std::string_view("seed"), s.seed);
  v(std::string_view("max_new_tokens"), s.max_new_tokens);
}

// The plain type behind a member: Setting<T>, std::optional<T> or T -> T.
template <typename T> struct plain_type { using type = T; };
template <typename T> struct plain_type<Setting<T>> { using type = T; };
template <typename T> struct plain_type<std::optional<T>> { using type = T; };
template <typename T> using plain_type_t = typename plain_type<std::remove_cv_t<T>>::type;

// f(key, a_member, b_member) for the members of `a` and `b` with the same
// name, e.g. a SamplingOverrides and a SamplingSettings, or a SamplingParams
// and a SamplingSettings (all share the parameter names). f is only
// instantiated for pairs of the same plain type.
template <typename A, typename B, typename F>
void zip_sampling(A& a, B& b, F&& f) {
  visit_sampling(a, [&](std::string_view key, auto& from_a) {
    visit_sampling(b, [&](std::string_view name, auto& from_b) {
      using TA = plain_type_t<std::remove_reference_t<decltype(from_a)>>;
      using TB = plain_type_t<std::remove_reference_t<decltype(from_b)>>;
      if constexpr (std::is_same_v<TA, TB>)
        if (name == key) f(key, from_a, from_b);
    });
  });
}
template <typename A, typename B, typename F>
void zip_general(A& a, B& b, F&& f) {
  visit_general(a, [&](std::string_view key, auto& from_a) {
    visit_general(b, [&](std::string_view name, auto& from_b) {
      using TA = plain_type_t<std::remove_reference_t<decltype(from_a)>>;
      using TB = plain_type_t<std::remove_reference_t<decltype(from_b)>>;
      if constexpr (std::is_same_v<TA, TB>)
        if (name == key) f(key, from_a, from_b);
    });
  });
}

std::string env_name(std::string_view key);   // "top_p" -> "QWEN3_TOP_P"
std::string flag_name(std::string_view key);  // "top_p" -> "--top-p"

// Values as users write them ("bf16", "random", 0.6): text <-> value.
// parse_text returns false when `text` is not a T; expected<T>() says what is.
bool parse_text(std::string_view text, std::string& out);
bool parse_text(std::string_view text, int& out);
bool parse_text(std::string_view text, float& out);
bool parse_text(std::string_view text, bool& out);
bool parse_text(std::string_view text, std::uint64_t& out);  // seed: digits or "random"
bool parse_text(std::string_view text, WeightDType& out);

template <typename T> std::string_view expected();
template <> inline std::string_view expected<std::string>() { return "a string"; }
template <> inline std::string_view expected<int>() { return "an integer"; }
template <> inline std::string_view expected<float>() { return "a number"; }
template <> inline std::string_view expected<bool>() { return "true or false"; }
template <> inline std::string_view expected<std::uint64_t>() { return "an integer >= 0 or \"random\""; }
template <> inline std::string_view expected<WeightDType>() { return "\"auto\", \"bf16\" or \"f32\""; }

// TOML spelling of a value: "cpu" -> "\"cpu\"", 0.6f -> "0.6", 1.0f -> "1.0",
// kRandomSeed -> "\"random\"", WeightDType::BF16 -> "\"bf16\"".
std::string to_toml(const std::string& v);
std::string to_toml(int v);
std::string to_toml(float v);
std::string to_toml(bool v);
std::string to_toml(std::uint64_t v);
std::string to_toml(WeightDType v);

// Throws qwen3::Error "<key> = <value> ...: expected ..." for the first
// general setting out of its range (the sampling presets: validate()).
void validate_general(const Settings& s);

// Set one value from a source and check it at once, so that an error names
// where the bad value was written (`origin`: "file:7", "QWEN3_TOP_P",
// "--top-p", a generation_config.json path) even if a higher source would
// have replaced it. Every earlier value was checked, so a failure is this one.
template <typename T, typename V>
void assign_general(Settings& s, Setting<T>& setting, V&& value, Source source,
                    const std::string& origin) {
  setting = {T(std::forward<V>(value)), source, origin};
  try {
    validate_general(s);
  } catch (const Error& e) {
    throw Error(origin + ": " + e.what());
  }
}

// `table` prefixes the parameter in messages ("sampling.thinking." in a
// config file; empty where one value sets both presets).
template <typename T, typename V>
void assign_sampling(SamplingSettings& preset, Setting<T>& setting, V&& value, Source source,
                     const std::string& origin, std::string_view table) {
  setting = {T(std::forward<V>(value)), source, origin};
  try {
    validate(preset.params());
  } catch (const Error& e) {
    throw Error(origin + ": " + std::string(table) + e.what());
  }
}

}  // namespace qwen3::settings
