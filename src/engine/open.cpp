// Opening what the settings name (model, tokenizer, template, English mask)
// and the rules that turn settings into generation options.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include "common/gguf.h"
#include "qwen3/endpoint.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/hub.h"
#include "qwen3/ollama.h"
#include "qwen3/vocab.h"

namespace qwen3 {
namespace fs = std::filesystem;

fs::path default_tokenizer_dir() {
  if (const char* dir = std::getenv("QWEN3_TOKENIZER_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "qwen3/tokenizers/Qwen3";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache/qwen3/tokenizers/Qwen3";
  return {};
}

namespace {

// The local path the model setting names: itself, for "ollama:NAME:TAG" the
// GGUF blob in Ollama's store, or for a hub name the snapshot folder (or
// chosen .gguf file) in the Hugging Face cache, with `files` fetched first.
fs::path local_model(const Settings& s, hub::Files files) {
  if (const auto ref = ollama::parse(s.model.value)) return ollama::resolve(*ref, ollama_store(s)).model;
  if (const auto name = hub::hub_model(s.model.value)) return hub::fetch(*name, files, hub_options(s)).model_path();
  return s.model.value;
}

}  // namespace

fs::path tokenizer_dir(const Settings& s) {
  if (!s.tokenizer.value.empty()) return s.tokenizer.value;
  if (s.model.value.empty()) return default_tokenizer_dir();
  const bool from_hub = hub::hub_model(s.model.value).has_value();
  const fs::path model = local_model(s, hub::Files::Tokenizer);
  std::error_code ec;
  if (!fs::exists(model, ec)) throw Error("model " + s.model.value + ": no such file or folder");
  // A GGUF carries its tokenizer, unless a tokenizer.json lies beside it.
  if (gguf::is_gguf_file(model))
    return fs::exists(model.parent_path() / "tokenizer.json", ec) ? model.parent_path() : model;
  // A checkpoint without tokenizer files uses the fetched Qwen3 tokenizer
  // (the dense Qwen3 family shares it); any other folder or file is read as
  // the tokenizer itself, so its errors name it.
  // A tokenizer.json of any kind (a broken link too) is the folder's own: its
  // errors are named, not silently replaced by the fetched tokenizer.
  const bool bare_checkpoint = fs::is_directory(model, ec) &&
                               !fs::exists(fs::symlink_status(model / "tokenizer.json", ec)) &&
                               (from_hub || fs::exists(model / "config.json", ec));
  return bare_checkpoint ? default_tokenizer_dir() : model;
}

fs::path model_path(const Settings& s) { return local_model(s, hub::Files::Model); }

ChatTemplate chat_template_for(const Settings& s) {
  if (s.chat_template.value == "official") return ChatTemplate::qwen3();
  return ChatTemplate::from_tokenizer_config(tokenizer_dir(s));
}

namespace {

[[noreturn]] void no_model() {
  throw Error(
      "no model: set model to a checkpoint folder, a GGUF file or a hub name (or model_config NAME with "
      "dummy_weights)");
}

// The model folder or GGUF file named by the settings (`files` of a hub name
// fetched), checked.
fs::path model_location(const Settings& s, hub::Files files) {
  const fs::path path = local_model(s, files);
  std::error_code ec;
  if (!fs::is_directory(path, ec) && !gguf::is_gguf_file(path))
    throw Error("model " + s.model.value + ": " +
                (fs::exists(path, ec) ? "neither a folder nor a GGUF file" : "no such file or folder") +
                " (expected a Hugging Face checkpoint folder or a GGUF file)");
  return path;
}

// What ModelConfig::load reads for the model: config.json, or the GGUF itself.
fs::path config_source(const fs::path& model) { return gguf::is_gguf_file(model) ? model : model / "config.json"; }

bool uses_model_folder(const Settings& s) {
  if (!s.model.value.empty() && s.dummy_weights.value)
    throw Error("model and dummy_weights name two models: give a model folder, or model_config with dummy_weights");
  if (!s.model.value.empty()) return true;
  if (s.model_config.value.empty()) no_model();
  if (!s.dummy_weights.value)
    throw Error("model_config " + s.model_config.value + " has no weights: set dummy_weights, or give a model folder");
  return false;
}

}  // namespace

ModelConfig load_model_config(const Settings& s) {
  if (!s.model.value.empty()) return ModelConfig::load(config_source(model_location(s, hub::Files::Config)));
  if (s.model_config.value.empty()) no_model();
  return ModelConfig::load(resolve_config(s.model_config.value));
}

RunOptions run_options_for(const Settings& s, const ModelConfig& config, int default_ctx) {
  RunOptions run = s.run_options();
  // Unless the user chose a context: the default (or the caller's need),
  // and no more than the model supports.
  if (s.ctx.source == Source::Builtin) {
    if (default_ctx > 0) run.ctx = default_ctx;
    run.ctx = static_cast<int>(std::min<std::int64_t>(run.ctx, config.max_context()));
  }
  return validate_run_options(run, config, "config.json");
}

std::unique_ptr<Model> open_model(const Settings& s, int default_ctx) {
  if (uses_model_folder(s)) {
    const fs::path path = model_location(s, hub::Files::Model);
    const ModelConfig config = ModelConfig::load(config_source(path));
    return Model::load(path, run_options_for(s, config, default_ctx));
  }
  const fs::path config_file = resolve_config(s.model_config.value);
  const ModelConfig config = ModelConfig::load(config_file);
  return Model::dummy(config, DummyManifest::for_config(config_file), run_options_for(s, config, default_ctx));
}

struct Engine::Masks {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<vocab::TokenMask>> by_policy;
};

Engine::Engine(Settings settings) : settings_(std::move(settings)), masks_(std::make_unique<Masks>()) {
  if (settings_.endpoint.value.empty())
    model_ = open_model(settings_);
  else
    remote_ = std::make_unique<RemoteBackend>(
        EndpointOptions{settings_.endpoint.value, settings_.api_key.value, settings_.endpoint_model.value,
                        settings_.ctx.source == Source::Builtin ? 0 : settings_.ctx.value});
  tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::load(tokenizer_dir(settings_)));
  template_ = std::make_unique<ChatTemplate>(chat_template_for(settings_));
  if (settings_.english_only.value != "off")
    mask_ = std::make_unique<vocab::TokenMask>(vocab::make_mask(*tokenizer_, settings_.english_only.value));
}

Engine::Engine(Engine&&) noexcept = default;

const Model& Engine::model() const {
  if (!model_)
    throw Error("no local model: the endpoint option sends generation to " + remote_->base_url() +
                " (the weights are that server's; unset endpoint to run the model here)");
  return *model_;
}

namespace {
// A ModelRunner that owns nothing else: a conversation's KV cache.
class RunnerBackend final : public Backend {
 public:
  explicit RunnerBackend(const Model& model) : runner_(model), local_(runner_) {}
  int context_length() const override { return local_.context_length(); }
  GenerationResult generate(const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                            const GenerationOptions& options, const PieceCallback& on_piece) override {
    return local_.generate(tokenizer, prompt, options, on_piece);
  }

 private:
  ModelRunner runner_;
  LocalBackend local_;
};
}  // namespace

std::unique_ptr<Backend> Engine::backend() const {
  if (remote_) return std::make_unique<RemoteBackend>(*remote_);
  return std::make_unique<RunnerBackend>(*model_);
}
Engine::~Engine() = default;

std::optional<bool> Engine::enable_thinking() const { return enable_thinking(settings_); }

std::optional<bool> Engine::enable_thinking(const Settings& s) const {
  if (s.enable_thinking.source != Source::Builtin) return s.enable_thinking.value;
  return std::nullopt;  // not passed to the template, as transformers' default
}

namespace {
std::optional<int> budget_of(const Settings& s) {
  if (s.thinking_budget.value < 0) return std::nullopt;
  return s.thinking_budget.value;
}
}  // namespace

SamplingMode Engine::mode_for(const ChatRequest& request) const { return mode_for(request, settings_); }

SamplingMode Engine::mode_for(const ChatRequest& request, const Settings& s) const {
  return mode_of(request, budget_of(s));
}

GenerationOptions Engine::options_for(SamplingMode mode) const { return options_for(mode, settings_); }

GenerationOptions Engine::options_for(SamplingMode mode, const Settings& s, bool tools) const {
  GenerationOptions o;
  o.sampling = s.sampling(mode).params();
  validate(o.sampling);
  o.thinking_budget = budget_of(s);
  o.budget_stop_text = s.thinking_budget_text.value;
  o.stop = s.stop.value;
  o.ignore_eos = s.ignore_eos.value;
  o.allowed = mask_for(s.english_only.value, tools);
  o.repetition_repeats = s.repetition_guard.value;
  o.repetition_min_period = s.repetition_min_period.value;
  o.special_tokens_in_content_as_text = s.special_tokens_in_content.value == "text";
  return o;
}

const vocab::TokenMask* Engine::mask_for(const std::string& policy, bool tools) const {
  if (policy == "off") return nullptr;
  if (policy == settings_.english_only.value && !tools) return mask_.get();
  std::lock_guard<std::mutex> lock(masks_->mutex);
  auto& mask = masks_->by_policy[policy + (tools ? " +tool_calls" : "")];
  if (!mask)
    mask = std::make_unique<vocab::TokenMask>(vocab::make_mask(*tokenizer_, policy, {.allow_tool_calls = tools}));
  return mask.get();
}

}  // namespace qwen3
