#pragma once
// How `chat` and `generate` show a streamed reply: on a terminal the
// reasoning is dimmed (or hidden) and the answer in normal text; into a pipe
// the reasoning goes under a "Thinking:" heading, so the two stay apart
// without escape codes.
#include <iostream>
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

// The figures of a reply, one line ("12 reasoning + 30 answer tokens, ...").
std::string usage_line(const GenerationResult& result);

}  // namespace qwen3::cli
