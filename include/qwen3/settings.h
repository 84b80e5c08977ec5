#pragma once
// The options of a run, declared once, and where each value came from.
//
// Every option has one declaration (the visitors below): its key, the
// value's name and its help text. The key is the config-file key; the
// environment variable is QWEN3_ + the key in upper case and the flag is
// --key with '_' -> '-' (flag_name() and env_name() derive them). Every
// command resolves the same options the same way; precedence, highest first:
//   1. the request (a server's per-request fields; Source::Request)
//   2. command-line flags
//   3. environment variables (QWEN3_MODEL, QWEN3_THREADS, QWEN3_TEMPERATURE, ...)
//   4. the TOML config file (--config FILE, else $QWEN3_CONFIG, else
//      $XDG_CONFIG_HOME/qwen3/config.toml or ~/.config/qwen3/config.toml)
//   5. the model folder's generation_config.json (the thinking preset only),
//      or for an Ollama model (model = "ollama:NAME:TAG") its params layer
//      (both presets; qwen3/ollama.h)
//   6. the built-in values (below, qwen3/sampling.h's presets, RunOptions)
// Ranges are checked as each value is set (validate_options() and
// qwen3::validate()), so an error names where the bad value was written.
// docs/configuration.md lists every key and variable.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/hub.h"
#include "qwen3/run_options.h"
#include "qwen3/sampling.h"

namespace qwen3 {

enum class Source { Builtin, GenerationConfig, OllamaParams, ConfigFile, Environment, CommandLine, Request };

// "builtin", "generation_config", "ollama_params", "config_file", "environment", "command_line", "request".
std::string_view source_name(Source source);

template <typename T>
struct Setting {
  T value{};
  Source source = Source::Builtin;
  // Exactly where: "/home/me/.config/qwen3/config.toml:7", "QWEN3_TOP_P",
  // "top_p" (a flag or request field, named by its key); empty for built-in values.
  std::string origin;
};

template <typename T>
using Optional = std::optional<T>;

// The parameters of a sampling preset, held in W (Setting: resolved values
// with their sources; Optional: what one source gives).
template <template <typename> class W>
struct SamplingFields {
  W<float> temperature;
  W<float> top_p;
  W<int> top_k;
  W<float> min_p;
  W<float> presence_penalty;
  W<float> frequency_penalty;
  W<float> repetition_penalty;
  W<std::uint64_t> seed;  // kRandomSeed: a fresh seed per run ("random"), reported after the run
  W<int> max_new_tokens;
};

// What one source gives for a preset; unset fields leave it alone.
using SamplingOverrides = SamplingFields<Optional>;

// One sampling preset with the source of each parameter.
struct SamplingSettings : SamplingFields<Setting> {
  static SamplingSettings builtin(SamplingMode mode);
  SamplingParams params() const;
};

// The options that are not sampling parameters, held in W.
template <template <typename> class W>
struct GeneralFields {
  W<std::string> model;                 // a checkpoint folder, GGUF file, hub name or ollama:NAME:TAG; empty: none
  W<bool> offline;                      // never reach the hub: hub names from the cache only (or HF_HUB_OFFLINE)
  W<std::string> model_config;          // a carried name (qwen3-4b), a config.json or its folder
  W<bool> dummy_weights;                // run model_config on qwen3-dummy-v1 weights
  W<std::string> tokenizer;             // tokenizer folder; empty: beside the model, else the fetched Qwen3 one
  W<std::string> chat_template;         // "auto": the model's (tokenizer_config.json, GGUF); "official": built in
  W<std::string> device;                // "cpu"
  W<WeightDType> dtype;                 // "auto" | "bf16" | "f32"
  W<KvDType> kv_dtype;                  // "bf16" | "f32": the KV cache
  W<std::string> activations;           // "f32" | "bf16": what BF16 weights are multiplied with
  W<int> threads;                       // >= 0; 0: all cores
  W<int> ctx;                           // >= 1: KV-cache length in tokens
  W<bool> enable_thinking;              // the chat template's enable_thinking (Qwen3's default: true)
  W<int> thinking_budget;               // tokens of thinking before </think> is forced; 0: no thinking; -1: no limit
  W<std::string> thinking_budget_text;  // inserted when the budget runs out; must close the think block
  W<std::string> english_only;          // "off" or a vocab policy spec ("latin", "ascii+emoji", ...)
  W<std::vector<std::string>> stop;     // the answer ends before any of these
  W<std::string> special_tokens_in_content;  // "parse" (as transformers) | "text" (no injection)
  W<bool> ignore_eos;                        // keep going past <|im_end|> (fixed-length runs)
  W<int> repetition_guard;                   // end when a cycle of tokens repeats this many times; 0: off
  W<int> repetition_min_period;              // the shortest cycle (in tokens) the guard looks for
  W<std::string> endpoint;        // an OpenAI-compatible server that generates (vLLM, SGLang, qwen3 serve); "": here
  W<std::string> endpoint_model;  // the model name sent to it; "": the first its /v1/models lists
  W<std::string> api_key;         // sent to the endpoint as a Bearer token; `serve` also requires it. Never shown
};

struct Settings : GeneralFields<Setting> {
  SamplingSettings thinking;      // used when thinking is enabled
  SamplingSettings non_thinking;  // used when it is not

  std::optional<std::filesystem::path> config_file;        // the config file read, if any
  std::optional<std::filesystem::path> generation_config;  // the generation_config.json read, if any
  std::optional<std::filesystem::path> ollama_params;      // an Ollama model's params blob read, if any
  // Ollama's store as the environment given to resolve() names it
  // ($OLLAMA_MODELS, else ~/.ollama/models); use ollama_store(settings).
  std::filesystem::path ollama_models;
  // Where the Hugging Face hub and its cache are, as the environment given to
  // resolve() names them (HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE,
  // ...: hub::options_from_environment). Use hub_options(settings).
  hub::HubOptions hub;

  RunOptions run_options() const;
  SamplingMode default_mode() const {
    return enable_thinking.value ? SamplingMode::Thinking : SamplingMode::NonThinking;
  }
  const SamplingSettings& sampling(SamplingMode mode) const {
    return mode == SamplingMode::Thinking ? thinking : non_thinking;
  }
  // Advice about both presets (sampling_warnings), each prefixed with its
  // table, e.g. "sampling.thinking: temperature = 0 (greedy decoding) ...".
  std::vector<std::string> warnings() const;
  // Advice about the run options, e.g. more threads than the machine has
  // cores ("threads = 64 exceeds the machine's 2 cores: ...").
  std::vector<std::string> run_warnings() const;
};

// The longest cycle the repetition guard looks for, in tokens.
inline constexpr int kMaxRepetitionPeriod = 512;

// What one source (the command line, a request) gives. The sampling values
// apply to both presets: a run uses one of them, and a flag means "this run".
struct SettingOverrides : GeneralFields<Optional> {
  SamplingOverrides sampling;
};

// ---- The declaration of every option -----------------------------------

// What an option is about; a command offers the groups it uses.
enum class OptionGroup {
  Model,        // model
  Tokenizer,    // tokenizer
  ModelConfig,  // model_config, dummy_weights
  Run,          // device, dtype, kv_dtype, threads, ctx
  Generation,   // thinking, budget, English-only, stop strings, ignore_eos
  Sampling,     // a preset's parameters
  Endpoint,     // endpoint, endpoint_model, api_key: generation on a remote server
};

// What the user sees of an option. Converts to its key, so a visitor may
// take a std::string_view.
struct OptionInfo {
  std::string_view key;         // config-file key: "top_p"
  std::string_view value_name;  // in help: "F", "N", "DIR", "" for a switch
  std::string_view help;        // one line
  OptionGroup group = OptionGroup::Sampling;
  operator std::string_view() const { return key; }
};

// v(info, member) for each general option, in the order `config show` lists
// them. S: Settings or SettingOverrides (or GeneralFields<W>), const or not.
template <typename S, typename Visitor>
void visit_general(S& s, Visitor&& v) {
  v(OptionInfo{"model", "DIR|NAME",
               "Model: a Hugging Face checkpoint folder, a GGUF file, a hub name (Qwen/Qwen3-4B[@REVISION], "
               "OWNER/NAME-GGUF:QUANT) kept in the Hugging Face cache, or ollama:NAME[:TAG] from Ollama's store "
               "($OLLAMA_MODELS or ~/.ollama/models)",
               OptionGroup::Model},
    s.model);
  v(OptionInfo{"offline", "", "Never reach the hub: a hub name uses the cached files only (as HF_HUB_OFFLINE=1)",
               OptionGroup::Model},
    s.offline);
  v(OptionInfo{"model_config", "NAME|FILE",
               "Model config: a carried name (qwen3-4b), a config.json or its folder (with dummy_weights)",
               OptionGroup::ModelConfig},
    s.model_config);
  v(OptionInfo{"dummy_weights", "", "Run model_config on qwen3-dummy-v1 weights (no checkpoint needed)",
               OptionGroup::ModelConfig},
    s.dummy_weights);
  v(OptionInfo{"tokenizer", "DIR",
               "Folder with tokenizer.json and tokenizer_config.json (default: the model folder, else the "
               "tokenizer scripts/setup.sh fetched)",
               OptionGroup::Tokenizer},
    s.tokenizer);
  v(OptionInfo{"chat_template", "auto|official",
               "Chat template: auto (the model's: tokenizer_config.json, or a GGUF's tokenizer.chat_template) or "
               "official (the built-in official Qwen3 template)",
               OptionGroup::Tokenizer},
    s.chat_template);
  v(OptionInfo{"device", "NAME", "Where to run: cpu (the only backend so far)", OptionGroup::Run}, s.device);
  v(OptionInfo{"dtype", "TYPE",
               "Weights in memory: auto (as stored), bf16, f32, or q8_0 / q4_0 (quantized while loading, as "
               "llama-quantize does)",
               OptionGroup::Run},
    s.dtype);
  v(OptionInfo{"kv_dtype", "TYPE", "KV cache keys and values: f32 (exact), bf16 (half the memory, logits off by ~1%)",
               OptionGroup::Run},
    s.kv_dtype);
  v(OptionInfo{"activations", "f32|bf16",
               "Activations of the matrix products on BF16 weights: f32 (exact) or bf16 (rounded per product, as "
               "llama.cpp does: about twice the prefill speed on AVX512_BF16 CPUs, logits off by ~1%)",
               OptionGroup::Run},
    s.activations);
  v(OptionInfo{"threads", "N", "Threads, >= 0 (0: all of the machine's cores)", OptionGroup::Run}, s.threads);
  v(OptionInfo{"ctx", "N", "Context length in tokens (the KV cache), >= 1 (default: 32768 or the model's)",
               OptionGroup::Run},
    s.ctx);
  v(OptionInfo{"enable_thinking", "", "Thinking mode: reason in <think> before answering (Qwen3's default)",
               OptionGroup::Generation},
    s.enable_thinking);
  v(OptionInfo{"thinking_budget", "N", "Close the think block after N reasoning tokens (0: no thinking; -1: no limit)",
               OptionGroup::Generation},
    s.thinking_budget);
  v(OptionInfo{"thinking_budget_text", "TEXT",
               "Text inserted when the budget runs out; must end the think block (default: Qwen's early-stop "
               "sentence and </think>)",
               OptionGroup::Generation},
    s.thinking_budget_text);
  v(OptionInfo{"english_only", "POLICY",
               "Decode with English tokens only: off, ascii, latin or a spec like ascii+emoji (docs/english-tokens.md)",
               OptionGroup::Generation},
    s.english_only);
  v(OptionInfo{"stop", "TEXT", "Stop when the answer contains this text (repeatable)", OptionGroup::Generation},
    s.stop);
  v(OptionInfo{"special_tokens_in_content", "MODE",
               "Special-token text inside messages (<|im_start|>, <think>, ...): parse (real special tokens, as "
               "transformers) or text (plain text: no prompt injection; the server's default)",
               OptionGroup::Generation},
    s.special_tokens_in_content);
  v(OptionInfo{"ignore_eos", "", "Do not stop at <|im_end|> or <|endoftext|> (fixed-length runs)",
               OptionGroup::Generation},
    s.ignore_eos);
  v(OptionInfo{"repetition_guard", "N",
               "End generation (finish reason \"repetition\") when the last tokens are one cycle repeated N times, "
               ">= 2; 0 = off (the server's default: 8)",
               OptionGroup::Generation},
    s.repetition_guard);
  v(OptionInfo{"repetition_min_period", "N", "The shortest cycle the repetition guard looks for, in tokens, 1..512 (4)",
               OptionGroup::Generation},
    s.repetition_min_period);
  v(OptionInfo{"endpoint", "URL",
               "Generate on this OpenAI-compatible server (vLLM, SGLang, llama-server, qwen3 serve: "
               "http://HOST:PORT[/v1]); qwen3 renders the prompt and applies the rest (docs/scale-out.md)",
               OptionGroup::Endpoint},
    s.endpoint);
  v(OptionInfo{"endpoint_model", "NAME",
               "The model name sent to the endpoint (default: the first one its /v1/models lists)",
               OptionGroup::Endpoint},
    s.endpoint_model);
  v(OptionInfo{"api_key", "KEY",
               "API key: sent to the endpoint as \"Authorization: Bearer KEY\"; serve requires it from its clients "
               "(except GET /health). Never shown",
               OptionGroup::Endpoint},
    s.api_key);
}

// v(info, member) for each parameter of a preset, with validate()'s names.
// S: SamplingSettings or SamplingOverrides (or SamplingFields<W>), const or not.
template <typename S, typename Visitor>
void visit_sampling(S& s, Visitor&& v) {
  v(OptionInfo{"temperature", "F", "Sampling temperature, >= 0; 0 = greedy (thinking preset 0.6, non-thinking 0.7)"},
    s.temperature);
  v(OptionInfo{"top_p", "F",
               "Nucleus sampling: keep the best tokens holding this much probability, 0 < p <= 1 (0.95 / 0.8)"},
    s.top_p);
  v(OptionInfo{"top_k", "N", "Keep only the K most likely tokens; 0 = off (20)"}, s.top_k);
  v(OptionInfo{"min_p", "F", "Drop tokens less likely than MIN_P x the best token's probability, 0..1; 0 = off"},
    s.min_p);
  v(OptionInfo{"presence_penalty", "F",
               "Subtract this from the logit of every token already generated, -2..2 (up to 1.5 against repetition)"},
    s.presence_penalty);
  v(OptionInfo{"frequency_penalty", "F", "Subtract this x the token's count so far, -2..2 (0)"}, s.frequency_penalty);
  v(OptionInfo{"repetition_penalty", "F",
               "Divide positive / multiply negative logits of generated tokens (HF), > 0; 1 = off"},
    s.repetition_penalty);
  v(OptionInfo{"seed", "N|random", "Random seed: the same seed and input give the same output; random by default"},
    s.seed);
  v(OptionInfo{"max_new_tokens", "N", "Stop after this many new tokens, >= 1 (32768)"}, s.max_new_tokens);
}

// "top_p" -> "QWEN3_TOP_P".
std::string env_name(std::string_view key);

// Values as users write them ("bf16", "random", 0.6): text -> value.
// Returns false when `text` is not a T; expected<T>() says what is.
bool parse_text(std::string_view text, std::string& out);
bool parse_text(std::string_view text, int& out);
bool parse_text(std::string_view text, float& out);
bool parse_text(std::string_view text, bool& out);
bool parse_text(std::string_view text, std::uint64_t& out);  // seed: 0 .. 2^64-2 or "random"
bool parse_text(std::string_view text, WeightDType& out);
bool parse_text(std::string_view text, KvDType& out);
bool parse_text(std::string_view text, std::vector<std::string>& out);  // one more item

template <typename T>
std::string_view expected();
template <>
inline std::string_view expected<std::string>() {
  return "a string";
}
template <>
inline std::string_view expected<int>() {
  return "an integer from -2147483648 to 2147483647";
}
template <>
inline std::string_view expected<float>() {
  return "a number";
}
template <>
inline std::string_view expected<bool>() {
  return "true or false";
}
template <>
inline std::string_view expected<std::uint64_t>() {
  return "an integer from 0 to 18446744073709551614, or \"random\"";
}
template <>
inline std::string_view expected<WeightDType>() {
  return "\"auto\", \"bf16\", \"f32\", \"q8_0\" or \"q4_0\"";
}
template <>
inline std::string_view expected<KvDType>() {
  return "\"bf16\" or \"f32\"";
}
template <>
inline std::string_view expected<std::vector<std::string>>() {
  return "a list of strings";
}

// TOML spelling of a value: "cpu" -> "\"cpu\"", 0.6f -> "0.6", 1.0f -> "1.0",
// kRandomSeed -> "\"random\"", WeightDType::BF16 -> "\"bf16\"".
std::string to_toml(const std::string& v);
std::string to_toml(int v);
std::string to_toml(float v);
std::string to_toml(bool v);
std::string to_toml(std::uint64_t v);
std::string to_toml(WeightDType v);
std::string to_toml(KvDType v);
std::string to_toml(const std::vector<std::string>& v);

// A float as the shortest decimal that reads back as the same float, as a
// double (so JSON writers print 0.95, not 0.949999988079071).
double shortest(float v);

// Throws qwen3::Error "<key> = <value> ...: expected ..." for the first
// general option out of its range (the sampling presets: validate()).
void validate_options(const Settings& s);

// ---- Sources and resolution ---------------------------------------------

// Environment variables by name (injectable for tests).
using Environment = std::map<std::string, std::string>;

// The variables resolve() reads from this process: every QWEN3_* variable,
// XDG_CONFIG_HOME and HOME, and the Hugging Face hub's (HF_*,
// HUGGING_FACE_HUB_TOKEN, TRANSFORMERS_OFFLINE, XDG_CACHE_HOME).
Environment process_environment();

struct SettingsSources {
  SettingOverrides command_line;
  Environment environment;
  // --config FILE: must exist. Unset: $QWEN3_CONFIG (must exist), else the
  // default path (may be absent).
  std::optional<std::filesystem::path> config_file;
  // Where to look for generation_config.json. Unset: the resolved model,
  // when it is an existing folder, or a hub name's snapshot folder in the
  // Hugging Face cache (generation_config.json downloaded if missing; when
  // offline, only a cached one is read).
  std::optional<std::filesystem::path> model_dir;
  // How errors and `config show` name an option given in command_line: the
  // CLI passes its flag spelling ("top_p" -> "--top-p"); unset: the key.
  std::function<std::string(std::string_view key)> command_line_name;
};

// The default config path from the environment: $XDG_CONFIG_HOME/qwen3/config.toml,
// else $HOME/.config/qwen3/config.toml; nullopt when neither variable is set.
std::optional<std::filesystem::path> default_config_path(const Environment& environment);

// Applies the sources in precedence order. Throws qwen3::Error, one line,
// naming the file and line, variable or option of a malformed, unknown,
// wrongly typed or out-of-range value, e.g.
//   config.toml:7: unknown key "sampling.thinking.tempreature" (did you mean "temperature"?)
Settings resolve(const SettingsSources& sources);

// One more layer on resolved settings (a server request): each set field
// replaces the value (origin: the key), checked at once; the first bad
// value throws qwen3::Error naming the key.
void apply_overrides(Settings& settings, const SettingOverrides& overrides, Source source);

// The hub options of a run: settings.hub (this process's variables when the
// settings did not come from resolve()), offline also when the settings'
// offline option is on.
hub::HubOptions hub_options(const Settings& settings);

// Where an "ollama:" model is looked for: settings.ollama_models, else this
// process's OLLAMA_MODELS or ~/.ollama/models.
std::filesystem::path ollama_store(const Settings& settings);

// `qwen3 config show`: every value with its source, as TOML with comments
// (valid as a config file) or as JSON (keys in the order above).
std::string settings_to_toml(const Settings& settings);
std::string settings_to_json(const Settings& settings);

}  // namespace qwen3
