#include "cli/reply_printer.h"

#include <cstdio>

namespace qwen3::cli {
namespace {
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kReset = "\x1b[0m";
}  // namespace

void ReplyPrinter::print(const ReplyPiece& piece) {
  if (piece.kind == PieceKind::Reasoning) {
    if (hide_) return;
    if (!any_reasoning_) {
      if (terminal_) out_ << kDim;
      else out_ << "Thinking:\n";
      any_reasoning_ = in_reasoning_ = true;
    }
    out_ << piece.text;
  } else {
    if (in_reasoning_) {
      out_ << (terminal_ ? kReset : "") << "\n\n";
      if (!terminal_) out_ << "Answer:\n";
      in_reasoning_ = false;
    }
    any_content_ = true;
    out_ << piece.text;
  }
  out_.flush();
}

void ReplyPrinter::finish() {
  if (in_reasoning_ && terminal_) out_ << kReset;
  if (any_content_ || in_reasoning_) out_ << "\n";
  out_.flush();
}

std::string usage_line(const GenerationResult& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%d prompt, %d reasoning + %d answer tokens; first token after %.0f ms, %.2f tokens/s; "
                "finished: %s",
                r.usage.prompt_tokens, r.usage.reasoning_tokens, r.usage.answer_tokens,
                r.usage.time_to_first_token_ms, r.usage.tokens_per_second,
                std::string(finish_reason_name(r.finish_reason)).c_str());
  return buf;
}

}  // namespace qwen3::cli
