#pragma once
// Conversations -> prompt text, byte-identical to the official Qwen3 chat
// template (the Jinja `chat_template` of tokenizer_config.json) as Hugging
// Face transformers renders it. The template is rendered natively, not
// interpreted: ChatTemplate recognises the official template by its sha256 and
// refuses any other one instead of rendering it wrong (docs/chat-template.md).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "qwen3/tokenizer.h"

namespace qwen3 {

// Key order of JSON objects is kept as given: the template prints tools and
// tool-call arguments with `tojson`, which preserves insertion order.
using OrderedJson = nlohmann::ordered_json;

enum class Role { System, User, Assistant, Tool };
std::string_view role_name(Role role);  // "system", "user", "assistant", "tool"

// One call in an assistant message's `tool_calls`. Both OpenAI shapes,
// {"function": {"name", "arguments"}} and {"name", "arguments"}, become this.
struct ToolCall {
  std::string id;  // "id" when given (not rendered by the template)
  std::string name;
  OrderedJson arguments;  // a string is inserted verbatim, anything else as tojson
};

struct ChatMessage {
  Role role = Role::User;
  // For an assistant message, may hold "<think>...</think>answer": the
  // template splits it (unless reasoning_content is given).
  std::string content;
  // Assistant only; nullopt = absent or null (then content may carry the
  // reasoning), "" = given and empty.
  std::optional<std::string> reasoning_content;
  std::vector<ToolCall> tool_calls;  // assistant only
  std::string tool_call_id;          // tool only (not rendered by the template)
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  // Tool definitions (OpenAI function format), each printed with tojson.
  // nullopt or an empty array: no tools section.
  std::optional<OrderedJson> tools;
  bool add_generation_prompt = false;  // Hugging Face's default
  // nullopt = not passed to the template (renders as true). Only false
  // changes the prompt: it appends an empty think block.
  std::optional<bool> enable_thinking;
};

// Builds a ChatRequest from JSON text: the fields of the golden vectors /
// the OpenAI chat format (`messages`, optional `tools`,
// `add_generation_prompt`, `enable_thinking`); other keys are ignored.
// `source` names the input in errors ("request.json: messages[1].role ...").
// Throws qwen3::Error for invalid UTF-8, malformed JSON, or a field of the
// wrong type (messages must be a non-empty array of objects with a string
// role among system/user/assistant/tool and string content; assistant
// content may be null or absent; tool_calls need a string name and
// arguments).
ChatRequest parse_chat_request(std::string_view json_text, std::string_view source = "request");
ChatRequest chat_request_from_json(const OrderedJson& json, std::string_view source = "request");

class ChatTemplate {
 public:
  // sha256 of the official Qwen3 chat_template string (Qwen3-0.6B ... 32B).
  static constexpr std::string_view kQwen3Sha256 = "87a2728cb8dc9fe424d624542f6060ec05a1d285ebbec578bb078900e33396b5";

  // Reads the template from DIR/tokenizer_config.json (`chat_template`
  // string), or DIR/chat_template.jinja when that file exists (newer
  // transformers save it there and give it precedence). A path to either
  // file also works, and so does a GGUF file (its tokenizer.chat_template). Throws qwen3::Error naming the file when it
  // is missing, malformed, has no template, or the template is not one we support.
  static ChatTemplate from_tokenizer_config(const std::filesystem::path& dir_or_file);
  // Recognises template source text; `origin` names it in errors.
  static ChatTemplate from_source(std::string_view jinja_source, std::string_view origin);
  // The official Qwen3 template, without reading any file.
  static ChatTemplate qwen3();

  // The prompt exactly as the template renders `request`.
  std::string render(const ChatRequest& request) const;
  // The same, appending to `supplied` the byte ranges of the prompt that came
  // from the request (message contents, reasoning, tool calls, tool
  // definitions), in order: Tokenizer::encode(prompt, supplied) then keeps
  // special-token text typed inside them ordinary text.
  std::string render(const ChatRequest& request, std::vector<Tokenizer::Span>* supplied) const;

  const std::string& sha256() const { return sha256_; }
  // The template text as read (from_source, from_tokenizer_config); empty for
  // qwen3(), which reads nothing.
  const std::string& source() const { return source_; }

 private:
  ChatTemplate(std::string sha256, std::string source) : sha256_(std::move(sha256)), source_(std::move(source)) {}
  std::string sha256_;
  std::string source_;
};

// Python json.dumps(value, ensure_ascii=False) as Hugging Face's `tojson`
// filter does it: ", " and ": " separators, keys in given order, non-ASCII
// kept, control characters escaped. (Floats print as nlohmann does; Jinja
// engines already disagree there: "1.0" vs "1".)
std::string to_template_json(const OrderedJson& value);

// The /think and /no_think soft switches: plain text the template passes
// through; the model follows the latest one in a user or system message.
enum class SoftSwitch { None, Think, NoThink };
// The switch written last (last message, last occurrence within it) among
// user and system messages. A switch is "/think" or "/no_think" not
// preceded or followed by a letter, digit or '_' ("/thinking" is none).
SoftSwitch latest_soft_switch(const std::vector<ChatMessage>& messages);
// Whether the model is expected to think for this request: false when
// enable_thinking is false (the empty think block overrides soft switches),
// else the latest soft switch decides, else thinking (Qwen3's default).
bool thinking_expected(const ChatRequest& request);

// Multi-turn history keeps only answers: appends an assistant message whose
// content is `answer`, with no reasoning (as Qwen's model card advises; the
// template would also drop reasoning from turns before the last query).
// Pass ParsedReply::content from qwen3/reasoning.h, never the raw output.
void append_assistant_answer(std::vector<ChatMessage>& history, std::string answer);

}  // namespace qwen3
