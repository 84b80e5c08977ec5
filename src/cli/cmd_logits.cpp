// `qwen3 logits`: the top-k logits at every position of a prompt given as ids
// (all positions in one batched forward pass).
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/command.h"
#include "cli/input.h"
#include "cli/options_flags.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"

namespace qwen3::cli::cmd_logits {
namespace {

struct LogitsArgs {
  OptionFlags options;
  std::string ids;
  int top_k = 10;
  bool json = false;
};

void run(const LogitsArgs& a) {
  const std::vector<TokenId> ids = parse_ids(a.ids, "--ids");
  const Settings settings = resolve_options(a.options);
  // The model first: a broken weights file is reported without parsing the
  // 11 MB tokenizer.json first.
  const auto model = open_model(settings, static_cast<int>(ids.size()));
  check_prompt_ids(ids, Tokenizer::load(tokenizer_dir(settings)));  // padding rows are not tokens
  const int V = model->config().vocab_size;
  if (a.top_k < 1 || a.top_k > V)
    throw Error("--top-k " + std::to_string(a.top_k) + ": must be in [1, " + std::to_string(V) + "]");
  if (static_cast<std::int64_t>(ids.size()) > model->options().ctx)
    throw Error("--ids: " + std::to_string(ids.size()) + " ids do not fit the context of " +
                std::to_string(model->options().ctx) + " tokens");
  std::vector<float> logits(ids.size() * static_cast<std::size_t>(V));
  Session session = model->new_session();
  model->forward_all(ids, session, logits.data());
  std::vector<TokenId> order(V);
  for (std::size_t pos = 0; pos < ids.size(); ++pos) {
    const float* row = &logits[pos * V];
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + a.top_k, order.end(),
                      [row](TokenId x, TokenId y) { return row[x] > row[y] || (row[x] == row[y] && x < y); });
    if (a.json) {
      nlohmann::json top = nlohmann::json::array();
      for (int k = 0; k < a.top_k; ++k) top.push_back({order[k], row[order[k]]});
      std::cout << nlohmann::json{{"pos", pos}, {"top", top}}.dump() << "\n";
    } else {
      std::cout << "pos " << pos << " (id " << ids[pos] << "):";
      for (int k = 0; k < a.top_k; ++k) std::cout << " " << order[k] << "=" << row[order[k]];
      std::cout << "\n";
    }
  }
}

const CommandRegistration registration("logits", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("logits", "Print the top-k logits at every position of a prompt of token ids");
  auto a = std::make_shared<LogitsArgs>();
  add_option_flags(*cmd, a->options, kModelAndTokenizerOptions);
  cmd->add_option("--ids", a->ids, "Prompt token ids, comma-separated")->required();
  cmd->add_option("--top-k", a->top_k, "How many of the largest logits to print per position")->capture_default_str();
  cmd->add_flag("--json", a->json, "One JSON object per position: {\"pos\": i, \"top\": [[id, logit], ...]}");
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_logits
