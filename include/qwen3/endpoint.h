#pragma once
// Generation on a remote OpenAI-compatible server (vLLM, SGLang,
// llama-server, another `qwen3 serve`), controlled by qwen3
// (docs/scale-out.md):
//
//   - qwen3 renders the prompt with its own template and tokenizer and sends
//     the ids to /v1/completions (no server-side template, so the prompt is
//     exactly the local one, and a second request can continue after the
//     thinking budget's text);
//   - the server gets what it can apply itself: the mode's sampling preset
//     (temperature, top_p, top_k, min_p, penalties, seed), max_tokens,
//     ignore_eos, logit_bias, the English-only set as allowed_token_ids, and
//     the stop strings once no reasoning can follow;
//   - qwen3 applies the rest to what streams back: the reasoning split (by
//     token id when the server returns them, return_token_ids; else by
//     re-tokenizing its text, where </think> is one token), stop strings,
//     the thinking budget (the stream is cut when it runs out and a second
//     request continues after the early-stop text), the repetition guard and
//     usage.
//
//   qwen3::RemoteBackend remote({.url = "http://gpu-box:8000"});
//   auto result = remote.generate(tokenizer, prompt_ids, options, on_piece);
#include <string>

#include "qwen3/engine.h"

namespace qwen3 {

struct EndpointOptions {
  std::string url;      // http(s)://HOST[:PORT][/v1]; "/v1" is added when missing
  std::string api_key;  // "Authorization: Bearer KEY" when not empty
  std::string model;    // the name sent; "": the first model GET /v1/models lists
  int context = 0;      // tokens per sequence; 0: the server's max_model_len, else 32768
  long connect_timeout_s = 10;
};

class RemoteBackend final : public Backend {
 public:
  // Asks GET /v1/models for the model name and context (so an unreachable
  // server, a refused key or a wrong model name is an error now, not at the
  // first request). Throws qwen3::Error, one line naming the endpoint and
  // what went wrong; the key is never part of a message.
  explicit RemoteBackend(EndpointOptions options);

  const std::string& base_url() const { return base_; }  // ".../v1"
  const std::string& model() const { return options_.model; }
  int context_length() const override { return options_.context; }

  // Thread-safe: each call is its own HTTP request(s).
  GenerationResult generate(const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                            const GenerationOptions& options, const PieceCallback& on_piece = {}) override;

 private:
  EndpointOptions options_;
  std::string base_;
};

}  // namespace qwen3
