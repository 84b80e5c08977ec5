// Ollama's local model store (see qwen3/ollama.h): names, manifests, blobs.
#include "qwen3/ollama.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "common/file.h"
#include "common/utf8.h"
#include "qwen3/error.h"

namespace qwen3::ollama {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::json;

constexpr std::string_view kModelLayer = "application/vnd.ollama.image.model";
constexpr std::string_view kParamsLayer = "application/vnd.ollama.image.params";

bool valid_part(std::string_view s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      parts.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

// The tags a model has (its manifest files), sorted.
std::string tags_of(const fs::path& dir) {
  std::set<std::string> tags;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) tags.insert(e.path().filename().string());
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ", ") + t;
  return out.empty() ? "none" : one_line(out);
}

}  // namespace

std::optional<ModelRef> parse(std::string_view model) {
  if (model.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  ModelRef ref;
  ref.text = std::string(model);
  std::string_view rest = model.substr(kPrefix.size());
  const auto bad = [&](const std::string& why) {
    // one_line: the name as typed may hold line breaks or bytes that are not UTF-8.
    throw Error(one_line("model " + ref.text + ": " + why +
                         " (expected ollama:NAME[:TAG] or ollama:NAMESPACE/NAME[:TAG], as `ollama list` shows them)"));
  };
  // The tag follows the last ':' after the last '/'.
  const std::size_t slash = rest.rfind('/');
  const std::size_t colon = rest.find(':', slash == std::string_view::npos ? 0 : slash);
  if (colon != std::string_view::npos) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_part(ref.tag)) bad("\"" + ref.tag + "\" is not a tag");
  }
  const auto parts = split(rest, '/');
  if (parts.size() > 3) bad("too many '/'");
  for (const auto& p : parts)
    if (!valid_part(p)) bad(p.empty() ? std::string("empty name") : "\"" + p + "\" is not a name");
  ref.name = parts.back();
  if (parts.size() >= 2) ref.space = parts[parts.size() - 2];
  if (parts.size() == 3) ref.host = parts[0];
  return ref;
}

fs::path models_dir(const hub::EnvironmentMap& environment) {
  if (auto it = environment.find("OLLAMA_MODELS"); it != environment.end() && !it->second.empty()) return it->second;
  if (auto it = environment.find("HOME"); it != environment.end() && !it->second.empty())
    return fs::path(it->second) / ".ollama" / "models";
  return {};
}

Resolved resolve(const ModelRef& ref, const fs::path& store) {
  const std::string who = "model " + ref.text;
  std::error_code ec;
  if (store.empty()) throw Error(who + ": no Ollama store (set OLLAMA_MODELS, or HOME for ~/.ollama/models)");
  if (!fs::is_directory(store, ec))
    throw Error(who + ": no Ollama store at " + store.string() + " (set OLLAMA_MODELS to the folder `ollama` uses)");
  const fs::path model_dir = store / "manifests" / ref.host / ref.space / ref.name;
  if (!fs::is_directory(model_dir, ec))
    throw Error(who + ": no model " + (ref.space == "library" ? "" : ref.space + "/") + ref.name +
                " in the Ollama store " + store.string() + " (no " + model_dir.string() + "; `ollama pull` it first)");
  Resolved r;
  r.manifest = model_dir / ref.tag;
  if (!fs::is_regular_file(r.manifest, ec))
    throw Error(who + ": " + ref.name + " has no tag " + ref.tag + " in the Ollama store (tags: " + tags_of(model_dir) +
                ")");

  const std::string where = r.manifest.string();
  Json doc;
  try {
    doc = Json::parse(read_file(r.manifest));
  } catch (const Json::exception& e) {
    throw Error(where + ": malformed manifest (not JSON: " + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("layers") || !doc["layers"].is_array())
    throw Error(where + ": malformed manifest (expected an object with a \"layers\" array)");
  const auto blob = [&](const Json& layer, std::string_view type) {
    const auto digest = layer.find("digest");
    if (digest == layer.end() || !digest->is_string())
      throw Error(where + ": malformed manifest (the " + std::string(type) + " layer has no \"digest\" string)");
    const std::string d = digest->get<std::string>();
    const std::string hex = d.rfind("sha256:", 0) == 0 ? d.substr(7) : std::string();
    if (hex.size() != 64 ||
        !std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
      throw Error(where + ": malformed manifest (digest \"" + one_line(d) + "\": expected sha256:<64 hex digits>)");
    const fs::path path = store / "blobs" / ("sha256-" + hex);
    if (!fs::is_regular_file(path, ec))
      throw Error(who + ": blob " + path.string() + " of the " + std::string(type) +
                  " layer is missing (an interrupted `ollama pull`? pull it again)");
    if (const auto size = layer.find("size"); size != layer.end()) {
      if (!size->is_number_unsigned())
        throw Error(where + ": malformed manifest (\"size\" of the " + std::string(type) +
                    " layer: expected a byte count)");
      const auto want = size->get<std::uint64_t>();
      const auto have = fs::file_size(path, ec);
      if (have != want)
        throw Error(who + ": blob " + path.string() + " holds " + std::to_string(have) + " bytes; the manifest says " +
                    std::to_string(want) + " (an interrupted `ollama pull`? pull it again)");
    }
    return path;
  };
  for (const Json& layer : doc["layers"]) {
    if (!layer.is_object() || !layer.contains("mediaType") || !layer["mediaType"].is_string())
      throw Error(where + ": malformed manifest (a layer without a \"mediaType\" string)");
    const std::string type = layer["mediaType"].get<std::string>();
    if (type == kModelLayer) {
      if (!r.model.empty()) throw Error(where + ": malformed manifest (two model layers)");
      r.model = blob(layer, "model");
    } else if (type == kParamsLayer) {
      r.params = blob(layer, "params");
    }
  }
  if (r.model.empty())
    throw Error(where + ": malformed manifest (no layer of type " + std::string(kModelLayer) +
                ": not a model, or an adapter-only one)");
  return r;
}

}  // namespace qwen3::ollama
