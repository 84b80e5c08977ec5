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

struct ModelStep;
void forward_batch(std::span<const ModelStep> steps);

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
  // For subclasses that fill the cache by other means (ModelRunner::fill_synthetic).
  void record(std::span<const TokenId> tokens) { tokens_.insert(tokens_.end(), tokens.begin(), tokens.end()); }
  virtual void run(std::span<const TokenId> tokens, float* logits, const std::vector<std::int32_t>* allowed_rows) = 0;
  virtual void drop_after(int n) = 0;

 private:
  friend void forward_batch(std::span<const ModelStep> steps);
  std::vector<TokenId> tokens_;
};

// The Qwen3 Model with one Session: the LanguageModel the engine runs.
class ModelRunner final : public LanguageModel {
 public:
  explicit ModelRunner(const Model& model);
  int logit_rows() const override;
  int context_length() const override;
  // Benchmarks: appends `tokens` with pseudo-random keys and values instead
  // of running them (Model::fill_synthetic).
  void fill_synthetic(std::span<const TokenId> tokens);

 protected:
  void run(std::span<const TokenId> tokens, float* logits, const std::vector<std::int32_t>* allowed_rows) override;
  void drop_after(int n) override;

 private:
  friend void forward_batch(std::span<const ModelStep> steps);
  const Model* model_;
  Session session_;
};

// One sequence's part of a batched step: `tokens` appended to `model`, the
// logits of the last one written to `logits` (nullptr: not wanted).
struct ModelStep {
  LanguageModel* model = nullptr;
  std::span<const TokenId> tokens;
  float* logits = nullptr;
  const std::vector<std::int32_t>* allowed_rows = nullptr;
};

// Runs every step (each on its own model) as one batched pass where it can:
// the ModelRunners of one Model go through Model::forward_batch together
// (weights read once, batch-invariant), any other LanguageModel runs alone.
void forward_batch(std::span<const ModelStep> steps);

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
  // The repetition guard: generation ends (FinishReason::Repetition) when the
  // last tokens are one cycle of min_period .. kMaxRepetitionPeriod tokens
  // written `repetition_repeats` times in a row. 0: off.
  int repetition_repeats = 0;
  int repetition_min_period = 4;
  // The output as decoded text, with no reasoning split (think tags kept,
  // nothing stripped): raw completions. Stop strings apply to all of it.
  bool raw_text = false;
  // Added to the logits of these ids before sampling (OpenAI's logit_bias;
  // -100 or less bans an id).
  std::vector<std::pair<TokenId, float>> logit_bias;
  // Log-probabilities: nullopt: none; N: each generated token's, with the N
  // most likely alternatives (0..20), from the model's distribution (the
  // logits before penalties and sampling filters).
  std::optional<int> logprobs;
};

// The most alternatives GenerationOptions::logprobs may ask for (as OpenAI's top_logprobs).
inline constexpr int kMaxTopLogprobs = 20;

// A generated token's log-probability and the most likely alternatives.
struct TokenLogprob {
  TokenId id = 0;
  float logprob = 0;
  std::vector<std::pair<TokenId, float>> top;  // best first
};

enum class FinishReason {
  Stop,        // <|im_end|> or <|endoftext|>
  StopString,  // a user stop string
  Length,      // max_new_tokens reached
  Context,     // the context is full
  Cancelled,   // the callback asked to stop (e.g. Ctrl-C), or Generation::cancel()
  Repetition,  // the repetition guard saw the same cycle repeated
};
// "stop", "stop_string", "length", "context", "cancelled", "repetition".
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
  std::string message;                 // why generation ended early, for Context ("" otherwise)
  bool budget_exhausted = false;       // the thinking budget closed the think block
  std::uint64_t seed = 0;              // the seed the sampler used (drawn when kRandomSeed was asked)
  int dropped_messages = 0;            // Chat::say: oldest history messages dropped to fit the context
  std::vector<TokenLogprob> logprobs;  // one per sampled id, when GenerationOptions::logprobs asked
  Usage usage;
};

// Receives each labelled piece as it becomes ready; returns false to stop.
using PieceCallback = std::function<bool(const ReplyPiece& piece)>;

// Throws qwen3::Error when an id is not one of the tokenizer's (the rows
// beyond its vocabulary, 151,669..151,935 for Qwen3, are padding, never
// tokens), naming the id and its index.
void check_prompt_ids(std::span<const TokenId> ids, const Tokenizer& tokenizer);
// One generation, step by step: the one implementation of sampling, the
// reasoning split, stop tokens and strings, the thinking budget, the
// repetition guard and usage. Whoever owns the model feeds it:
//
//   Generation g(model, tokenizer, prompt, options, on_piece);
//   while (!g.finished()) {
//     model.forward(g.input(), g.logits(), g.allowed_rows());
//     g.accept_logits();
//   }
//
// (generate() is that loop; a server feeds many at once with forward_batch,
// and may feed a long input in chunks with consumed()). The model's cache is
// reused for the longest common prefix with the prompt: the constructor
// truncates the model to it. The model must not be used by anything else
// until the generation has finished.
class Generation {
 public:
  // Throws qwen3::Error for invalid options or a prompt that is empty or
  // leaves no room in the model's context.
  Generation(LanguageModel& model, const Tokenizer& tokenizer, std::span<const TokenId> prompt,
             GenerationOptions options, PieceCallback on_piece = {});
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;
  ~Generation();

  // What to feed the model now: the prompt it does not hold yet, then each
  // sampled id (or the budget's text). Empty once finished.
  std::span<const TokenId> input() const;
  // The first n < input().size() tokens were fed without asking for logits
  // (a long input in chunks).
  void consumed(std::size_t n);
  // Where the model writes the logits of input()'s last token.
  float* logits();
  const std::vector<std::int32_t>* allowed_rows() const;
  // All of input() was fed and logits() holds its last token's logits:
  // samples (or inserts the budget's text), streams the pieces, and prepares
  // the next input. Returns finished().
  bool accept_logits();
  // Ends the generation now (FinishReason::Cancelled), as a callback
  // returning false does.
  void cancel();
  // A remote server sampled `id` after input() (the server holds the model,
  // so logits() is not read): the same step as accept_logits() without the
  // sampling. When the thinking budget is due, `id` is dropped and the
  // budget's text becomes the next input (result().budget_exhausted turns
  // true: the server must continue after it). Returns finished().
  bool accept_token(TokenId id);
  // The server ended the sequence (Stop: a stop token; Length, Context,
  // Repetition as it reports them): finishes as the model's end would.
  void end(FinishReason reason, std::string message = "");
  bool finished() const { return finished_; }
  LanguageModel& model() const { return *model_; }
  // Complete once finished(); grows while running.
  const GenerationResult& result() const { return result_; }
  // Feeds the model until the end (what generate() does) and returns the result.
  GenerationResult run();

 private:
  class Sink;
  bool emit(std::span<const TokenId> ids);
  bool repeating();
  void record_logprobs(TokenId id);
  bool advance(std::optional<TokenId> given);
  void finish();

  LanguageModel* model_;
  const Tokenizer* tokenizer_;
  GenerationOptions options_;
  GenerationResult result_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<ReasoningStream> stream_;
  std::unique_ptr<StreamDecoder> raw_;  // raw_text: the decoder of the output
  std::vector<TokenId> input_;
  std::size_t consumed_ = 0;
  std::vector<float> logits_;
  std::vector<float> raw_logits_;  // the logits before sampling, for log-probabilities
  std::vector<int> repeat_run_;    // per period: trailing ids equal to the id that many places before
  std::int64_t start_ns_ = 0, first_token_ns_ = 0;
  bool budget_used_ = false;
  bool finished_ = false;
};

// Generates from prompt ids (the model's cache is reused for the longest
// common prefix with what it already holds). Every generation goes through
// here: chat turns, raw ids (ignore_eos for a fixed length) and benchmarks.
GenerationResult generate(LanguageModel& model, const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                          const GenerationOptions& options, const PieceCallback& on_piece = {});

// Where generations run: this process's model (LocalBackend) or an
// OpenAI-compatible server (RemoteBackend, qwen3/endpoint.h). Either way the
// prompt is qwen3's and the reply goes through one Generation (reasoning
// split, stop strings, thinking budget, repetition guard, usage).
class Backend {
 public:
  virtual ~Backend() = default;
  // Tokens a prompt and its reply may hold together.
  virtual int context_length() const = 0;
  virtual GenerationResult generate(const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                                    const GenerationOptions& options, const PieceCallback& on_piece = {}) = 0;
};

// generate() on a LanguageModel (its cache kept between calls).
class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(LanguageModel& model) : model_(&model) {}
  int context_length() const override { return model_->context_length(); }
  GenerationResult generate(const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                            const GenerationOptions& options, const PieceCallback& on_piece = {}) override {
    return qwen3::generate(*model_, tokenizer, prompt, options, on_piece);
  }

 private:
  LanguageModel* model_;
};

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
  // Replies generated by `backend` (which must outlive the chat).
  Chat(Backend& backend, const Tokenizer& tokenizer, ChatTemplate chat_template);

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
  std::shared_ptr<Backend> local_;  // the LanguageModel constructor's
  Backend* backend_;
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
//
// With the endpoint option set, no model is loaded: generations run on that
// server (remote()), with this engine's tokenizer, template and decisions;
// backend() gives whichever applies:
//
//   auto backend = engine.backend();
//   qwen3::Chat chat(*backend, engine.tokenizer(), engine.chat_template());
class RemoteBackend;
class Engine {
 public:
  explicit Engine(Settings settings);
  Engine(Engine&&) noexcept;
  ~Engine();

  const Settings& settings() const { return settings_; }
  // The local model; throws qwen3::Error when the engine runs on an endpoint.
  const Model& model() const;
  // The endpoint generations run on; nullptr when the model is local.
  const RemoteBackend* remote() const { return remote_.get(); }
  // A backend for one conversation: a ModelRunner on model() (its own KV
  // cache), or the endpoint.
  std::unique_ptr<Backend> backend() const;
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ChatTemplate& chat_template() const { return *template_; }
  const vocab::TokenMask* english_mask() const { return mask_.get(); }

  // enable_thinking for the template: the settings' when a source set it,
  // else nullopt (the template's own default, as transformers).
  std::optional<bool> enable_thinking() const;
  // The mode `request` runs in (mode_of with the settings' budget).
  SamplingMode mode_for(const ChatRequest& request) const;
  // The options of a generation in `mode`: that mode's preset, the thinking
  // budget and its text, stop strings, ignore_eos, the English mask, the
  // repetition guard.
  GenerationOptions options_for(SamplingMode mode) const;

  // The same for other settings than the engine's: a server request is one
  // more layer on settings() (apply_overrides with Source::Request). The
  // model, tokenizer and template stay the engine's; the English mask is the
  // one `settings` name (made once per policy, then kept), allowing the
  // <tool_call> tags when the request gives tools.
  SamplingMode mode_for(const ChatRequest& request, const Settings& settings) const;
  GenerationOptions options_for(SamplingMode mode, const Settings& settings, bool tools = false) const;
  // enable_thinking for the template under `settings`.
  std::optional<bool> enable_thinking(const Settings& settings) const;

 private:
  const vocab::TokenMask* mask_for(const std::string& policy, bool tools) const;

  Settings settings_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<RemoteBackend> remote_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ChatTemplate> template_;
  std::unique_ptr<vocab::TokenMask> mask_;
  struct Masks;
  std::unique_ptr<Masks> masks_;  // other policies' masks, made on demand
};

}  // namespace qwen3
