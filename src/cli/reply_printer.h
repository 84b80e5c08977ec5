#pragma once
// How `chat` and `generate` show a streamed reply: on a terminal the
// reasoning is dimmed (or hidden) and the answer in normal text; into a pipe
// the reasoning goes under a "Thinking:" heading, so the two stay apart
// without escape codes.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "qwen3/engine.h"

namespace qwen3::cli {

class ReplyPrinter {
 public:
  ReplyPrinter(std::ostream& out, bool terminal, bool hide_reasoning)
      : out_(out), terminal_(terminal), hide_(hide_reasoning) {}

  void print(const ReplyPiece& piece);
  // After the reply: closes styling and ends the line.
  void finish();

 private:
  std::ostream& out_;
  bool terminal_, hide_;
  bool in_reasoning_ = false, any_content_ = false, any_reasoning_ = false;
};

// What a reply was run with, reported beside it (--json, --json-stream,
// --usage) so that it can be reproduced: the mode, the sampling values with
// the seed actually used, the English-only policy and the thinking budget.
struct RunReport {
  SamplingMode mode = SamplingMode::Thinking;
  GenerationOptions options;
  std::string english_only = "off";
};

// The reply as one JSON object, keys in reading order: reasoning, content,
// finish_reason, ..., mode, seed, sampling, english_only, thinking_budget,
// usage, ids. Floats in their shortest round-trip form.
nlohmann::ordered_json result_json(const GenerationResult& result, const RunReport& run);
// One --json-stream line for a piece: {"type": "reasoning"|"content", "text": ...}.
std::string piece_json_line(const ReplyPiece& piece);
// The figures of a reply, one line ("12 reasoning + 30 answer tokens, ...; seed 42, ...").
std::string usage_line(const GenerationResult& result, const RunReport& run);
// JSON text that replaces invalid UTF-8 rather than throwing.
std::string dump_json(const nlohmann::ordered_json& j);

}  // namespace qwen3::cli
