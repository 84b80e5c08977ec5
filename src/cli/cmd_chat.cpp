// `qwen3 chat`: an interactive conversation in the terminal. Streams the
// reply (reasoning dimmed or hidden, the answer in normal text), keeps only
// the answers in the history, and understands /think, /no_think, /reset and
// /exit on a line of their own (inside a message, /think and /no_think pass
// through to the model as Qwen3's soft switches). Ctrl-C stops the current
// answer; at the prompt it ends the program, as Ctrl-D does.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "cli/generation_flags.h"
#include "cli/reply_printer.h"
#include "qwen3/error.h"

namespace qwen3::cli {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) { interrupted = true; }

struct ChatFlags {
  GenerationFlags generation;
  std::string system;
  bool hide_thinking = false;
  bool show_usage = false;
};

void run(const ChatFlags& flags) {
  GenerationSetup setup = open_generation(flags.generation);
  ModelRunner runner(*setup.model);
  Chat chat(runner, *setup.tokenizer, *setup.chat_template);
  std::optional<bool> thinking = requested_thinking(flags.generation, setup.settings);
  if (!flags.system.empty()) {
    ChatMessage system;
    system.role = Role::System;
    system.content = flags.system;
    chat.history().push_back(system);
  }

  // No SA_RESTART: Ctrl-C at the prompt interrupts the read and ends the program.
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);

  const bool terminal = isatty(STDOUT_FILENO);
  const bool interactive = isatty(STDIN_FILENO);
  std::string line;
  for (;;) {
    if (interactive) std::cout << (terminal ? "\x1b[1m> \x1b[0m" : "> ");
    std::cout.flush();
    interrupted = false;
    if (!std::getline(std::cin, line)) break;  // EOF or Ctrl-C
    if (line == "/exit" || line == "/quit") break;
    if (line.empty()) continue;
    if (line == "/reset") {
      // Everything but the --system message goes.
      auto& history = chat.history();
      const bool has_system = !history.empty() && history.front().role == Role::System;
      history.erase(history.begin() + (has_system ? 1 : 0), history.end());
      std::cout << "(history cleared)\n";
      continue;
    }
    if (line == "/think" || line == "/no_think") {
      thinking = line == "/think";
      std::cout << (*thinking ? "(thinking on)\n" : "(thinking off)\n");
      continue;
    }
    // The preset follows the mode this turn will run in (soft switches included).
    ChatRequest probe;
    probe.messages = chat.history();
    probe.messages.push_back(ChatMessage{Role::User, line, std::nullopt, {}, ""});
    probe.enable_thinking = thinking;
    ReplyPrinter printer(std::cout, terminal, flags.hide_thinking);
    GenerationResult result;
    try {
      const GenerationOptions options = setup.options(setup.mode_for(probe), flags.generation);
      result = chat.say(line, thinking, options, [&](const ReplyPiece& piece) {
        printer.print(piece);
        return !interrupted.load();
      });
    } catch (const Error& e) {
      // One turn failed (a conversation too long for --ctx, invalid UTF-8):
      // say why and keep the conversation, which is unchanged.
      printer.finish();
      std::cout.flush();
      std::cerr << "qwen3: error: " << e.what() << "\n";
      continue;
    }
    printer.finish();
    if (result.finish_reason == FinishReason::Cancelled) std::cout << "(stopped)\n";
    if (!result.message.empty()) std::cerr << "qwen3: " << result.message << "\n";
    if (flags.show_usage) std::cerr << usage_line(result) << "\n";
  }
  if (interactive) std::cout << "\n";
}

const CommandRegistration registration("chat", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("chat", "Chat with the model in the terminal (streams; /think, /no_think, /reset, /exit)");
  auto flags = std::make_shared<ChatFlags>();
  add_generation_flags(*cmd, flags->generation);
  cmd->add_option("--system", flags->system, "System message for the conversation");
  cmd->add_flag("--hide-thinking", flags->hide_thinking, "Do not show the reasoning, only the answer");
  cmd->add_flag("--usage", flags->show_usage, "Print token counts and speed after each answer (to stderr)");
  cmd->callback([flags] { run(*flags); });
});

}  // namespace
}  // namespace qwen3::cli
