#pragma once
// The generation loop: prompt ids -> model -> sampler -> reasoning parser,
// with Qwen3's stop tokens, user stop strings, a thinking budget, an optional
// vocabulary restriction (English-only decoding), streaming through a
// callback, and usage figures. Chat::reply() puts the chat template in front.
//
//   qwen3::ModelRunner runner(*model);
//   qwen3::Chat chat(runner, tokenizer, qwen3::ChatTemplate::qwen3());
//   auto result = chat.reply(request, options, [](const qwen3::ReplyPiece& p) {
//     std::cout << p.text; return true; });
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/chat.h"
#include "qwen3/model.h"
#include "qwen3/reasoning.h"
#include "qwen3/sampling.h"
#include "qwen3/settings.h"
#include "qwen3/tokenizer.h"

namespace qwen3 {

namespace vocab {
class TokenMask;
}

// What the loop needs from a model: feed tokens, read the next-token logits.
// The Qwen3 Model (through ModelRunner) or a test double with chosen logits.
// It remembers which tokens its cache holds, so a new prompt that shares a
// prefix with them (the next turn of a chat) only computes the rest.
class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual int logit_rows() const = 0;      // rows of the output projection (151,936)
  virtual int context_length() const = 0;  // tokens the cache holds at most

  const std::vector<TokenId>& tokens() const { return tokens_; }  // in the cache now
  int position() const { return static_cast<int>(tokens_.size()); }
  // Keeps the first n tokens of the cache (n <= position()).
  void truncate(int n);
  // Appends `tokens` and writes the logits of the last one to logits[logit_rows()].
  // With allowed_rows, only those rows are computed and the others are -inf.
  void forward(std::span<const TokenId> tokens, float* logits, const std::vector<std::int32_t>* allowed_rows);

 protected:
  virtual void run(std::span<const TokenId> tokens, float* logits, const std::vector<std::int32_t>* allowed_rows) = 0;
  virtual void drop_after(int n) = 0;

 private:
  std::vector<TokenId> tokens_;
};

// The Qwen3 Model with one Session: the LanguageModel the engine runs.
class ModelRunner final : public LanguageModel {
 public:
  explicit ModelRunner(const Model& model);
  int logit_rows() const override;
  int context_length() const override;

 protected:
  void run(std::span<const TokenId> tokens, float* logits, const std::vector<std::int32_t>* allowed_rows) override;
  void drop_after(int n) override;

 private:
  const Model* model_;
  Session session_;
};

struct GenerationOptions {
  SamplingParams sampling;  // max_new_tokens included
  // Reasoning tokens allowed before the think block is closed for the model
  // by inserting budget_stop_text. nullopt: unlimited.
  std::optional<int> thinking_budget;
  std::string budget_stop_text = std::string(kDefaultBudgetStopText);
  // Generation stops when the answer contains one of these; the stop string
  // and what follows are not returned. They apply to the answer, not to the
  // reasoning, so a word the model weighs while thinking does not cut it off.
  std::vector<std::string> stop;
  // Keep going past <|im_end|> and <|endoftext|> (they are then ordinary
  // tokens): benchmarks and tests that need a fixed length, like vLLM's
  // ignore_eos and llama.cpp's --ignore-eos.
  bool ignore_eos = false;
  // English-only decoding: only these ids can be produced (nullptr: any).
  const vocab::TokenMask* allowed = nullptr;
  // Special-token text inside what a request supplied (message contents,
  // tool calls and definitions): false parses "<|im_start|>" there into the
  // special token, as transformers does; true keeps it ordinary text, so a
  // user cannot forge turns (a server facing untrusted users).
  bool special_tokens_in_content_as_text = false;
};

enum class FinishReason {
  Stop,        // <|im_end|> or <|endoftext|>
  StopString,  // a user stop string
  Length,      // max_new_tokens reached
  Context,     // the context is full
  Cancelled,   // the callback asked to stop (e.g. Ctrl-C)
};
// "stop", "stop_string", "length", "context", "cancelled".
std::string_view finish_reason_name(FinishReason reason);

struct Usage {
  int prompt_tokens = 0;
  int reasoning_tokens = 0;  // generated inside the think block (tags excluded)
  int answer_tokens = 0;     // generated after it, stop token excluded
  int generated_tokens = 0;  // everything generated, tags and forced budget text included
  double time_to_first_token_ms = 0;
  double tokens_per_second = 0;  // decode speed after the first token
};

struct GenerationResult {
  std::vector<TokenId> ids;  // generated ids, forced budget text included, stop token excluded
  std::string reasoning;     // parse_reply(ids) (the answer cut at a stop string)
  std::string content;
  ThinkingState thinking_state = ThinkingState::NoThinking;
  FinishReason finish_reason = FinishReason::Stop;
  std::string message;            // why generation ended early, for Context ("" otherwise)
  bool budget_exhausted = false;  // the thinking budget closed the think block
  std::uint64_t seed = 0;         // the seed the sampler used (drawn when kRandomSeed was asked)
  int dropped_messages = 0;       // Chat::say: oldest history messages dropped to fit the context
  Usage usage;
};

// Receives each labelled piece as it becomes ready; returns false to stop.
using PieceCallback = std::function<bool(const ReplyPiece& piece)>;

// Throws qwen3::Error when an id is not one of the tokenizer's (the rows
// beyond its vocabulary, 151,669..151,935 for Qwen3, are padding, never
// tokens), naming the id and its index.
void check_prompt_ids(std::span<const TokenId> ids, const Tokenizer& tokenizer);

// Generates from prompt ids (the model's cache is reused for the longest
// common prefix with what it already holds). Every generation goes through
// here: chat turns, raw ids (ignore_eos for a fixed length) and benchmarks.
GenerationResult generate(LanguageModel& model, const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                          const GenerationOptions& options, const PieceCallback& on_piece = {});

// The request as it runs: add_generation_prompt on, and thinking off (as
// enable_thinking=false) when the thinking budget is 0.
ChatRequest effective_request(ChatRequest request, std::optional<int> thinking_budget);

// The mode `request` runs in with `thinking_budget`: the template's rule
// (enable_thinking, /think and /no_think) on the effective request.
SamplingMode mode_of(const ChatRequest& request, std::optional<int> thinking_budget);

// A conversation front end: renders requests with the chat template, picks
// the mode, runs generate(), and keeps a history of answers only.
class Chat {
 public:
  Chat(LanguageModel& model, const Tokenizer& tokenizer, ChatTemplate chat_template);

  // The prompt ids of effective_request(request, options.thinking_budget).
  std::vector<TokenId> prompt_ids(ChatRequest request, const GenerationOptions& options) const;
  // One reply to `request`.
  GenerationResult reply(ChatRequest request, const GenerationOptions& options, const PieceCallback& on_piece = {});

  // Interactive use: appends `user_text` to the history, replies, and keeps
  // the answer (never the reasoning) in the history. A cancelled reply
  // leaves the history as it was. When the conversation would leave less
  // than min(max_new_tokens, context / 4) tokens for the reply, the oldest
  // turns (after a leading system message) are dropped first, and
  // result.dropped_messages says how many messages went.
  GenerationResult say(const std::string& user_text, std::optional<bool> enable_thinking,
                       const GenerationOptions& options, const PieceCallback& on_piece = {});
  void reset() { history_.clear(); }
  std::vector<ChatMessage>& history() { return history_; }

 private:
  LanguageModel* model_;
  const Tokenizer* tokenizer_;
  ChatTemplate template_;
  std::vector<ChatMessage> history_;
};

// ---- Opening what the settings name -------------------------------------
// The engine's decisions about a run live here, so that every command (and
// the server) takes them the same way.

// $QWEN3_TOKENIZER_DIR, else $XDG_CACHE_HOME/qwen3/tokenizers/Qwen3, else
// ~/.cache/qwen3/tokenizers/Qwen3 (where scripts/setup.sh fetches it).
std::filesystem::path default_tokenizer_dir();
// settings.tokenizer; else the model (a folder or tokenizer.json; a hub
// name's snapshot folder, its tokenizer files downloaded if missing), except
// a checkpoint without tokenizer.json, which uses default_tokenizer_dir()
// (the dense Qwen3 family shares one tokenizer), and a GGUF file, which is
// its own tokenizer unless a tokenizer.json lies beside it (then that
// folder); with no model, default_tokenizer_dir(). Throws when the model does
// not exist.
std::filesystem::path tokenizer_dir(const Settings& settings);
// Where the model the settings name is: the checkpoint folder or GGUF file
// (a hub name: its snapshot in the Hugging Face cache, downloaded if missing).
std::filesystem::path model_path(const Settings& settings);
// The chat template: the built-in official one with chat_template =
// official, else the model's (ChatTemplate::from_tokenizer_config on
// tokenizer_dir(): tokenizer_config.json, or a GGUF's tokenizer.chat_template).
ChatTemplate chat_template_for(const Settings& settings);
// The model's configuration (no weights read): the model folder's (or hub
// model's) config.json or the GGUF's metadata, else model_config. Throws
// qwen3::Error when neither is set.
ModelConfig load_model_config(const Settings& settings);
// The run options for `config`: unless the settings set ctx, it is
// default_ctx (0: 32768) lowered to the model's context. Validated.
RunOptions run_options_for(const Settings& settings, const ModelConfig& config, int default_ctx = 0);
// Loads the model folder or GGUF file (a hub name: its snapshot in the
// Hugging Face cache, missing files downloaded first: qwen3/hub.h), or
// generates qwen3-dummy-v1 weights for model_config with dummy_weights (the
// manifest beside the config).
std::unique_ptr<Model> open_model(const Settings& settings, int default_ctx = 0);

// A model ready to chat: the model, tokenizer, chat template and English
// mask the settings name, and the rules that turn settings and a request
// into generation options.
//
//   qwen3::Engine engine(settings);
//   qwen3::ModelRunner runner(engine.model());
//   qwen3::Chat chat(runner, engine.tokenizer(), engine.chat_template());
//   auto result = chat.reply(request, engine.options_for(engine.mode_for(request)));
class Engine {
 public:
  explicit Engine(Settings settings);
  Engine(Engine&&) noexcept;
  ~Engine();

  const Settings& settings() const { return settings_; }
  const Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ChatTemplate& chat_template() const { return *template_; }
  const vocab::TokenMask* english_mask() const { return mask_.get(); }

  // enable_thinking for the template: the settings' when a source set it,
  // else nullopt (the template's own default, as transformers).
  std::optional<bool> enable_thinking() const;
  // The mode `request` runs in (mode_of with the settings' budget).
  SamplingMode mode_for(const ChatRequest& request) const;
  // The options of a generation in `mode`: that mode's preset, the thinking
  // budget and its text, stop strings, ignore_eos, the English mask.
  GenerationOptions options_for(SamplingMode mode) const;

 private:
  Settings settings_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ChatTemplate> template_;
  std::unique_ptr<vocab::TokenMask> mask_;
};

}  // namespace qwen3
