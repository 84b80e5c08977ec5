// `qwen3 tokenize` and `qwen3 detokenize`: the tokenizer from the shell.
//   qwen3 tokenize --model DIR [--json]        text on standard input -> ids
//   qwen3 detokenize --model DIR [--ids 1,2,3] [--skip-special]   ids -> text
// tokenize reads all of standard input, bytes as given (no trimming, no added
// newline), and prints the ids space-separated on one line, or with --json as
// a JSON array such as [9707,1879]. detokenize takes the ids from --ids or, if
// absent, from standard input (either output format of tokenize is accepted)
// and writes the decoded text exactly, with no newline added.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/input.h"
#include "cli/options_flags.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/tokenizer.h"

namespace qwen3::cli::cmd_tokenize {
namespace {

std::string read_stdin() {
  std::string data;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) data.append(buf, n);
  if (std::ferror(stdin)) throw Error("standard input: read failed");
  return data;
}

struct TokenizeArgs {
  OptionFlags options;
  bool json = false;
};

void run_tokenize(const TokenizeArgs& args) {
  Tokenizer tokenizer = Tokenizer::load(tokenizer_dir(resolve_options(args.options)));
  std::string text = read_stdin();
  std::vector<TokenId> ids;
  try {
    ids = tokenizer.encode(text);
  } catch (const Error& e) {
    throw Error(std::string("standard input: ") + e.what());
  }
  std::string out = args.json ? "[" : "";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += args.json ? "," : " ";
    out += std::to_string(ids[i]);
  }
  out += args.json ? "]\n" : "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

struct DetokenizeArgs {
  OptionFlags options;
  std::string ids;
  bool has_ids = false;
  bool skip_special = false;
};

void run_detokenize(const DetokenizeArgs& args) {
  Tokenizer tokenizer = Tokenizer::load(tokenizer_dir(resolve_options(args.options)));
  std::vector<TokenId> ids = args.has_ids ? parse_ids(args.ids, "--ids") : parse_ids(read_stdin(), "standard input");
  std::string text = tokenizer.decode(ids, args.skip_special);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

const CommandRegistration tokenize_registration("tokenize", [](CLI::App& program) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = program.add_subcommand(
      "tokenize", "Print the token ids of the text on standard input (all of it, bytes as given)");
  add_option_flags(*cmd, args->options, kTokenizerOptions);
  cmd->add_flag("--json", args->json, "Print a JSON array such as [9707,1879] (default: ids separated by spaces)");
  cmd->callback([args] { run_tokenize(*args); });
});

const CommandRegistration detokenize_registration("detokenize", [](CLI::App& program) {
  auto args = std::make_shared<DetokenizeArgs>();
  CLI::App* cmd = program.add_subcommand("detokenize", "Print the text of token ids (no newline added)");
  add_option_flags(*cmd, args->options, kTokenizerOptions);
  cmd->add_option("--ids", args->ids,
                  "Ids separated by commas, e.g. 9707,1879 (default: read them from standard input, "
                  "separated by commas or spaces, or as a JSON array)");
  cmd->add_flag("--skip-special", args->skip_special, "Leave out special tokens (<|im_end|>, ...) as HF does");
  cmd->callback([args, cmd] {
    DetokenizeArgs a = *args;
    a.has_ids = cmd->count("--ids") > 0;
    run_detokenize(a);
  });
});

}  // namespace
}  // namespace qwen3::cli::cmd_tokenize
