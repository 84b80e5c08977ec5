// The reasoning parser: the rule of qwen3/reasoning.h, written twice on
// purpose: parse_reply() finds the boundaries by index and decodes each part
// whole; ReasoningStream runs the same rule as a state machine over single
// ids. Tests check that the two agree on random sequences.
#include "qwen3/reasoning.h"

#include <algorithm>

namespace qwen3 {
namespace {

bool is_think_tag(TokenId id) { return id == token::kThinkStart || id == token::kThinkEnd; }

// A token made only of '\n' bytes: skipped before the output's first real
// token (the strip rule would remove it from whichever part it fell in).
bool is_newline_token(const Tokenizer& tokenizer, TokenId id) {
  if (tokenizer.is_added(id)) return false;
  const std::string& bytes = tokenizer.token_bytes(id);
  return !bytes.empty() && std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\n'; });
}

// decode(part without think tags, skip_special_tokens=True).strip("\n")
std::string decode_part(const Tokenizer& tokenizer, std::span<const TokenId> ids) {
  std::vector<TokenId> kept;
  kept.reserve(ids.size());
  for (TokenId id : ids)
    if (!is_think_tag(id)) kept.push_back(id);
  std::string text = tokenizer.decode(kept, /*skip_special=*/true);
  const std::size_t first = text.find_first_not_of('\n');
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of('\n') - first + 1);
}

}  // namespace

std::string_view thinking_state_name(ThinkingState state) {
  switch (state) {
    case ThinkingState::NoThinking:
      return "no_thinking";
    case ThinkingState::Unterminated:
      return "unterminated";
    case ThinkingState::Complete:
      return "complete";
  }
  return "?";
}

bool prompt_opens_think(std::span<const TokenId> prompt_ids) {
  auto last_turn = std::find(prompt_ids.rbegin(), prompt_ids.rend(), token::kImStart);
  bool open = false;
  for (auto it = last_turn.base(); it != prompt_ids.end(); ++it) {
    if (*it == token::kThinkStart) open = true;
    if (*it == token::kThinkEnd) open = false;
  }
  return open;
}

ParsedReply parse_reply(const Tokenizer& tokenizer, std::span<const TokenId> ids, const ReasoningOptions& options) {
  ParsedReply reply;
  std::size_t start = 0;
  if (!options.prompt_opened_think) {
    while (start < ids.size() && is_newline_token(tokenizer, ids[start])) ++start;
    if (start == ids.size() || (ids[start] != token::kThinkStart && ids[start] != token::kThinkEnd)) {
      reply.content = decode_part(tokenizer, ids);
      reply.state = ThinkingState::NoThinking;
      return reply;
    }
    if (ids[start] == token::kThinkStart) ++start;
  }
  const auto close = std::find(ids.begin() + start, ids.end(), token::kThinkEnd);
  const std::size_t end = close - ids.begin();
  reply.reasoning = decode_part(tokenizer, ids.subspan(start, end - start));
  if (close == ids.end()) {
    reply.state = ThinkingState::Unterminated;
  } else {
    reply.state = ThinkingState::Complete;
    reply.content = decode_part(tokenizer, ids.subspan(end + 1));
  }
  return reply;
}

std::string ReasoningStream::PartStripper::feed(std::string_view text) {
  if (!started_) {
    const std::size_t first = text.find_first_not_of('\n');
    if (first == std::string_view::npos) return {};  // leading newlines: stripped
    text.remove_prefix(first);
    started_ = true;
  }
  const std::size_t last = text.find_last_not_of('\n');
  if (last == std::string_view::npos) {  // only newlines: may turn out to be trailing
    held_newlines_ += text.size();
    return {};
  }
  std::string out(held_newlines_, '\n');
  out.append(text.substr(0, last + 1));
  held_newlines_ = text.size() - last - 1;
  return out;
}

ReasoningStream::ReasoningStream(const Tokenizer& tokenizer, const ReasoningOptions& options)
    : tokenizer_(&tokenizer),
      decoder_(tokenizer, /*skip_special=*/true),
      phase_(options.prompt_opened_think ? Phase::Reasoning : Phase::Start) {}

ThinkingState ReasoningStream::state() const {
  if (closed_) return ThinkingState::Complete;
  return phase_ == Phase::Reasoning ? ThinkingState::Unterminated : ThinkingState::NoThinking;
}

void ReasoningStream::emit(std::vector<ReplyPiece>& out, PieceKind kind, std::string_view text) {
  std::string ready = (kind == PieceKind::Reasoning ? reasoning_strip_ : content_strip_).feed(text);
  if (ready.empty()) return;
  if (!out.empty() && out.back().kind == kind) {
    out.back().text += ready;
  } else {
    out.push_back({kind, std::move(ready)});
  }
}

void ReasoningStream::end_reasoning(std::vector<ReplyPiece>& out) {
  // Bytes of an unfinished character belong to the reasoning (as U+FFFD);
  // the held-back trailing newlines of the reasoning are dropped for good.
  emit(out, PieceKind::Reasoning, decoder_.flush());
  phase_ = Phase::Content;
  closed_ = true;
}

std::vector<ReplyPiece> ReasoningStream::push(TokenId id) {
  std::vector<ReplyPiece> out;
  tokenizer_->token_bytes(id);  // throws qwen3::Error for an unknown id, tags included
  switch (phase_) {
    case Phase::Start:
      if (id == token::kThinkStart) {
        phase_ = Phase::Reasoning;
      } else if (id == token::kThinkEnd) {
        end_reasoning(out);
      } else if (!is_newline_token(*tokenizer_, id)) {
        phase_ = Phase::Content;
        emit(out, PieceKind::Content, decoder_.push(id));
      }
      break;
    case Phase::Reasoning:
      if (id == token::kThinkEnd) {
        end_reasoning(out);
      } else if (id != token::kThinkStart) {
        ++reasoning_tokens_;
        emit(out, PieceKind::Reasoning, decoder_.push(id));
      }
      break;
    case Phase::Content:
      if (!is_think_tag(id)) emit(out, PieceKind::Content, decoder_.push(id));
      break;
  }
  return out;
}

std::vector<ReplyPiece> ReasoningStream::finish() {
  std::vector<ReplyPiece> out;
  if (phase_ == Phase::Reasoning) emit(out, PieceKind::Reasoning, decoder_.flush());
  if (phase_ == Phase::Content) emit(out, PieceKind::Content, decoder_.flush());
  return out;
}

}  // namespace qwen3
