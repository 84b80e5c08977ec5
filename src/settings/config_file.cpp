// The config file: top-level keys for the model, run options and thinking
// defaults, and one table per sampling preset:
//   model = "Qwen/Qwen3-4B"
//   threads = 4
//   [sampling.thinking]
//   temperature = 0.6
// Anything else is an error naming the file and line, so that a typo such as
// "tempreature" is never silently ignored.
#include <algorithm>
#include <charconv>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/utf8.h"
#include "qwen3/error.h"
#include "settings/config_file.h"
#include "settings/fields.h"

namespace qwen3::settings {
namespace {

std::string where(const std::filesystem::path& path, const toml::source_region& region) {
  return path.string() + ":" + std::to_string(region.begin.line);
}

// The node as a user would recognise it in an error message.
std::string describe(const toml::node& n) {
  if (auto s = n.as_string()) return to_toml(std::string(s->get()));
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto f = n.as_floating_point()) {
    std::ostringstream os;
    os << f->get();
    return os.str();
  }
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  if (n.is_table()) return "a table";
  if (n.is_array()) return "an array";
  return "a date/time";
}

bool read_node(const toml::node& n, std::string& out) {
  if (auto s = n.as_string()) return out = s->get(), true;
  return false;
}
bool read_node(const toml::node& n, int& out) {
  auto i = n.as_integer();
  if (!i || i->get() < std::numeric_limits<int>::min() || i->get() > std::numeric_limits<int>::max()) return false;
  out = static_cast<int>(i->get());
  return true;
}
bool read_node(const toml::node& n, float& out) {
  if (auto f = n.as_floating_point()) return out = static_cast<float>(f->get()), true;
  if (auto i = n.as_integer()) return out = static_cast<float>(i->get()), true;
  return false;
}
bool read_node(const toml::node& n, bool& out) {
  if (auto b = n.as_boolean()) return out = b->get(), true;
  return false;
}
bool read_node(const toml::node& n, std::uint64_t& out) {
  if (auto i = n.as_integer()) {
    if (i->get() < 0) return false;
    out = static_cast<std::uint64_t>(i->get());
    return true;
  }
  if (auto s = n.as_string()) return parse_text(s->get(), out) && out == kRandomSeed;
  return false;
}
bool read_node(const toml::node& n, std::vector<std::string>& out) {
  if (auto s = n.as_string()) return out = {std::string(s->get())}, true;
  auto array = n.as_array();
  if (!array) return false;
  out.clear();
  for (const auto& item : *array) {
    auto s = item.as_string();
    if (!s) return false;
    out.emplace_back(s->get());
  }
  return true;
}
bool read_node(const toml::node& n, WeightDType& out) {
  auto s = n.as_string();
  return s && parse_text(s->get(), out);
}
bool read_node(const toml::node& n, KvDType& out) {
  auto s = n.as_string();
  return s && parse_text(s->get(), out);
}

template <typename T>
T read_value(const ConfigFile& file, std::string_view full_key, const toml::node& n) {
  T value{};
  if (!read_node(n, value))
    throw Error(where(file.path, n.source()) + ": " + std::string(full_key) + " = " + describe(n) + ": expected " +
                std::string(expected<T>()));
  return value;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

[[noreturn]] void unknown_key(const ConfigFile& file, const toml::key& key, std::string_view table,
                              const std::vector<std::string_view>& known, std::string_view hint = {}) {
  std::string message = where(file.path, key.source()) + ": unknown key \"" +
                        one_line(std::string(table) + std::string(key.str())) + "\"";
  std::string_view best;
  std::size_t best_distance = 3;  // suggest only close spellings
  for (auto k : known) {
    const auto d = edit_distance(key.str(), k);
    if (d < best_distance) best = k, best_distance = d;
  }
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + string.
  if (!best.empty()) {
    message += " (did you mean \"";
    message += best;
    message += "\"?)";
  } else if (!hint.empty()) {
    message += " (";
    message += hint;
    message += ")";
  } else {
    message += " (expected one of:";
    for (auto k : known) {
      message += ' ';
      message += k;
    }
    message += ")";
  }
  throw Error(message);
}

std::vector<std::string_view> sampling_keys() {
  std::vector<std::string_view> keys;
  SamplingSettings probe;
  visit_sampling(probe, [&](std::string_view key, auto&) { keys.push_back(key); });
  return keys;
}

void apply_preset(SamplingSettings& preset, const ConfigFile& file, std::string_view table_name,
                  const toml::table& table) {
  const std::string prefix = "sampling." + std::string(table_name) + ".";
  for (auto&& entry : table) {
    const auto& key = entry.first;  // not a structured binding: clang 14 cannot capture those
    const toml::node& node = entry.second;
    bool known = false;
    visit_sampling(preset, [&](std::string_view name, auto& setting) {
      if (known || key.str() != name) return;
      known = true;
      using T = decltype(setting.value);
      auto value = read_value<T>(file, prefix + std::string(name), node);
      assign_sampling(preset, setting, value, Source::ConfigFile, where(file.path, node.source()), prefix);
    });
    if (!known) unknown_key(file, key, prefix, sampling_keys());
  }
}

void apply_sampling(Settings& s, const ConfigFile& file, const toml::node& node) {
  auto table = node.as_table();
  if (!table)
    throw Error(where(file.path, node.source()) + ": sampling = " + describe(node) +
                ": expected a table with [sampling.thinking] and [sampling.non_thinking]");
  for (auto&& [key, sub] : *table) {
    SamplingSettings* preset = key.str() == "thinking"       ? &s.thinking
                               : key.str() == "non_thinking" ? &s.non_thinking
                                                             : nullptr;
    if (!preset) unknown_key(file, key, "sampling.", {"thinking", "non_thinking"});
    auto preset_table = sub.as_table();
    if (!preset_table)
      throw Error(where(file.path, sub.source()) + ": sampling." + std::string(key.str()) + " = " + describe(sub) +
                  ": expected a table of sampling parameters");
    apply_preset(*preset, file, key.str(), *preset_table);
  }
}

}  // namespace

ConfigFile load_config_file(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  try {
    return {path, toml::parse(text, path.string())};
  } catch (const toml::parse_error& e) {
    std::string description(e.description());
    std::replace(description.begin(), description.end(), '\n', ' ');
    throw Error(where(path, e.source()) + ": " + description);
  }
}

void apply_config_file(Settings& s, const ConfigFile& file) {
  std::vector<std::string_view> known{"sampling"};
  visit_general(s, [&](std::string_view name, auto&) { known.push_back(name); });
  for (auto&& entry : file.table) {
    const auto& key = entry.first;  // not a structured binding: clang 14 cannot capture those
    const toml::node& node = entry.second;
    if (key.str() == "sampling") {
      apply_sampling(s, file, node);
      continue;
    }
    bool found = false;
    visit_general(s, [&](std::string_view name, auto& setting) {
      if (found || key.str() != name) return;
      found = true;
      using T = decltype(setting.value);
      auto value = read_value<T>(file, name, node);
      assign_general(s, setting, std::move(value), Source::ConfigFile, where(file.path, node.source()));
    });
    if (found) continue;
    const auto sampling = sampling_keys();
    const bool is_sampling_key = std::find(sampling.begin(), sampling.end(), key.str()) != sampling.end();
    unknown_key(file, key, "", known,
                is_sampling_key ? "sampling parameters go in [sampling.thinking] or [sampling.non_thinking]"
                                : std::string_view{});
  }
}

}  // namespace qwen3::settings
