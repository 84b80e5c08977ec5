// Ollama's local store (qwen3/ollama.h), as `--model ollama:NAME[:TAG]`
// reads it. The first byte chooses what the rest is:
//   0  a manifest (manifests/registry.ollama.ai/library/qwen3/latest) to
//      ollama::resolve, in a store whose blobs/ holds a few blobs the
//      manifest can name (right or wrong sizes, one a folder);
//   1  the text after "ollama:" to ollama::parse, then, when it parses,
//      resolve against that store (missing models, tags, hosts);
//   2  a params blob to settings::apply_ollama_params.
// Beyond the error contract: a resolved model (and params) blob is a
// regular file inside blobs/ whose size is what the manifest says; a parsed
// name has non-empty parts without '/' or ':'.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz.h"
#include "qwen3/ollama.h"
#include "qwen3/settings.h"
#include "settings/ollama_params.h"

namespace {
namespace fs = std::filesystem;

// The store the target reads, written once: blobs named by the digests the
// seeds (fuzz/make_corpus.py) and the dictionary use.
const fs::path& store() {
  static const fs::path dir = [] {
    const fs::path root = qwen3::fuzz::temp_dir() / "ollama";
    fs::create_directories(root / "blobs" / ("sha256-" + std::string(64, 'd')));  // a folder, not a blob
    fs::create_directories(root / "manifests" / "registry.ollama.ai" / "library" / "qwen3");
    const auto blob = [&](char c, std::string_view bytes) {
      qwen3::fuzz::write_temp("ollama/blobs/sha256-" + std::string(64, c), bytes);
    };
    blob('a', "GGUF");                                             // the "model", 4 bytes
    blob('b', R"({"temperature": 0.5, "stop": ["<|im_end|>"]})");  // params, 44 bytes
    blob('c', "");                                                 // empty
    return root;
  }();
  return dir;
}

bool inside_blobs(const fs::path& p) {
  const fs::path blobs = store() / "blobs";
  const fs::path rel = p.lexically_normal().lexically_relative(blobs);
  return !rel.empty() && rel.begin()->string() != ".." && std::distance(rel.begin(), rel.end()) == 1 &&
         fs::is_regular_file(p);
}

void check(const qwen3::ollama::Resolved& r) {
  if (!inside_blobs(r.model)) qwen3::fuzz::fail("model blob outside blobs/ or not a file: " + r.model.string());
  if (r.params && !inside_blobs(*r.params))
    qwen3::fuzz::fail("params blob outside blobs/ or not a file: " + r.params->string());
}

}  // namespace

QWEN3_FUZZ_TARGET(ollama_manifest) {
  using namespace qwen3;
  if (size == 0) return 0;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      store();
      fuzz::write_temp("ollama/manifests/registry.ollama.ai/library/qwen3/latest", rest);
      ollama::Resolved r;
      if (!fuzz::returns_or_errs([&] { r = ollama::resolve(*ollama::parse("ollama:qwen3"), store()); })) break;
      check(r);
      // resolve accepted every model and params layer: each digest names a
      // blob whose size is the one the layer gives, if it gives one.
      const auto doc = nlohmann::json::parse(rest);
      for (const auto& layer : doc["layers"]) {
        const std::string type = layer["mediaType"].get<std::string>();
        if (type != "application/vnd.ollama.image.model" && type != "application/vnd.ollama.image.params") continue;
        const fs::path p = store() / "blobs" / ("sha256-" + layer["digest"].get<std::string>().substr(7));
        if (!inside_blobs(p)) fuzz::fail("accepted layer's blob is not a file in blobs/: " + p.string());
        if (layer.contains("size") && fs::file_size(p) != layer["size"].get<std::uint64_t>())
          fuzz::fail("blob " + p.string() + " is not the size the manifest gives");
      }
      break;
    }
    case 1: {
      std::optional<ollama::ModelRef> ref;
      if (!fuzz::returns_or_errs([&] { ref = ollama::parse("ollama:" + std::string(rest)); })) break;
      if (!ref) fuzz::fail("parse returned nothing for a name starting with ollama:");
      for (const std::string* part : {&ref->host, &ref->space, &ref->name, &ref->tag})
        if (part->empty() || part->find_first_of("/:") != std::string::npos)
          fuzz::fail("parsed part \"" + *part + "\" is empty or holds '/' or ':'");
      ollama::Resolved r;
      if (fuzz::returns_or_errs([&] { r = ollama::resolve(*ref, store()); })) check(r);
      break;
    }
    default: {
      static const Settings base = [] {
        SettingsSources sources;
        sources.model_dir = fuzz::temp_dir() / "empty-model";
        return resolve(sources);
      }();
      const fs::path params = fuzz::write_temp("ollama-params", rest);
      Settings s = base;
      fuzz::returns_or_errs([&] { settings::apply_ollama_params(s, params); });
      break;
    }
  }
  return 0;
}
