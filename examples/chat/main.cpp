// One question to a Qwen3 checkpoint, asked in thinking mode and then in
// non-thinking mode, with the reply streamed as it is generated and the
// reasoning printed apart from the answer.
//
//   chat MODEL_DIR [TOKENIZER_DIR]
//
// MODEL_DIR is a Hugging Face checkpoint folder (config.json, safetensors);
// the tokenizer (tokenizer.json, tokenizer_config.json) is read from
// TOKENIZER_DIR, by default beside the model.
#include <cstdio>
#include <iostream>
#include <string>

#include "qwen3/engine.h"
#include "qwen3/error.h"

namespace {

// Prints the streamed pieces as "reasoning: ..." then "answer: ...". Reasoning
// always comes first (it ends at </think>), so one switch at most.
class Printer {
 public:
  bool operator()(const qwen3::ReplyPiece& piece) {
    if (piece.kind == qwen3::PieceKind::Reasoning && !in_reasoning_) {
      std::cout << "reasoning: ";
      in_reasoning_ = saw_reasoning_ = true;
    } else if (piece.kind == qwen3::PieceKind::Content && !in_answer_) {
      std::cout << (in_reasoning_ ? "\n" : saw_reasoning_ ? "" : "reasoning: (none)\n") << "answer: ";
      in_reasoning_ = false;
      in_answer_ = true;
    }
    std::cout << piece.text << std::flush;
    return true;  // false would stop generation here (FinishReason::Cancelled)
  }
  // Ends the reply, labelling the parts that stayed empty.
  void finish() {
    if (!saw_reasoning_ && !in_answer_) std::cout << "reasoning: (none)\n";
    if (in_reasoning_) std::cout << "\n";
    std::cout << (in_answer_ ? "\n" : "answer: (none)\n");
  }

 private:
  bool in_reasoning_ = false, saw_reasoning_ = false, in_answer_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: chat MODEL_DIR [TOKENIZER_DIR]\n";
    return 2;
  }
  const std::string model_dir = argv[1];
  const std::string tokenizer_dir = argc == 3 ? argv[2] : model_dir;
  try {
    // The options this program chooses, as one layer of qwen3's options
    // model (no environment or config file is read: sources left empty).
    qwen3::SettingsSources sources;
    sources.command_line.model = model_dir;
    if (argc == 3) sources.command_line.tokenizer = argv[2];  // else beside the model
    sources.command_line.ctx = 4096;                          // the KV cache: enough for this exchange
    sources.command_line.sampling.seed = 7;                   // reproducible
    sources.command_line.sampling.max_new_tokens = 24;        // short: a demonstration
    const qwen3::Engine engine(qwen3::resolve(sources));      // model, tokenizer, chat template

    qwen3::ModelRunner runner(engine.model());  // the model with one sequence's cache
    qwen3::Chat chat(runner, engine.tokenizer(), engine.chat_template());
    for (const bool thinking : {true, false}) {
      qwen3::ChatRequest request;
      request.messages.push_back({.role = qwen3::Role::User, .content = "What is 17 times 3?"});
      request.enable_thinking = thinking;
      // The engine picks the mode (enable_thinking, /think, a budget of 0)
      // and that mode's Qwen preset with the options above.
      const qwen3::SamplingMode mode = engine.mode_for(request);
      const qwen3::GenerationOptions options = engine.options_for(mode);

      std::cout << "== " << (mode == qwen3::SamplingMode::Thinking ? "thinking" : "non-thinking") << " mode\n";
      Printer printer;
      const qwen3::GenerationResult result =
          chat.reply(request, options, [&printer](const qwen3::ReplyPiece& p) { return printer(p); });
      printer.finish();
      std::cout << "(" << qwen3::finish_reason_name(result.finish_reason) << ", " << result.usage.generated_tokens
                << " tokens, seed " << result.seed << ", " << qwen3::thinking_state_name(result.thinking_state)
                << ")\n";
    }
  } catch (const qwen3::Error& e) {
    std::cerr << "chat: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
