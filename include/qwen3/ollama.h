#pragma once
// Models in Ollama's local store, named as Ollama names them:
//
//   --model ollama:qwen3:4b          NAME:TAG (library model)
//   --model ollama:qwen3             tag "latest"
//   --model ollama:someone/model:q8  NAMESPACE/NAME:TAG
//
// The store ($OLLAMA_MODELS, else ~/.ollama/models) holds a manifest per
// name and tag, and the layers it lists as content-addressed blobs:
//
//   manifests/registry.ollama.ai/library/qwen3/4b     JSON: {"layers": [{"mediaType", "digest", "size"}, ...]}
//   blobs/sha256-<hex>                                 one blob per layer digest
//
// The layer of media type application/vnd.ollama.image.model is the GGUF
// file itself; application/vnd.ollama.image.params, when present, is a JSON
// object of sampling defaults (temperature, top_p, top_k, min_p,
// repeat_penalty, stop, num_ctx, ...), which the settings read as one more
// source of options (qwen3/settings.h). Nothing here downloads: `ollama pull`
// fills the store.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "qwen3/hub.h"

namespace qwen3::ollama {

// What "ollama:" names.
struct ModelRef {
  std::string host = "registry.ollama.ai";
  std::string space = "library";  // the namespace
  std::string name;
  std::string tag = "latest";
  std::string text;  // as written, "ollama:qwen3:4b"
};

inline constexpr std::string_view kPrefix = "ollama:";

// "ollama:[[HOST/]NAMESPACE/]NAME[:TAG]" -> its parts; nullopt when `model`
// does not start with "ollama:". Throws qwen3::Error (one line) when the rest
// is not a valid name (parts of letters, digits, '_', '-', '.').
std::optional<ModelRef> parse(std::string_view model);

// $OLLAMA_MODELS, else $HOME/.ollama/models (empty when neither is set).
std::filesystem::path models_dir(const hub::EnvironmentMap& environment);

// A model's files in the store.
struct Resolved {
  std::filesystem::path manifest;
  std::filesystem::path model;                  // the GGUF blob
  std::optional<std::filesystem::path> params;  // the params blob, if the manifest lists one
};

// Finds `ref`'s manifest under `store` and its blobs. Throws qwen3::Error,
// one line, for a store or model that does not exist, a tag the model does
// not have (listing those it has), a malformed manifest, or a blob that is
// missing or not the size the manifest gives.
Resolved resolve(const ModelRef& ref, const std::filesystem::path& store);

}  // namespace qwen3::ollama
