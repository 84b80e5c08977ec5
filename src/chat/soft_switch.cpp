// The /think and /no_think soft switches and the history rule: helpers for
// presets and display. The template itself passes the switches through as
// plain text; the model obeys the latest one.
#include "qwen3/chat.h"

namespace qwen3 {
namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Position of the last standalone occurrence of `word` in `text`, or npos.
std::size_t last_standalone(std::string_view text, std::string_view word) {
  for (std::size_t pos = text.rfind(word); pos != std::string_view::npos;
       pos = pos == 0 ? std::string_view::npos : text.rfind(word, pos - 1)) {
    const bool left_ok = pos == 0 || !is_word_char(text[pos - 1]);
    const std::size_t end = pos + word.size();
    const bool right_ok = end == text.size() || !is_word_char(text[end]);
    if (left_ok && right_ok) return pos;
  }
  return std::string_view::npos;
}

}  // namespace

SoftSwitch latest_soft_switch(const std::vector<ChatMessage>& messages) {
  for (std::size_t k = messages.size(); k-- > 0;) {
    const ChatMessage& m = messages[k];
    if (m.role != Role::User && m.role != Role::System) continue;
    const std::size_t think = last_standalone(m.content, "/think");
    const std::size_t no_think = last_standalone(m.content, "/no_think");
    if (think == std::string_view::npos && no_think == std::string_view::npos) continue;
    if (think == std::string_view::npos) return SoftSwitch::NoThink;
    if (no_think == std::string_view::npos) return SoftSwitch::Think;
    return think > no_think ? SoftSwitch::Think : SoftSwitch::NoThink;
  }
  return SoftSwitch::None;
}

bool thinking_expected(const ChatRequest& request) {
  if (request.enable_thinking == false) return false;
  return latest_soft_switch(request.messages) != SoftSwitch::NoThink;
}

void append_assistant_answer(std::vector<ChatMessage>& history, std::string answer) {
  ChatMessage m;
  m.role = Role::Assistant;
  m.content = std::move(answer);
  history.push_back(std::move(m));
}

}  // namespace qwen3
