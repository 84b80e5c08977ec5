// JSON (golden-vector fields / OpenAI chat format) -> ChatRequest, checking
// every field the template reads, so that rendering itself cannot fail and a
// bad request gets one line naming the field.
#include <string>

#include "chat/json_parse.h"
#include "common/utf8.h"
#include "qwen3/chat.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

[[noreturn]] void fail(std::string_view source, const std::string& field, const std::string& what) {
  // What the request said (a role, a key) may hold line breaks: one line still.
  throw Error(std::string(source) + ": " + one_line(field + " " + what));
}

std::string type_name(const OrderedJson& v) { return v.type_name(); }

std::string require_string(std::string_view source, const std::string& field, const OrderedJson& v) {
  if (!v.is_string()) fail(source, field, "must be a string (got " + type_name(v) + ")");
  return v.get<std::string>();
}

Role parse_role(std::string_view source, const std::string& field, const OrderedJson& v) {
  const std::string role = require_string(source, field, v);
  if (role == "system") return Role::System;
  if (role == "user") return Role::User;
  if (role == "assistant") return Role::Assistant;
  if (role == "tool") return Role::Tool;
  // The template silently drops other roles (e.g. OpenAI's "developer");
  // losing a message without a word would be worse than refusing it.
  fail(source, field, "must be one of system, user, assistant, tool (got \"" + role + "\")");
}

ToolCall parse_tool_call(std::string_view source, const std::string& field, const OrderedJson& v) {
  if (!v.is_object()) fail(source, field, "must be an object (got " + type_name(v) + ")");
  ToolCall call;
  if (auto id = v.find("id"); id != v.end() && !id->is_null()) call.id = require_string(source, field + ".id", *id);
  // The template unwraps `function` when it is truthy; an explicit wrapper
  // must then be a real object with the call inside.
  const OrderedJson* body = &v;
  std::string body_field = field;
  if (auto fn = v.find("function"); fn != v.end() && !fn->is_null()) {
    if (!fn->is_object() || fn->empty()) fail(source, field + ".function", "must be an object with name and arguments");
    body = &*fn;
    body_field = field + ".function";
  }
  auto name = body->find("name");
  if (name == body->end()) fail(source, body_field + ".name", "is missing");
  call.name = require_string(source, body_field + ".name", *name);
  auto args = body->find("arguments");
  if (args == body->end()) fail(source, body_field + ".arguments", "is missing (a JSON string or object)");
  if (chat_detail::nests_deeper_than(*args, chat_detail::kMaxJsonDepth))
    fail(source, body_field + ".arguments",
         "nests deeper than " + std::to_string(chat_detail::kMaxJsonDepth) + " levels");
  call.arguments = *args;
  return call;
}

ChatMessage parse_message(std::string_view source, const std::string& field, const OrderedJson& v) {
  if (!v.is_object()) fail(source, field, "must be an object (got " + type_name(v) + ")");
  ChatMessage m;
  auto role = v.find("role");
  if (role == v.end()) fail(source, field + ".role", "is missing");
  m.role = parse_role(source, field + ".role", *role);

  auto content = v.find("content");
  const bool no_content = content == v.end() || content->is_null();
  if (no_content && m.role != Role::Assistant)
    fail(source, field + ".content", content == v.end() ? "is missing" : "must be a string (got null)");
  // OpenAI clients send `content: null` on assistant tool-call turns; the
  // template would throw on it, we read it as "".
  if (!no_content) m.content = require_string(source, field + ".content", *content);

  if (auto r = v.find("reasoning_content"); r != v.end() && !r->is_null()) {
    if (m.role != Role::Assistant) fail(source, field + ".reasoning_content", "is only allowed on assistant messages");
    m.reasoning_content = require_string(source, field + ".reasoning_content", *r);
  }
  if (auto calls = v.find("tool_calls"); calls != v.end() && !calls->is_null()) {
    if (m.role != Role::Assistant) fail(source, field + ".tool_calls", "is only allowed on assistant messages");
    if (!calls->is_array()) fail(source, field + ".tool_calls", "must be an array (got " + type_name(*calls) + ")");
    for (std::size_t i = 0; i < calls->size(); ++i)
      m.tool_calls.push_back(parse_tool_call(source, field + ".tool_calls[" + std::to_string(i) + "]", (*calls)[i]));
  }
  if (auto id = v.find("tool_call_id"); id != v.end() && !id->is_null())
    m.tool_call_id = require_string(source, field + ".tool_call_id", *id);
  return m;
}

}  // namespace

ChatRequest chat_request_from_json(const OrderedJson& json, std::string_view source) {
  if (!json.is_object()) fail(source, "the request", "must be a JSON object (got " + type_name(json) + ")");
  ChatRequest request;
  auto messages = json.find("messages");
  if (messages == json.end()) fail(source, "messages", "is missing (an array of {role, content} objects)");
  if (!messages->is_array()) fail(source, "messages", "must be an array (got " + type_name(*messages) + ")");
  if (messages->empty()) fail(source, "messages", "must not be empty");
  for (std::size_t i = 0; i < messages->size(); ++i)
    request.messages.push_back(parse_message(source, "messages[" + std::to_string(i) + "]", (*messages)[i]));

  if (auto tools = json.find("tools"); tools != json.end() && !tools->is_null()) {
    if (!tools->is_array()) fail(source, "tools", "must be an array (got " + type_name(*tools) + ")");
    for (std::size_t i = 0; i < tools->size(); ++i) {
      const std::string field = "tools[" + std::to_string(i) + "]";
      if (!(*tools)[i].is_object()) fail(source, field, "must be an object (got " + type_name((*tools)[i]) + ")");
      if (chat_detail::nests_deeper_than((*tools)[i], chat_detail::kMaxJsonDepth))
        fail(source, field, "nests deeper than " + std::to_string(chat_detail::kMaxJsonDepth) + " levels");
    }
    request.tools = *tools;
  }
  if (auto agp = json.find("add_generation_prompt"); agp != json.end() && !agp->is_null()) {
    if (!agp->is_boolean())
      fail(source, "add_generation_prompt", "must be true or false (got " + type_name(*agp) + ")");
    request.add_generation_prompt = agp->get<bool>();
  }
  if (auto think = json.find("enable_thinking"); think != json.end() && !think->is_null()) {
    if (!think->is_boolean()) fail(source, "enable_thinking", "must be true or false (got " + type_name(*think) + ")");
    request.enable_thinking = think->get<bool>();
  }
  return request;
}

ChatRequest parse_chat_request(std::string_view json_text, std::string_view source) {
  if (std::size_t valid = utf8_valid_prefix(json_text); valid != json_text.size())
    fail(source, "the request", "is not valid UTF-8 (bad byte at offset " + std::to_string(valid) + ")");
  const OrderedJson json = chat_detail::parse_json(json_text, std::string(source) + ": the request is");
  return chat_request_from_json(json, source);
}

}  // namespace qwen3
