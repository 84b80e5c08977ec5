// `qwen3 vocab`: which tokens are English (docs/english-tokens.md).
//   qwen3 vocab --model DIR --english [--policy SPEC] [--tools] [--out FILE]
//   qwen3 vocab --model DIR --stats [--json]
//   qwen3 vocab --model DIR [--policy SPEC] --closure --words FILE --compare-vocab FILE   (validation)
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/tokenizer.h"
#include "qwen3/vocab.h"
#include "qwen3/vocab_reports.h"

namespace qwen3::cli::cmd_vocab {
namespace {

struct VocabArgs {
  OptionFlags options;
  bool english = false;
  std::string policy = "latin";
  bool tools = false;
  std::string out;
  bool stats = false;
  bool json = false;
  bool closure = false;
  std::string words;
  std::string compare_vocab;
};

// The allowed ids and, parallel to them, each one's class as an index into
// class_names: compact (one small number per id) and self-describing.
std::string english_json(const vocab::VocabTable& table, const vocab::TokenMask& mask, const VocabArgs& args) {
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (int k = 0; k < vocab::kClassCount; ++k) names.push_back(vocab::class_name(static_cast<vocab::TokenClass>(k)));
  std::vector<int> classes;
  classes.reserve(mask.ids().size());
  for (TokenId id : mask.ids()) classes.push_back(static_cast<int>(table.class_of(id)));
  nlohmann::ordered_json doc = {{"policy", args.policy}, {"tools", args.tools}, {"rows", mask.rows()},
                                {"count", mask.count()}, {"ids", mask.ids()},   {"class_names", names},
                                {"classes", classes}};
  return doc.dump() + "\n";
}

void write_output(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return;
  }
  std::ofstream file(path, std::ios::binary);
  if (!file) throw Error("--out " + path + ": cannot open for writing");
  file << text;
  file.close();
  if (!file) throw Error("--out " + path + ": write failed");
}

void run(const VocabArgs& args) {
  if (!args.english && !args.stats && !args.closure && args.words.empty() && args.compare_vocab.empty())
    throw Error("vocab: say what to produce: --english, --stats, --closure, --words FILE or --compare-vocab FILE");
  // Parse the policy before the (slower) tokenizer load so a typo fails at once.
  vocab::Policy policy = vocab::Policy::parse(args.policy);
  Tokenizer tokenizer = Tokenizer::load(tokenizer_dir(resolve_options(args.options)));
  vocab::VocabTable table = vocab::VocabTable::classify(tokenizer);
  if (args.english) {
    vocab::MaskOptions options;
    options.allow_tool_calls = args.tools;
    write_output(english_json(table, vocab::build_mask(table, policy, options), args), args.out);
  }
  if (args.stats) std::cout << (args.json ? vocab::format_stats_json(table) : vocab::format_stats(table));
  if (args.closure) std::cout << vocab::format_closure_report(vocab::check_closure(tokenizer, table, args.policy));
  if (!args.words.empty())
    std::cout << vocab::format_dictionary_report(
        vocab::check_dictionary(tokenizer, table, vocab::read_word_list(args.words)));
  if (!args.compare_vocab.empty())
    std::cout << vocab::format_vocab_comparison(
        vocab::compare_vocab(tokenizer, table, vocab::read_vocab_strings(args.compare_vocab)));
}

const CommandRegistration registration("vocab", [](CLI::App& program) {
  auto args = std::make_shared<VocabArgs>();
  CLI::App* cmd = program.add_subcommand("vocab", "Classify the vocabulary; list the English tokens");
  add_option_flags(*cmd, args->options, kTokenizerOptions);
  cmd->add_flag("--english", args->english, "Write the ids the policy allows as JSON");
  cmd->add_option("--policy", args->policy,
                  "ascii, latin, or a spec such as ascii+emoji, latin+U+0100-U+017F (default latin)");
  cmd->add_flag("--tools", args->tools, "Also allow <tool_call> and </tool_call>");
  cmd->add_option("--out", args->out, "File for --english (default: standard output)");
  cmd->add_flag("--stats", args->stats, "Print the number of tokens of each class and each policy's size");
  cmd->add_flag("--json", args->json, "With --stats: print JSON");
  cmd->add_flag("--closure", args->closure, "Check that text of the policy's characters encodes into allowed ids");
  cmd->add_option("--words", args->words, "Check a word list (one word per line) against the policies");
  cmd->add_option("--compare-vocab", args->compare_vocab,
                  "Compare with another vocabulary (GPT-2 encoder.json or a tokenizer.json)");
  cmd->callback([args] { run(*args); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_vocab
