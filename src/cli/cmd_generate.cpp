// `qwen3 generate`: continue a prompt. For now the prompt is token ids
// (--prompt-ids) decoded greedily; the chat path (text prompt, chat template,
// sampling) is a second input mode of this same command: it adds its options
// beside the raw-ids ones and a branch in run().
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/run_options_flags.h"
#include "qwen3/error.h"

namespace qwen3::cli {
namespace {

struct GenerateArgs {
  ModelFlags model;
  std::string prompt_ids;  // raw-ids mode
  int max_new_tokens = 64;
  bool greedy = false;
  bool json = false;
};

// Greedy continuation of raw ids: argmax (ties: lowest id) at each step, the
// prompt as one batch and every new token through the KV cache. No stop
// token: exactly max_new_tokens ids, as the reference data is made.
std::vector<TokenId> generate_greedy_ids(const Model& model, const std::vector<TokenId>& prompt, int max_new_tokens) {
  const int V = model.config().vocab_size;
  std::vector<float> logits(V);
  Session session = model.new_session();
  model.forward(prompt, session, logits.data());
  std::vector<TokenId> out;
  for (int step = 0; step < max_new_tokens; ++step) {
    const TokenId next = static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(next);
    if (step + 1 < max_new_tokens) model.forward({&next, 1}, session, logits.data());
  }
  return out;
}

void run(const GenerateArgs& a) {
  if (a.prompt_ids.empty()) throw Error("generate: give the prompt as --prompt-ids 1,2,3");
  if (!a.greedy) throw Error("generate --prompt-ids: only --greedy decoding is available for raw ids");
  if (a.max_new_tokens < 0) throw Error("--max-new-tokens " + std::to_string(a.max_new_tokens) + ": must be >= 0");
  const std::vector<TokenId> prompt = parse_ids(a.prompt_ids, "--prompt-ids");
  const auto model = a.model.open(static_cast<int>(prompt.size()) + std::max(a.max_new_tokens, 1));
  const std::vector<TokenId> ids = generate_greedy_ids(*model, prompt, a.max_new_tokens);
  if (a.json) {
    std::cout << nlohmann::json{{"ids", ids}}.dump() << "\n";
  } else {
    for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? "," : "") << ids[i];
    std::cout << "\n";
  }
}

const CommandRegistration registration("generate", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("generate", "Continue a prompt");
  auto a = std::make_shared<GenerateArgs>();
  add_model_flags(*cmd, a->model);
  cmd->add_option("--prompt-ids", a->prompt_ids, "Prompt as token ids, comma-separated (raw, no chat template)");
  cmd->add_option("--max-new-tokens", a->max_new_tokens, "How many tokens to generate")->capture_default_str();
  cmd->add_flag("--greedy", a->greedy, "Greedy decoding (argmax; ties to the lowest id)");
  cmd->add_flag("--json", a->json, "Print {\"ids\": [...]} with the new ids");
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli
