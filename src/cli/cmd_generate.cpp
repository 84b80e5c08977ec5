// `qwen3 generate`: one turn. Two inputs, one command:
//   --prompt TEXT [--system TEXT] [--think|--no-think]   the chat path: the
//       chat template, the mode's sampling preset, the reasoning separated from
//       the answer (with --json: reasoning, content, finish_reason, usage, ids);
//   --prompt-ids 1,2,3                                    raw token ids, no
//       template and no stop token: exactly --max-new-tokens ids (with --greedy,
//       argmax with ties to the lowest id, as the reference data is made).
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/generation_flags.h"
#include "cli/reply_printer.h"
#include "cli/run_options_flags.h"
#include "common/utf8.h"
#include "qwen3/error.h"

namespace qwen3::cli {
namespace {

struct GenerateFlags {
  GenerationFlags generation;
  std::string prompt;
  std::string system;
  std::string prompt_ids;
  bool greedy = false;
  bool json = false;
  bool hide_thinking = false;
};

// Raw ids: every step's token comes from the sampler (greedy or the preset);
// no stop token, as llama.cpp's reference continuations.
std::vector<TokenId> continue_ids(const Model& model, const Tokenizer& tokenizer,
                                  const std::vector<TokenId>& prompt, const SamplingParams& params,
                                  const vocab::TokenMask* allowed) {
  Session session = model.new_session();
  std::vector<float> logits(static_cast<std::size_t>(model.config().vocab_size));
  const std::vector<std::int32_t>* rows = allowed ? &allowed->ids() : nullptr;
  model.forward(prompt, session, logits.data(), rows);
  Sampler sampler(params);
  const std::span<float> real(logits.data(), static_cast<std::size_t>(tokenizer.vocab_size()));
  std::vector<TokenId> out;
  for (int step = 0; step < params.max_new_tokens; ++step) {
    const TokenId next = sampler.sample(real);
    sampler.accept(next);
    out.push_back(next);
    if (step + 1 < params.max_new_tokens) model.forward({&next, 1}, session, logits.data(), rows);
  }
  return out;
}

nlohmann::json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"reasoning_tokens", u.reasoning_tokens},
          {"answer_tokens", u.answer_tokens},
          {"generated_tokens", u.generated_tokens},
          {"time_to_first_token_ms", u.time_to_first_token_ms},
          {"tokens_per_second", u.tokens_per_second}};
}

void run_raw(GenerateFlags flags) {
  const std::vector<TokenId> prompt = parse_ids(flags.prompt_ids, "--prompt-ids");
  // Raw ids have no chat turn: refuse the chat options rather than ignore them.
  const auto& g = flags.generation;
  if (!g.stop.empty() || g.think || g.no_think || g.overrides.thinking_budget || !g.budget_text.empty() ||
      !flags.system.empty() || flags.hide_thinking)
    throw Error("--stop, --think, --no-think, --thinking-budget, --system and --hide-thinking apply to "
                "--prompt (chat), not to --prompt-ids");
  if (flags.greedy) flags.generation.overrides.sampling.temperature = 0.0f;
  if (!flags.generation.overrides.sampling.max_new_tokens) flags.generation.overrides.sampling.max_new_tokens = 64;
  const GenerationSetup setup = open_generation(flags.generation, /*need_template=*/false);
  // Raw ids have no chat mode: the preset of the configured default mode, no advice.
  const SamplingParams params = setup.settings.sampling(setup.settings.default_mode()).params();
  validate(params);
  const auto ids = continue_ids(*setup.model, *setup.tokenizer, prompt, params, setup.english_mask.get());
  if (flags.json) {
    std::cout << nlohmann::json{{"ids", ids}}.dump() << "\n";
  } else {
    for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? "," : "") << ids[i];
    std::cout << "\n";
  }
}

void run_chat(GenerateFlags flags) {
  if (!is_valid_utf8(flags.prompt)) throw Error("--prompt: invalid UTF-8 (expected UTF-8 text)");
  if (!is_valid_utf8(flags.system)) throw Error("--system: invalid UTF-8 (expected UTF-8 text)");
  if (flags.greedy) flags.generation.overrides.sampling.temperature = 0.0f;
  GenerationSetup setup = open_generation(flags.generation);
  ChatRequest request;
  if (!flags.system.empty()) request.messages.push_back(ChatMessage{Role::System, flags.system, std::nullopt, {}, ""});
  request.messages.push_back(ChatMessage{Role::User, flags.prompt, std::nullopt, {}, ""});
  request.enable_thinking = requested_thinking(flags.generation, setup.settings);
  const SamplingMode mode = setup.mode_for(request);
  const GenerationOptions options = setup.options(mode, flags.generation);

  ModelRunner runner(*setup.model);
  Chat chat(runner, *setup.tokenizer, *setup.chat_template);
  const bool terminal = isatty(STDOUT_FILENO);
  ReplyPrinter printer(std::cout, terminal, flags.hide_thinking);
  PieceCallback stream;
  if (!flags.json) stream = [&](const ReplyPiece& piece) { printer.print(piece); return true; };
  const GenerationResult result = chat.reply(request, options, stream);
  if (flags.json) {
    nlohmann::json out = {{"reasoning", result.reasoning},
                          {"content", result.content},
                          {"finish_reason", finish_reason_name(result.finish_reason)},
                          {"thinking_state", thinking_state_name(result.thinking_state)},
                          {"mode", mode == SamplingMode::Thinking ? "thinking" : "non_thinking"},
                          {"budget_exhausted", result.budget_exhausted},
                          {"usage", usage_json(result.usage)},
                          {"ids", result.ids}};
    if (!result.message.empty()) out["message"] = result.message;
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    printer.finish();
    if (!result.message.empty()) std::cerr << "qwen3: " << result.message << "\n";
  }
}

void run(const GenerateFlags& flags) {
  if (flags.prompt_ids.empty() == flags.prompt.empty())
    throw Error("generate: give either --prompt TEXT (chat) or --prompt-ids 1,2,3 (raw ids)");
  if (!flags.prompt_ids.empty()) run_raw(flags);
  else run_chat(flags);
}

const CommandRegistration registration("generate", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("generate", "Generate one reply (--prompt) or continue raw token ids (--prompt-ids)");
  auto flags = std::make_shared<GenerateFlags>();
  add_generation_flags(*cmd, flags->generation);
  cmd->add_option("--prompt", flags->prompt, "The user message (chat template applied)");
  cmd->add_option("--system", flags->system, "A system message before it");
  cmd->add_option("--prompt-ids", flags->prompt_ids, "Raw prompt token ids, comma-separated (no chat template)");
  cmd->add_flag("--greedy", flags->greedy, "Greedy decoding (temperature 0: argmax, ties to the lowest id)");
  cmd->add_flag("--json", flags->json,
                "Print one JSON object: reasoning, content, finish_reason, usage, ids (raw ids: {\"ids\": [...]})");
  cmd->add_flag("--hide-thinking", flags->hide_thinking, "Do not print the reasoning");
  cmd->callback([flags] { run(*flags); });
});

}  // namespace
}  // namespace qwen3::cli
