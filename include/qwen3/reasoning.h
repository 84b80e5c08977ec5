#pragma once
// Splits what Qwen3 generates into reasoning (the <think> block) and the
// answer, by token ids (<think> 151667, </think> 151668), never by searching
// decoded text. Batch and streaming follow one rule and agree exactly
// (docs/chat-template.md, "Reasoning parser"):
//
//   1. Leading newline tokens are skipped. If the next token is <think> (or
//      the prompt already opened a think block), reasoning starts after it.
//      If it is </think>, the reasoning is empty and closed. Otherwise the
//      model is not thinking: everything is content (NoThinking).
//   2. Reasoning ends at the FIRST </think>; all later tokens are content.
//      (Qwen's model card splits at the last </think>; the two differ only
//      when the model writes </think> twice, and only the first can be
//      honoured while streaming. No </think> at all: Unterminated.)
//   3. <think> and </think> tokens are consumed: they never appear in text.
//   4. Each part is decoded with special tokens skipped and stripped of
//      leading and trailing '\n', as the model card's
//      decode(..., skip_special_tokens=True).strip("\n").
#include <span>
#include <string>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3 {

enum class ThinkingState {
  NoThinking,    // the output did not open a think block: all content
  Unterminated,  // a think block was opened and never closed (still thinking, or cut off)
  Complete,      // the think block was closed by </think>
};
std::string_view thinking_state_name(ThinkingState state);  // "no_thinking", "unterminated", "complete"

struct ReasoningOptions {
  // The prompt itself ends inside an open think block (its final assistant
  // turn has a <think> with no </think> after it), so generation starts in
  // reasoning. Never the case with the Qwen3 template's own prompts; see
  // prompt_opens_think().
  bool prompt_opened_think = false;
};

// True when the prompt's last turn (after its last <|im_start|>) contains a
// <think> not followed by </think>: pass it as ReasoningOptions::prompt_opened_think.
bool prompt_opens_think(std::span<const TokenId> prompt_ids);

struct ParsedReply {
  std::string reasoning;  // without the tags, stripped of surrounding '\n'
  std::string content;    // the answer, stripped of surrounding '\n'
  ThinkingState state = ThinkingState::NoThinking;
};

// The whole generated sequence at once (the prompt's ids excluded).
// Throws qwen3::Error for an id the tokenizer does not know.
ParsedReply parse_reply(const Tokenizer& tokenizer, std::span<const TokenId> generated,
                        const ReasoningOptions& options = {});

enum class PieceKind { Reasoning, Content };
struct ReplyPiece {
  PieceKind kind;
  std::string text;  // never empty, always complete UTF-8
};

// The same split, one id at a time, for streaming to a user. The
// concatenation of the Reasoning pieces equals parse_reply(...).reasoning,
// and of the Content pieces .content, for every id sequence. To do so,
// newlines at the end of what has arrived are held back until something
// other than a newline follows (they would be stripped at the end of the
// part), and incomplete UTF-8 is held back by the tokenizer's StreamDecoder.
class ReasoningStream {
 public:
  explicit ReasoningStream(const Tokenizer& tokenizer, const ReasoningOptions& options = {});

  // Feeds one generated id; returns the text that became ready (0-2
  // pieces; a reasoning piece comes before a content piece). Throws
  // qwen3::Error for an unknown id.
  std::vector<ReplyPiece> push(TokenId id);
  // End of generation: releases what the decoder still holds (invalid bytes
  // as U+FFFD) and drops held-back trailing newlines.
  std::vector<ReplyPiece> finish();

  ThinkingState state() const;
  // True while generated tokens are reasoning (for a thinking budget: when
  // it runs out, generate/push </think> to close the block).
  bool in_reasoning() const { return phase_ == Phase::Reasoning; }
  // Tokens pushed while in_reasoning() (tags excluded).
  int reasoning_tokens() const { return reasoning_tokens_; }

 private:
  enum class Phase { Start, Reasoning, Content };

  // Applies the strip-newlines rule to the decoded text of one part.
  class PartStripper {
   public:
    std::string feed(std::string_view text);  // text safe to emit now
   private:
    bool started_ = false;  // a non-newline character has been emitted
    std::size_t held_newlines_ = 0;
  };

  void emit(std::vector<ReplyPiece>& out, PieceKind kind, std::string_view text);
  void end_reasoning(std::vector<ReplyPiece>& out);

  const Tokenizer* tokenizer_;
  StreamDecoder decoder_;
  Phase phase_;
  bool closed_ = false;
  int reasoning_tokens_ = 0;
  PartStripper reasoning_strip_, content_strip_;
};

// Qwen's early-stop text for an exhausted thinking budget (from the Qwen3
// model card's thinking-budget recipe); it closes the think block.
inline constexpr std::string_view kDefaultBudgetStopText =
    "\n\nConsidering the limited time by the user, I have to give the solution based on the "
    "thinking directly now.\n</think>\n\n";

}  // namespace qwen3
