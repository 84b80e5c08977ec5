#pragma once
// Setting one value from a source, checked at once (the option table itself
// is public: qwen3/settings.h's visit_general and visit_sampling).
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "qwen3/error.h"
#include "qwen3/settings.h"

namespace qwen3::settings {

// The plain type behind a member: Setting<T>, std::optional<T> or T -> T.
template <typename T>
struct plain_type {
  using type = T;
};
template <typename T>
struct plain_type<Setting<T>> {
  using type = T;
};
template <typename T>
struct plain_type<std::optional<T>> {
  using type = T;
};
template <typename T>
using plain_type_t = typename plain_type<std::remove_cv_t<T>>::type;

// f(key, a_member, b_member) for the members of `a` and `b` with the same
// key (a SamplingOverrides and a SamplingSettings, a SamplingParams and a
// SamplingSettings, ...); only instantiated for pairs of the same plain type.
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

// Set one value from a source and check it at once, so that an error names
// where the bad value was written (`origin`: "file:7", "QWEN3_TOP_P",
// "--top-p", a generation_config.json path) even if a higher source would
// have replaced it. Every earlier value was checked, so a failure is this one.
template <typename T, typename V>
void assign_general(Settings& s, Setting<T>& setting, V&& value, Source source, const std::string& origin) {
  setting = {T(std::forward<V>(value)), source, origin};
  try {
    validate_options(s);
  } catch (const Error& e) {
    throw Error(origin + ": " + e.what());
  }
}

// `table` prefixes the parameter in messages ("sampling.thinking." in a
// config file; empty where one value sets both presets).
template <typename T, typename V>
void assign_sampling(SamplingSettings& preset, Setting<T>& setting, V&& value, Source source, const std::string& origin,
                     std::string_view table) {
  setting = {T(std::forward<V>(value)), source, origin};
  try {
    validate(preset.params());
  } catch (const Error& e) {
    throw Error(origin + ": " + std::string(table) + e.what());
  }
}

// Every set field of `overrides` onto `s`, named by `name(key)`.
template <typename Name>
void apply_layer(Settings& s, const SettingOverrides& overrides, Source source, Name&& name) {
  zip_general(overrides, s, [&](std::string_view key, const auto& given, auto& setting) {
    if (given) assign_general(s, setting, *given, source, name(key));
  });
  for (SamplingSettings* preset : {&s.thinking, &s.non_thinking})
    zip_sampling(overrides.sampling, *preset, [&](std::string_view key, const auto& given, auto& setting) {
      if (given) assign_sampling(*preset, setting, *given, source, name(key), "");
    });
}

}  // namespace qwen3::settings
