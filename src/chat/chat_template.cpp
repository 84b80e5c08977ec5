// The official Qwen3 chat template, rendered natively. Each step below
// mirrors one block of the Jinja source (quoted in comments), with Jinja's
// truthiness: a string or list is true when non-empty.
#include "chat/json_parse.h"
#include "common/file.h"
#include "common/gguf.h"
#include "common/sha256.h"
#include "qwen3/chat.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Python's str.lstrip('\n'), rstrip('\n'), strip('\n').
std::string_view lstrip_nl(std::string_view s) {
  std::size_t i = s.find_first_not_of('\n');
  return i == std::string_view::npos ? std::string_view{} : s.substr(i);
}
std::string_view rstrip_nl(std::string_view s) {
  std::size_t i = s.find_last_not_of('\n');
  return i == std::string_view::npos ? std::string_view{} : s.substr(0, i + 1);
}
std::string_view strip_nl(std::string_view s) { return rstrip_nl(lstrip_nl(s)); }

// Python's s.split(sep)[0] and s.split(sep)[-1].
std::string_view before_first(std::string_view s, std::string_view sep) {
  std::size_t i = s.find(sep);
  return i == std::string_view::npos ? s : s.substr(0, i);
}
std::string_view after_last(std::string_view s, std::string_view sep) {
  std::size_t i = s.rfind(sep);
  return i == std::string_view::npos ? s : s.substr(i + sep.size());
}

bool is_tool_response_wrapper(std::string_view content) {
  return starts_with(content, "<tool_response>") && ends_with(content, "</tool_response>");
}

// {%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
// Walking backwards, the first user message that is not a <tool_response>
// wrapper is the last real query.
std::size_t last_query_index(const std::vector<ChatMessage>& messages) {
  for (std::size_t k = messages.size(); k-- > 0;)
    if (messages[k].role == Role::User && !is_tool_response_wrapper(messages[k].content)) return k;
  return messages.size() - 1;
}

// The prompt being rendered, and the byte ranges of what the request
// supplied (contents, reasoning, tool calls and definitions), if wanted.
struct Sink {
  std::string text;
  std::vector<Tokenizer::Span>* supplied = nullptr;

  Sink& operator+=(std::string_view template_text) {
    text += template_text;
    return *this;
  }
  Sink& operator+=(char c) {
    text += c;
    return *this;
  }
  // Text from the request.
  void given(std::string_view request_text) {
    const std::size_t begin = text.size();
    text += request_text;
    if (supplied && !request_text.empty()) supplied->push_back({begin, text.size()});
  }
};

void render_tools_system(Sink& out, const ChatRequest& r) {
  out += "<|im_start|>system\n";
  if (r.messages[0].role == Role::System) {
    out.given(r.messages[0].content);
    out += "\n\n";
  }
  out +=
      "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
  for (const auto& tool : *r.tools) {
    out += '\n';
    out.given(to_template_json(tool));
  }
  out +=
      "\n</tools>\n\nFor each function call, return a json object with function name and arguments "
      "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
      "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";
}

void render_assistant(Sink& out, const ChatMessage& m, bool after_last_query, bool is_last) {
  std::string_view content = m.content;
  std::string_view reasoning;
  if (m.reasoning_content) {
    reasoning = *m.reasoning_content;
  } else if (content.find("</think>") != std::string_view::npos) {
    // content.split('</think>')[-1].lstrip('\n') and
    // content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
    reasoning = lstrip_nl(after_last(rstrip_nl(before_first(content, "</think>")), "<think>"));
    content = lstrip_nl(after_last(content, "</think>"));
  }
  out += "<|im_start|>assistant\n";
  if (after_last_query && (is_last || !reasoning.empty())) {
    out += "<think>\n";
    out.given(strip_nl(reasoning));
    out += "\n</think>\n\n";
    out.given(lstrip_nl(content));
  } else {
    out.given(content);
  }
  for (std::size_t i = 0; i < m.tool_calls.size(); ++i) {
    // {%- if (loop.first and content) or (not loop.first) %}: `content` is
    // the split content, before the lstrip of the output expression.
    if (i > 0 || !content.empty()) out += '\n';
    const ToolCall& call = m.tool_calls[i];
    out += "<tool_call>\n{\"name\": \"";
    out.given(call.name);
    out += "\", \"arguments\": ";
    out.given(call.arguments.is_string() ? call.arguments.get<std::string>() : to_template_json(call.arguments));
    out += "}\n</tool_call>";
  }
  out += "<|im_end|>\n";
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::System:
      return "system";
    case Role::User:
      return "user";
    case Role::Assistant:
      return "assistant";
    case Role::Tool:
      return "tool";
  }
  return "?";
}

ChatTemplate ChatTemplate::qwen3() { return ChatTemplate(std::string(kQwen3Sha256), {}); }

ChatTemplate ChatTemplate::from_source(std::string_view jinja_source, std::string_view origin) {
  std::string sha = sha256_hex(jinja_source.data(), jinja_source.size());
  if (sha == kQwen3Sha256) return ChatTemplate(sha, std::string(jinja_source));
  // Trailing whitespace after the last tag renders to nothing (the template
  // uses {%- ... %} throughout), so a copy saved with a final newline is the
  // same template.
  std::string_view trimmed = jinja_source;
  while (!trimmed.empty() &&
         (trimmed.back() == '\n' || trimmed.back() == ' ' || trimmed.back() == '\r' || trimmed.back() == '\t'))
    trimmed.remove_suffix(1);
  if (sha256_hex(trimmed.data(), trimmed.size()) == kQwen3Sha256)
    return ChatTemplate(std::string(kQwen3Sha256), std::string(jinja_source));
  throw Error(std::string(origin) + ": chat template not supported (sha256 " + sha +
              "); qwen3 renders only the official Qwen3 template (sha256 " + std::string(kQwen3Sha256) +
              ") and refuses others rather than render them wrong");
}

ChatTemplate ChatTemplate::from_tokenizer_config(const std::filesystem::path& dir_or_file) {
  namespace fs = std::filesystem;
  if (gguf::is_gguf_file(dir_or_file)) {
    const gguf::File f(dir_or_file);
    const std::string where = dir_or_file.string() + ": metadata tokenizer.chat_template";
    const std::string hint = "; set chat_template = official to use the built-in official Qwen3 template";
    const auto source = f.optional_string("tokenizer.chat_template");
    if (!source) throw Error(where + ": missing" + hint);
    try {
      return from_source(*source, where);
    } catch (const Error& e) {
      throw Error(e.what() + hint);
    }
  }
  fs::path jinja_file, config_file;
  if (fs::is_directory(dir_or_file)) {
    jinja_file = dir_or_file / "chat_template.jinja";
    config_file = dir_or_file / "tokenizer_config.json";
  } else if (dir_or_file.extension() == ".jinja") {
    jinja_file = dir_or_file;
  } else {
    config_file = dir_or_file;
  }
  if (!jinja_file.empty() && (config_file.empty() || fs::exists(jinja_file)))
    return from_source(read_file(jinja_file), jinja_file.string());

  const std::string text = read_file(config_file);  // throws "cannot read PATH: ..."
  const OrderedJson config = chat_detail::parse_json(text, config_file.string() + ":");
  auto tmpl = config.is_object() ? config.find("chat_template") : config.end();
  if (!config.is_object() || tmpl == config.end())
    throw Error(config_file.string() + ": no \"chat_template\" field (expected the Qwen3 tokenizer_config.json)");
  if (!tmpl->is_string())
    throw Error(config_file.string() + ": \"chat_template\" must be a string (got " + std::string(tmpl->type_name()) +
                "); qwen3 supports only the official Qwen3 template");
  return from_source(tmpl->get_ref<const std::string&>(), config_file.string());
}

std::string ChatTemplate::render(const ChatRequest& r) const { return render(r, nullptr); }

std::string ChatTemplate::render(const ChatRequest& r, std::vector<Tokenizer::Span>* supplied) const {
  if (r.messages.empty()) throw Error("chat template: messages must not be empty");
  const auto& msgs = r.messages;
  Sink out;
  out.supplied = supplied;

  if (r.tools && !r.tools->is_array()) throw Error("chat template: tools must be an array of tool objects");
  // {%- if tools %} ... {%- else %} system message ... {%- endif %}
  if (r.tools && !r.tools->empty()) {
    render_tools_system(out, r);
  } else if (msgs[0].role == Role::System) {
    out += "<|im_start|>system\n";
    out.given(msgs[0].content);
    out += "<|im_end|>\n";
  }

  const std::size_t last_query = last_query_index(msgs);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const ChatMessage& m = msgs[i];
    const bool is_last = i + 1 == msgs.size();
    switch (m.role) {
      case Role::User:
      case Role::System:
        if (m.role == Role::System && i == 0) break;  // already rendered above
        out += "<|im_start|>";
        out += role_name(m.role);
        out += '\n';
        out.given(m.content);
        out += "<|im_end|>\n";
        break;
      case Role::Assistant:
        render_assistant(out, m, i > last_query, is_last);
        break;
      case Role::Tool:
        // Consecutive tool results share one user turn.
        if (i == 0 || msgs[i - 1].role != Role::Tool) out += "<|im_start|>user";
        out += "\n<tool_response>\n";
        out.given(m.content);
        out += "\n</tool_response>";
        if (is_last || msgs[i + 1].role != Role::Tool) out += "<|im_end|>\n";
        break;
    }
  }

  if (r.add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (r.enable_thinking == false) out += "<think>\n\n</think>\n\n";
  }
  return std::move(out.text);
}

}  // namespace qwen3
