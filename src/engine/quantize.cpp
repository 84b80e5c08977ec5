// quantize_model: what the settings name (a checkpoint folder, or a config
// with dummy weights; the tokenizer and chat template beside it or fetched)
// written as one quantized GGUF file. The model library writes the
// architecture and the tensors, the tokenizer library its vocabulary; the
// special ids come from tokenizer_config.json and config.json as llama.cpp's
// converter takes them.
#include "qwen3/quantize.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "common/file.h"
#include "common/gguf.h"
#include "common/gguf_writer.h"
#include "model/dummy_weights.h"
#include "model/gguf_export.h"
#include "qwen3/chat.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "tokenizer/to_gguf.h"

namespace qwen3 {
namespace fs = std::filesystem;

namespace {

// A JSON file's object, or null when the file is absent or not an object
// (then the defaults apply).
nlohmann::json json_object(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return nullptr;
  try {
    nlohmann::json j = nlohmann::json::parse(read_file(file));
    return j.is_object() ? j : nlohmann::json(nullptr);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not valid JSON: " + e.what());
  }
}

// A special token of tokenizer_config.json ("eos_token": "<|im_end|>" or
// {"content": ...}) as an id; nullopt when absent or null.
std::optional<TokenId> special_token(const nlohmann::json& config, const char* key, const Tokenizer& t,
                                     const fs::path& file) {
  if (config.is_null() || !config.contains(key) || config[key].is_null()) return std::nullopt;
  const nlohmann::json& v = config[key];
  const nlohmann::json& content = v.is_object() && v.contains("content") ? v["content"] : v;
  if (!content.is_string()) throw Error(file.string() + ": " + key + ": expected a token string");
  const std::string text = content.get<std::string>();
  const auto id = t.token_to_id(text);
  if (!id) throw Error(file.string() + ": " + key + ": \"" + text + "\" is not a token of the tokenizer");
  return id;
}

// eos and padding from tokenizer_config.json; bos from it or else from the
// model's config.json (bos_token_id), as the converter's SpecialVocab does.
tokenizer::GgufSpecialIds special_ids(const Tokenizer& t, const fs::path& tokenizer_dir, const fs::path& config_json) {
  tokenizer::GgufSpecialIds ids;
  const fs::path file = fs::is_directory(tokenizer_dir) ? tokenizer_dir / "tokenizer_config.json" : fs::path();
  const nlohmann::json tc = file.empty() ? nlohmann::json(nullptr) : json_object(file);
  if (auto id = special_token(tc, "eos_token", t, file)) ids.eos = *id;
  if (auto id = special_token(tc, "pad_token", t, file)) ids.padding = *id;
  if (auto id = special_token(tc, "bos_token", t, file)) {
    ids.bos = *id;
  } else if (const nlohmann::json c = json_object(config_json); !c.is_null() && c.contains("bos_token_id")) {
    if (!c["bos_token_id"].is_number_integer())
      throw Error(config_json.string() + ": bos_token_id: expected a token id");
    ids.bos = c["bos_token_id"].get<TokenId>();
  }
  return ids;
}

}  // namespace

QuantizeResult quantize_model(const Settings& s, QuantType type, const fs::path& out) {
  gguf::Writer writer(out);  // checks the destination before any work
  fs::path config_json;
  std::unique_ptr<model::FloatSource> source;
  ModelConfig config;
  if (!s.model.value.empty()) {
    if (s.dummy_weights.value)
      throw Error("model and dummy_weights name two models: give a model folder, or model_config with dummy_weights");
    const fs::path dir = model_path(s);
    std::error_code ec;
    if (gguf::is_gguf_file(dir))
      throw Error("model " + s.model.value +
                  " is a GGUF file: quantize reads a safetensors checkpoint folder (or model_config with "
                  "dummy_weights)");
    if (!fs::is_directory(dir, ec))
      throw Error("model " + s.model.value + ": no such folder (expected a safetensors checkpoint folder)");
    config_json = dir / "config.json";
    config = ModelConfig::load(config_json);
    source = model::checkpoint_source(dir, config, config_json);
  } else {
    if (s.model_config.value.empty() || !s.dummy_weights.value)
      throw Error("no model to quantize: set model to a checkpoint folder (or model_config NAME with dummy_weights)");
    config_json = resolve_config(s.model_config.value);
    config = ModelConfig::load(config_json);
    const fs::path manifest_file = DummyManifest::file_for_config(config_json);
    const DummyManifest manifest = DummyManifest::load(manifest_file);
    model::require_kinds(manifest, config, manifest_file.string());
    source = model::dummy_source(manifest);
  }
  const fs::path tok_dir = tokenizer_dir(s);
  const Tokenizer tokenizer = Tokenizer::load(tok_dir);
  const ChatTemplate chat_template = ChatTemplate::from_tokenizer_config(tok_dir);

  model::add_model_metadata(writer, config, type);
  tokenizer::add_gguf_metadata(tokenizer, config.vocab_size, special_ids(tokenizer, tok_dir, config_json), writer);
  writer.add_string("tokenizer.chat_template", chat_template.source());
  QuantizeResult result;
  result.tensors_by_type = model::write_model_tensors(writer, config, *source, type);
  result.file = out;
  result.bytes = writer.file_size();
  return result;
}

}  // namespace qwen3
