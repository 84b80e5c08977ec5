#pragma once
// Qwen3 writes a tool call into its answer as
//   <tool_call>\n{"name": "...", "arguments": {...}}\n</tool_call>
// (the chat template tells it to). ToolCallStream turns the answer's text,
// piece by piece, into the text around the calls and the calls themselves;
// a block that is not such JSON stays text, as written.
#include <string>
#include <string_view>
#include <vector>

namespace qwen3::server {

struct ParsedToolCall {
  std::string name;
  std::string arguments;  // JSON text of the arguments object
};

class ToolCallStream {
 public:
  struct Output {
    std::string text;  // answer text outside tool-call blocks, safe to send now
    std::vector<ParsedToolCall> calls;
  };
  // Feeds answer text as it arrives. Text that may be the start of a block
  // is held back; whitespace is held until something else follows (the
  // newlines between blocks are not content).
  Output push(std::string_view text);
  // End of the answer: an unterminated block is returned as text.
  Output finish();

 private:
  void take(Output& out, bool at_end);
  void emit(Output& out, std::string_view text);

  std::string buffer_;
  std::string held_space_;
  bool inside_ = false;
  bool any_text_ = false;
};

}  // namespace qwen3::server
