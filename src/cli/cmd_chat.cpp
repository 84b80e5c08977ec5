// `qwen3 chat`: an interactive conversation in the terminal. Streams the
// reply (reasoning dimmed or hidden, the answer in normal text), keeps only
// the answers in the history, and understands commands on a line of their
// own (surrounding spaces ignored): /think, /no_think, /reset, /help (or /?),
// /exit (or /quit). Any other single word starting with '/' is answered as an
// unknown command; inside a message, /think and /no_think pass through to the
// model as Qwen3's soft switches. Ctrl-C stops the current answer (which is
// then not kept in the history); at the prompt it ends the program, as
// Ctrl-D does. When the conversation outgrows the context, the oldest turns
// are dropped, with a notice.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "cli/input.h"
#include "cli/options_flags.h"
#include "cli/reply_printer.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"

namespace qwen3::cli::cmd_chat {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) { interrupted = true; }

struct ChatFlags {
  OptionFlags options;
  std::string system;
  bool hide_thinking = false;
  bool show_usage = false;
  bool json = false;  // a JSON object per turn instead of streamed text
};

constexpr const char* kHelp =
    "commands (on a line of their own):\n"
    "  /think      thinking mode for the next turns\n"
    "  /no_think   non-thinking mode for the next turns\n"
    "  /reset      forget the conversation (the --system message stays)\n"
    "  /help, /?   this list\n"
    "  /exit, /quit, Ctrl-D   leave; Ctrl-C stops an answer\n"
    "/think or /no_think inside a message switches the mode for that message (Qwen3's soft switch).\n";

std::string trimmed(const std::string& line) {
  const auto begin = line.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1);
}

// A single word starting with '/': a command, known or not.
bool is_command(const std::string& text) {
  return text.size() > 1 && text[0] == '/' && text.find_first_of(" \t") == std::string::npos;
}

class ChatSession {
 public:
  ChatSession(const Engine& engine, const ChatFlags& flags)
      : engine_(engine),
        flags_(flags),
        backend_(engine.backend()),
        chat_(*backend_, engine.tokenizer(), engine.chat_template()),
        thinking_(engine.enable_thinking()) {
    const std::string system = read_text_argument(flags.system, "--system");
    if (!system.empty()) chat_.history().push_back(ChatMessage{Role::System, system, std::nullopt, {}, ""});
  }

  // Returns false when the user asked to leave.
  bool command(const std::string& text) {
    if (text == "/exit" || text == "/quit") return false;
    if (text == "/help" || text == "/?") {
      std::cout << kHelp;
    } else if (text == "/reset") {
      auto& history = chat_.history();
      const bool has_system = !history.empty() && history.front().role == Role::System;
      history.erase(history.begin() + (has_system ? 1 : 0), history.end());
      std::cout << "(history cleared)\n";
    } else if (text == "/think" || text == "/no_think") {
      thinking_ = text == "/think";
      std::cout << (*thinking_ ? "(thinking on)\n" : "(thinking off)\n");
    } else {
      std::cout << "(unknown command " << text << "; /help lists the commands)\n";
    }
    return true;
  }

  void turn(const std::string& text, bool terminal) {
    // The preset follows the mode this turn will run in (soft switches included).
    ChatRequest probe;
    probe.messages = chat_.history();
    probe.messages.push_back(ChatMessage{Role::User, text, std::nullopt, {}, ""});
    probe.enable_thinking = thinking_;
    const SamplingMode mode = engine_.mode_for(probe);
    ReplyPrinter printer(std::cout, terminal, flags_.hide_thinking);
    GenerationResult result;
    GenerationOptions options;
    try {
      options = engine_.options_for(mode);
      result = chat_.say(text, thinking_, options, [&](const ReplyPiece& piece) {
        if (!flags_.json) printer.print(piece);
        return !interrupted.load();
      });
    } catch (const Error& e) {
      // One turn failed (invalid UTF-8, a message longer than the context):
      // say why and keep the conversation, which is unchanged.
      printer.finish();
      std::cout.flush();
      std::cerr << "qwen3: error: " << e.what() << "\n";
      return;
    }
    const RunReport report{mode, options, engine_.settings().english_only.value};
    if (flags_.json)
      std::cout << dump_json(result_json(result, report)) << "\n" << std::flush;
    else
      printer.finish();
    if (result.dropped_messages > 0)
      std::cerr << "qwen3: the conversation outgrew the context: dropped the " << result.dropped_messages
                << " oldest messages (/reset starts afresh)\n";
    if (result.finish_reason == FinishReason::Cancelled) std::cout << "(stopped)\n";
    if (!result.message.empty()) std::cerr << "qwen3: " << result.message << "\n";
    if (flags_.show_usage) std::cerr << usage_line(result, report) << "\n";
  }

 private:
  const Engine& engine_;
  const ChatFlags& flags_;
  std::unique_ptr<Backend> backend_;  // this process's model, or the endpoint
  Chat chat_;
  std::optional<bool> thinking_;
};

void run(const ChatFlags& flags) {
  const Engine engine(resolve_options(flags.options));
  ChatSession session(engine, flags);

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
    const std::string text = trimmed(line);
    if (text.empty()) continue;
    if (is_command(text)) {
      if (!session.command(text)) break;
      continue;
    }
    session.turn(text, terminal);
  }
  if (interactive) std::cout << "\n";
}

const CommandRegistration registration("chat", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("chat", "Chat with the model in the terminal (streams; /help lists the commands)");
  auto flags = std::make_shared<ChatFlags>();
  add_option_flags(*cmd, flags->options, kAllOptions);
  cmd->add_option("--system", flags->system, "System message for the conversation");
  cmd->add_flag("--hide-thinking", flags->hide_thinking, "Do not show the reasoning, only the answer");
  cmd->add_flag("--json", flags->json,
                "Print each answer as one JSON object (as generate --json: reasoning, content, mode, seed, "
                "sampling, usage, ...) instead of streamed text");
  cmd->add_flag("--usage", flags->show_usage,
                "Print token counts, speed, seed and sampling values after each answer (to stderr)");
  cmd->callback([flags] { run(*flags); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_chat
