#pragma once
// A job's events -> the bytes of one API's response: OpenAI chat and text
// completions (SSE chunks or one object), Ollama chat and generate (NDJSON
// lines or one object). The reasoning and the answer arrive apart (the
// engine labels pieces by the </think> token); tool calls are cut out of the
// answer when the request gave tools.
#include <memory>
#include <string>

#include "server/requests.h"
#include "server/scheduler.h"

namespace qwen3::server {

enum class Api { OpenAIChat, OpenAICompletion, OllamaChat, OllamaGenerate };

struct ReplyContext {
  Api api = Api::OpenAIChat;
  std::string model;  // the name the server reports
  const Tokenizer* tokenizer = nullptr;
  bool stream = false;
  bool include_usage = false;
  std::optional<int> top_logprobs;
  bool tools = false;
  SamplingMode mode = SamplingMode::Thinking;
  bool return_token_ids = false;  // completions: each choice has the ids it carries (vLLM's token_ids)
};

class Reply {
 public:
  virtual ~Reply() = default;
  // The response's Content-Type.
  virtual std::string content_type() const = 0;
  // Bytes to send before any event (a stream's first chunk), possibly none.
  virtual std::string start() = 0;
  // Bytes for one event of a stream; for a whole reply, "" until Done, then
  // the whole body.
  virtual std::string event(const JobEvent& event, const Job& job) = 0;
  // Bytes that keep an idle connection alive (and reveal a client that left)
  // without changing what the client reads.
  virtual std::string heartbeat() const = 0;
};

std::unique_ptr<Reply> make_reply(const ReplyContext& context);

// OpenAI's finish_reason for a result ("stop", "length", "tool_calls", "repetition", ...).
std::string openai_finish_reason(const GenerationResult& result, bool tool_calls);

// The error object every OpenAI route answers with.
Json openai_error(int status, const std::string& message, const std::string& param, const std::string& type);

}  // namespace qwen3::server
