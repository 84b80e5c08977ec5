#pragma once
// Request bodies (OpenAI and Ollama) -> what the scheduler runs: a request is
// one more layer of the options model (apply_overrides with Source::Request),
// the engine takes the mode, preset and budget decisions, and every bad field
// is an ApiError naming it.
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/utf8.h"
#include "qwen3/engine.h"
#include "qwen3/vocab.h"

namespace qwen3::server {

using Json = nlohmann::ordered_json;

// An error answered as {"error": {"message", "type", "param", "code"}}; the
// message on one line, like qwen3::Error's.
struct ApiError : std::runtime_error {
  ApiError(int status, const std::string& message, std::string param = "", std::string type = "")
      : std::runtime_error(one_line(message)), status(status), param(std::move(param)), type(std::move(type)) {}
  int status;
  std::string param;  // the request field at fault ("" when none)
  std::string type;   // "" -> from the status: invalid_request_error, authentication_error, ...
};

struct Limits {
  int max_messages = 1024;
  int context = 0;  // a slot's context, in tokens
};

// What a request asks for, ready to run.
struct Prepared {
  std::vector<TokenId> prompt;
  GenerationOptions options;
  SamplingMode mode = SamplingMode::Thinking;
  bool stream = false;
  bool include_usage = false;       // stream_options.include_usage
  std::optional<int> top_logprobs;  // logprobs asked (OpenAI): how many alternatives
  bool tools = false;               // <tool_call> blocks in the answer become tool calls
  bool raw = false;                 // a completion: the text as generated, no reasoning split
  bool return_token_ids = false;    // vLLM's return_token_ids: each chunk says the ids it carries
  // The request's own allowed set (vLLM's allowed_token_ids); options.allowed points into it.
  std::shared_ptr<const vocab::TokenMask> allowed;
};

// The settings a request starts from: the engine's, with the server's own
// default (the repetition guard on unless a source set it).
Settings server_defaults(const Settings& engine_settings);

// POST /v1/chat/completions
Prepared prepare_chat(const Engine& engine, const Settings& defaults, const Json& body, const Limits& limits);
// POST /v1/completions (prompt text or ids; no template)
Prepared prepare_completion(const Engine& engine, const Settings& defaults, const Json& body, const Limits& limits);
// POST /api/chat
Prepared prepare_ollama_chat(const Engine& engine, const Settings& defaults, const Json& body, const Limits& limits);
// POST /api/generate
Prepared prepare_ollama_generate(const Engine& engine, const Settings& defaults, const Json& body,
                                 const Limits& limits);

// The body as a JSON object, or a 400 saying why it is not one.
// Objects and arrays nested deeper than kMaxBodyDepth are refused (400).
inline constexpr int kMaxBodyDepth = 128;
Json parse_body(const std::string& body);

}  // namespace qwen3::server
