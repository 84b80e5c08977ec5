// `qwen3 generate`: one turn. Two inputs, one command:
//   --prompt TEXT|- | --prompt-file FILE [--system TEXT] [--think|--no-think]
//       the chat path: the chat template, the mode's sampling preset, the
//       reasoning separated from the answer (--json: one object; --json-stream:
//       a line per piece, then a summary line);
//   --prompt-ids 1,2,3
//       raw token ids, no template and no stop token: exactly --max-new-tokens
//       ids (with --greedy, argmax with ties to the lowest id, as the
//       reference data is made).
// Both run the engine's one generation loop.
#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "cli/input.h"
#include "cli/options_flags.h"
#include "cli/reply_printer.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"

namespace qwen3::cli::cmd_generate {
namespace {

struct GenerateFlags {
  OptionFlags options;
  std::string prompt;
  std::string prompt_file;
  std::string system;
  std::string prompt_ids;
  bool greedy = false;
  bool json = false;
  bool json_stream = false;
  bool usage = false;
  bool hide_thinking = false;
};

void print_warnings(const GenerationOptions& options, SamplingMode mode) {
  for (const auto& w : sampling_warnings(options.sampling, mode)) std::cerr << "qwen3: warning: " << w << "\n";
}

void run_raw(GenerateFlags flags) {
  const std::vector<TokenId> prompt = parse_ids(flags.prompt_ids, "--prompt-ids");
  // Raw ids have no chat turn: refuse the chat options rather than ignore them.
  const auto& g = flags.options.given;
  if (g.stop || g.enable_thinking || g.thinking_budget || g.thinking_budget_text || !flags.system.empty() ||
      flags.hide_thinking || flags.json_stream)
    throw Error(
        "--stop, --think, --no-think, --thinking-budget(-text), --system, --hide-thinking and "
        "--json-stream apply to --prompt (chat), not to --prompt-ids");
  if (flags.greedy) flags.options.given.sampling.temperature = 0.0f;
  if (!g.sampling.max_new_tokens) flags.options.given.sampling.max_new_tokens = 64;
  const Engine engine(resolve_options(flags.options));
  // Raw ids have no chat mode: the preset of the configured default mode, no
  // stop token, no budget.
  const SamplingMode mode = engine.settings().default_mode();
  GenerationOptions options = engine.options_for(mode);
  options.ignore_eos = true;
  options.thinking_budget.reset();
  options.stop.clear();
  const auto backend = engine.backend();
  const GenerationResult result = backend->generate(engine.tokenizer(), prompt, options);
  const RunReport report{mode, options, engine.settings().english_only.value};
  if (flags.json) {
    std::cout << dump_json({{"ids", result.ids}, {"seed", result.seed}}) << "\n";
  } else {
    for (std::size_t i = 0; i < result.ids.size(); ++i) std::cout << (i ? "," : "") << result.ids[i];
    std::cout << "\n";
  }
  if (flags.usage) std::cerr << usage_line(result, report) << "\n";
}

void run_chat(GenerateFlags flags) {
  const std::string prompt = flags.prompt_file.empty() ? read_text_argument(flags.prompt, "--prompt")
                                                       : read_text_file(flags.prompt_file, "--prompt-file");
  const std::string system = read_text_argument(flags.system, "--system");
  if (flags.greedy) flags.options.given.sampling.temperature = 0.0f;
  const Engine engine(resolve_options(flags.options));
  ChatRequest request;
  if (!system.empty()) request.messages.push_back(ChatMessage{Role::System, system, std::nullopt, {}, ""});
  request.messages.push_back(ChatMessage{Role::User, prompt, std::nullopt, {}, ""});
  request.enable_thinking = engine.enable_thinking();
  const SamplingMode mode = engine.mode_for(request);
  const GenerationOptions options = engine.options_for(mode);
  print_warnings(options, mode);
  const RunReport report{mode, options, engine.settings().english_only.value};

  const auto backend = engine.backend();  // this process's model, or the endpoint
  Chat chat(*backend, engine.tokenizer(), engine.chat_template());
  ReplyPrinter printer(std::cout, isatty(STDOUT_FILENO), flags.hide_thinking);
  PieceCallback stream;
  if (flags.json_stream)
    stream = [](const ReplyPiece& piece) {
      std::cout << piece_json_line(piece) << "\n" << std::flush;
      return true;
    };
  else if (!flags.json)
    stream = [&](const ReplyPiece& piece) {
      printer.print(piece);
      return true;
    };
  const GenerationResult result = chat.reply(request, options, stream);
  if (flags.json_stream) {
    auto summary = result_json(result, report);
    summary.erase("reasoning");  // already streamed
    summary.erase("content");
    nlohmann::ordered_json line{{"type", "summary"}};
    line.update(summary);
    std::cout << dump_json(line) << "\n";
  } else if (flags.json) {
    std::cout << dump_json(result_json(result, report)) << "\n";
  } else {
    printer.finish();
    if (!result.message.empty()) std::cerr << "qwen3: " << result.message << "\n";
  }
  if (flags.usage) std::cerr << usage_line(result, report) << "\n";
}

void run(const GenerateFlags& flags) {
  const int inputs = !flags.prompt.empty() + !flags.prompt_file.empty() + !flags.prompt_ids.empty();
  if (inputs != 1)
    throw Error(
        "generate: give one of --prompt TEXT (or - for standard input), --prompt-file FILE (chat), "
        "or --prompt-ids 1,2,3 (raw ids)");
  if (flags.json && flags.json_stream) throw Error("--json and --json-stream: choose one");
  if (!flags.prompt_ids.empty())
    run_raw(flags);
  else
    run_chat(flags);
}

const CommandRegistration registration("generate", [](CLI::App& program) {
  auto* cmd =
      program.add_subcommand("generate", "Generate one reply (--prompt) or continue raw token ids (--prompt-ids)");
  auto flags = std::make_shared<GenerateFlags>();
  add_option_flags(*cmd, flags->options, kAllOptions);
  cmd->add_option("--prompt", flags->prompt, "The user message (chat template applied); - reads standard input");
  cmd->add_option("--prompt-file", flags->prompt_file, "Read the user message from FILE")->type_name("FILE");
  cmd->add_option("--system", flags->system, "A system message before it");
  cmd->add_option("--prompt-ids", flags->prompt_ids, "Raw prompt token ids, comma-separated (no chat template)")
      ->type_name("IDS");
  cmd->add_flag("--greedy", flags->greedy, "Greedy decoding (temperature 0: argmax, ties to the lowest id)");
  cmd->add_flag("--json", flags->json,
                "Print one JSON object: reasoning, content, finish_reason, mode, seed, sampling, usage, ids "
                "(raw ids: ids and seed)");
  cmd->add_flag("--json-stream", flags->json_stream,
                "Print a JSON line per piece ({\"type\": \"reasoning\"|\"content\", \"text\": ...}), then a "
                "summary line ({\"type\": \"summary\", ...})");
  cmd->add_flag("--usage", flags->usage,
                "Print token counts, speed, seed and sampling values after the reply (stderr)");
  cmd->add_flag("--hide-thinking", flags->hide_thinking, "Do not print the reasoning");
  cmd->callback([flags] { run(*flags); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_generate
