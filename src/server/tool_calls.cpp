#include "server/tool_calls.h"

#include <nlohmann/json.hpp>

namespace qwen3::server {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
std::size_t partial_tag(std::string_view s, std::string_view tag) {
  for (std::size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n)
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

bool parse_call(std::string_view body, ParsedToolCall& call) {
  const auto j = nlohmann::ordered_json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return false;
  call.name = name->get<std::string>();
  auto args = j.find("arguments");
  if (args == j.end() || args->is_null())
    call.arguments = "{}";
  else if (args->is_string())
    call.arguments = args->get<std::string>();  // already JSON text
  else
    call.arguments = args->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return true;
}

}  // namespace

void ToolCallStream::emit(Output& out, std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  if (end == 0) {
    if (any_text_) held_space_ += text;
    return;
  }
  out.text += held_space_;
  held_space_.clear();
  out.text += text.substr(0, end);
  held_space_ = std::string(text.substr(end));
  any_text_ = true;
}

void ToolCallStream::take(Output& out, bool at_end) {
  for (;;) {
    if (!inside_) {
      const auto open = buffer_.find(kOpen);
      if (open == std::string::npos) {
        const std::size_t keep = at_end ? 0 : partial_tag(buffer_, kOpen);
        emit(out, std::string_view(buffer_).substr(0, buffer_.size() - keep));
        buffer_.erase(0, buffer_.size() - keep);
        return;
      }
      emit(out, std::string_view(buffer_).substr(0, open));
      buffer_.erase(0, open + kOpen.size());
      inside_ = true;
    }
    const auto close = buffer_.find(kClose);
    if (close == std::string::npos) {
      if (at_end) {  // never closed: what was written stays text
        emit(out, std::string(kOpen) + buffer_);
        buffer_.clear();
        inside_ = false;
      }
      return;
    }
    ParsedToolCall call;
    if (parse_call(std::string_view(buffer_).substr(0, close), call))
      out.calls.push_back(std::move(call));
    else
      emit(out, std::string(kOpen) + buffer_.substr(0, close + kClose.size()));
    buffer_.erase(0, close + kClose.size());
    inside_ = false;
  }
}

ToolCallStream::Output ToolCallStream::push(std::string_view text) {
  buffer_ += text;
  Output out;
  take(out, false);
  return out;
}

ToolCallStream::Output ToolCallStream::finish() {
  Output out;
  take(out, true);
  held_space_.clear();
  return out;
}

}  // namespace qwen3::server
