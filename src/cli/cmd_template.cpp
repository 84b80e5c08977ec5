// `qwen3 template`: render a chat request with the model's chat template.
//   qwen3 template --model DIR --request FILE [--ids]
// FILE (or "-" for standard input) is a JSON object with `messages`, optional
// `tools`, `add_generation_prompt` (default false, as Hugging Face) and
// `enable_thinking` (absent = not passed to the template): the fields of the
// golden chat-template vectors, so a vector file works as is. Prints the
// prompt exactly, with no newline added; --ids prints its token ids instead
// (one JSON array and a newline).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/input.h"
#include "cli/options_flags.h"
#include "qwen3/engine.h"
#include "qwen3/chat.h"
#include "qwen3/error.h"
#include "qwen3/tokenizer.h"

namespace qwen3::cli::cmd_template {
namespace {

// Far beyond any prompt that fits Qwen3's context; refuses a wrong file early.
constexpr std::size_t kMaxRequestBytes = 64u << 20;

struct TemplateArgs {
  OptionFlags options;
  std::string request;
  bool ids = false;
};

std::string read_request(const std::string& path) {
  std::string data;
  if (path == "-") {
    char buf[1 << 16];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0 && data.size() <= kMaxRequestBytes) data.append(buf, n);
    if (std::ferror(stdin)) throw Error("standard input: read failed");
  } else {
    data = read_whole_file(path);
  }
  if (data.size() > kMaxRequestBytes)
    throw Error((path == "-" ? std::string("standard input") : path) + ": request larger than " +
                std::to_string(kMaxRequestBytes >> 20) + " MiB");
  return data;
}

void run_template(const TemplateArgs& args) {
  const ChatTemplate chat_template = chat_template_for(resolve_options(args.options));
  const std::string source = args.request == "-" ? "standard input" : args.request;
  const ChatRequest request = parse_chat_request(read_request(args.request), source);
  const std::string prompt = chat_template.render(request);
  if (!args.ids) {
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
    return;
  }
  const Tokenizer tokenizer = Tokenizer::load(tokenizer_dir(resolve_options(args.options)));
  std::string out = "[";
  for (TokenId id : tokenizer.encode(prompt)) {
    if (out.size() > 1) out += ',';
    out += std::to_string(id);
  }
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

const CommandRegistration template_registration("template", [](CLI::App& program) {
  auto args = std::make_shared<TemplateArgs>();
  CLI::App* cmd = program.add_subcommand(
      "template", "Print the prompt the chat template renders for a request (exactly, no newline added)");
  add_option_flags(*cmd, args->options, kTokenizerOptions);
  cmd->add_option("--request", args->request,
                  "JSON file (or - for standard input): {\"messages\": [...], \"tools\": [...], "
                  "\"add_generation_prompt\": true, \"enable_thinking\": false}")
      ->required();
  cmd->add_flag("--ids", args->ids, "Print the prompt's token ids as a JSON array instead (needs tokenizer.json)");
  cmd->callback([args] { run_template(*args); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_template
