// Hub names (OWNER/NAME[@REVISION][:QUANT]) and the options huggingface_hub's
// environment variables give.
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/environment.h"
#include "qwen3/hub.h"

namespace qwen3::hub {
namespace fs = std::filesystem;

namespace {

// One part of a repository id, as the hub allows it.
bool valid_part(std::string_view s) {
  if (s.empty() || s.size() > 96) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  if (s.front() == '-' || s.front() == '.' || s.back() == '-' || s.back() == '.') return false;
  return s.find("--") == std::string_view::npos && s.find("..") == std::string_view::npos;
}

bool valid_revision(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '/' || s.back() == '/') return false;
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)) || c == ':' ||
        c == '\\' || c == '~' || c == '^' || c == '?' || c == '*' || c == '[')
      return false;
  return s.find("..") == std::string_view::npos;
}

bool valid_quant(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool ModelName::gguf() const {
  if (!quant.empty()) return true;
  const std::string up = upper(repo);
  return up.size() >= 5 && up.compare(up.size() - 5, 5, "-GGUF") == 0;
}

std::string ModelName::to_string() const {
  std::string s = repo;
  if (!revision.empty()) s += "@" + revision;
  if (!quant.empty()) s += ":" + quant;
  return s;
}

std::optional<ModelName> parse_model_name(std::string_view text) {
  ModelName name;
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    name.quant = std::string(text.substr(colon + 1));
    if (!valid_quant(name.quant)) return std::nullopt;
    text = text.substr(0, colon);
  }
  if (const auto at = text.find('@'); at != std::string_view::npos) {
    name.revision = std::string(text.substr(at + 1));
    if (!valid_revision(name.revision)) return std::nullopt;
    text = text.substr(0, at);
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || !valid_part(text.substr(0, slash)) || !valid_part(text.substr(slash + 1)))
    return std::nullopt;
  name.repo = std::string(text);
  return name;
}

std::optional<ModelName> hub_model(std::string_view model) {
  std::error_code ec;
  if (model.empty() || fs::exists(fs::path(model), ec)) return std::nullopt;
  return parse_model_name(model);
}

// ---- Options -------------------------------------------------------------

namespace {

Observer* g_default_observer = nullptr;

std::string get(const EnvironmentMap& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

// huggingface_hub's truth: "1", "ON", "YES", "TRUE" in any case.
bool is_true(const std::string& value) {
  const std::string v = upper(value);
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

// "~" and "~/..." as os.path.expanduser reads them.
fs::path expand_user(const std::string& path, const EnvironmentMap& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) return fs::path(get(env, "HOME") + path.substr(1));
  return path;
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

}  // namespace

EnvironmentMap hub_environment() {
  return environment_variables([](const std::string& name) {
    return name.rfind("HF_", 0) == 0 || name.rfind("HUGGING", 0) == 0 || name == "TRANSFORMERS_OFFLINE" ||
           name == "XDG_CACHE_HOME" || name == "HOME";
  });
}

HubOptions options_from_environment(const EnvironmentMap& env) {
  HubOptions o;
  const std::string home = get(env, "HOME");
  const std::string xdg = get(env, "XDG_CACHE_HOME");
  const fs::path hf_home = !get(env, "HF_HOME").empty() ? expand_user(get(env, "HF_HOME"), env)
                           : !xdg.empty()               ? fs::path(xdg) / "huggingface"
                                                        : fs::path(home) / ".cache" / "huggingface";
  if (!get(env, "HF_HUB_CACHE").empty())
    o.cache_dir = expand_user(get(env, "HF_HUB_CACHE"), env);
  else if (!get(env, "HUGGINGFACE_HUB_CACHE").empty())
    o.cache_dir = expand_user(get(env, "HUGGINGFACE_HUB_CACHE"), env);
  else
    o.cache_dir = hf_home / "hub";

  if (!get(env, "HF_ENDPOINT").empty()) o.endpoint = get(env, "HF_ENDPOINT");
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();

  o.token = trimmed(get(env, "HF_TOKEN"));
  if (o.token.empty()) o.token = trimmed(get(env, "HUGGING_FACE_HUB_TOKEN"));
  if (o.token.empty()) {
    const fs::path file =
        !get(env, "HF_TOKEN_PATH").empty() ? expand_user(get(env, "HF_TOKEN_PATH"), env) : hf_home / "token";
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    o.token = trimmed(ss.str());
  }
  o.offline = is_true(get(env, "HF_HUB_OFFLINE")) || is_true(get(env, "TRANSFORMERS_OFFLINE"));
  o.observer = g_default_observer;
  return o;
}

HubOptions options_from_environment() { return options_from_environment(hub_environment()); }

void set_default_observer(Observer* observer) { g_default_observer = observer; }
Observer* default_observer() { return g_default_observer; }

bool Snapshot::has(std::string_view file) const {
  for (const auto& f : files)
    if (f == file) return true;
  return false;
}

}  // namespace qwen3::hub
