#include "cli/reply_printer.h"

#include <cmath>
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
      if (terminal_)
        out_ << kDim;
      else
        out_ << "Thinking:\n";
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

namespace {

using Json = nlohmann::ordered_json;

// Milliseconds and rates to the microsecond / hundredth: measured figures
// carry no more precision than that.
double rounded(double v, double unit) { return std::round(v / unit) * unit; }

const char* mode_name(SamplingMode mode) { return mode == SamplingMode::Thinking ? "thinking" : "non_thinking"; }

Json sampling_json(const SamplingParams& p, std::uint64_t seed) {
  return Json{{"temperature", shortest(p.temperature)},
              {"top_p", shortest(p.top_p)},
              {"top_k", p.top_k},
              {"min_p", shortest(p.min_p)},
              {"presence_penalty", shortest(p.presence_penalty)},
              {"frequency_penalty", shortest(p.frequency_penalty)},
              {"repetition_penalty", shortest(p.repetition_penalty)},
              {"seed", seed},
              {"max_new_tokens", p.max_new_tokens}};
}

Json usage_json(const Usage& u) {
  return Json{{"prompt_tokens", u.prompt_tokens},
              {"reasoning_tokens", u.reasoning_tokens},
              {"answer_tokens", u.answer_tokens},
              {"generated_tokens", u.generated_tokens},
              {"time_to_first_token_ms", rounded(u.time_to_first_token_ms, 1e-3)},
              {"tokens_per_second", rounded(u.tokens_per_second, 1e-2)}};
}

}  // namespace

Json result_json(const GenerationResult& r, const RunReport& run) {
  Json out{{"reasoning", r.reasoning},
           {"content", r.content},
           {"finish_reason", finish_reason_name(r.finish_reason)},
           {"thinking_state", thinking_state_name(r.thinking_state)},
           {"budget_exhausted", r.budget_exhausted}};
  if (!r.message.empty()) out["message"] = r.message;
  out["mode"] = mode_name(run.mode);
  out["seed"] = r.seed;
  out["sampling"] = sampling_json(run.options.sampling, r.seed);
  out["english_only"] = run.english_only;
  out["thinking_budget"] = run.options.thinking_budget ? *run.options.thinking_budget : -1;
  out["usage"] = usage_json(r.usage);
  out["ids"] = r.ids;
  return out;
}

std::string piece_json_line(const ReplyPiece& piece) {
  return dump_json(Json{{"type", piece.kind == PieceKind::Reasoning ? "reasoning" : "content"}, {"text", piece.text}});
}

std::string usage_line(const GenerationResult& r, const RunReport& run) {
  char buf[512];
  const SamplingParams& p = run.options.sampling;
  std::snprintf(buf, sizeof buf,
                "%d prompt, %d reasoning + %d answer tokens; first token after %.0f ms, %.2f tokens/s; "
                "finished: %s; %s mode, seed %llu, temperature %g, top_p %g, top_k %d, min_p %g, "
                "english_only %s, thinking_budget %d",
                r.usage.prompt_tokens, r.usage.reasoning_tokens, r.usage.answer_tokens, r.usage.time_to_first_token_ms,
                r.usage.tokens_per_second, std::string(finish_reason_name(r.finish_reason)).c_str(),
                mode_name(run.mode), static_cast<unsigned long long>(r.seed), shortest(p.temperature),
                shortest(p.top_p), p.top_k, shortest(p.min_p), run.english_only.c_str(),
                run.options.thinking_budget ? *run.options.thinking_budget : -1);
  return buf;
}

std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace qwen3::cli
