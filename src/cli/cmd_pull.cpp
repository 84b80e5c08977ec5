// `qwen3 pull NAME`: download a hub model into the Hugging Face cache (what
// every command would fetch on first use), and print its snapshot folder.
//   qwen3 pull Qwen/Qwen3-4B                   config, tokenizer, weights
//   qwen3 pull Qwen/Qwen3-4B --only tokenizer  tokenizer.json, tokenizer_config.json
//   qwen3 pull Qwen/Qwen3-4B-GGUF:Q4_K_M       the .gguf file of that quantization
// NAME defaults to the model the settings name (--model, QWEN3_MODEL, the
// config file). With --offline it only checks that the cache holds it.
#include <iostream>
#include <map>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "qwen3/error.h"
#include "qwen3/hub.h"

namespace qwen3::cli::cmd_pull {
namespace {

struct PullArgs {
  OptionFlags options;
  std::string name;
  std::string only = "model";
};

void run(const PullArgs& a) {
  OptionFlags flags = a.options;
  if (!a.name.empty()) flags.given.model = a.name;
  const Settings s = resolve_options(flags);
  if (s.model.value.empty()) throw Error("pull: give the model to download, e.g. qwen3 pull Qwen/Qwen3-4B");
  const auto name = hub::hub_model(s.model.value);
  if (!name)
    throw Error("pull: " + s.model.value +
                (hub::parse_model_name(s.model.value) ? " is a local path" : " is not a hub name") +
                " (expected OWNER/NAME[@REVISION][:QUANT], e.g. Qwen/Qwen3-4B)");
  static const std::map<std::string, hub::Files> parts = {
      {"model", hub::Files::Model}, {"config", hub::Files::Config}, {"tokenizer", hub::Files::Tokenizer}};
  const auto snapshot = hub::fetch(*name, parts.at(a.only), hub_options(s));
  if (a.only == "tokenizer" && !snapshot.has("tokenizer.json"))
    throw Error(name->to_string() + " has no tokenizer.json");
  std::cout << snapshot.model_path().string() << "\n";
}

const CommandRegistration registration("pull", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("pull", "Download a model from the Hugging Face hub into its cache");
  auto a = std::make_shared<PullArgs>();
  cmd->add_option("name", a->name, "OWNER/NAME[@REVISION][:QUANT], e.g. Qwen/Qwen3-4B (default: the model setting)")
      ->type_name("NAME");
  add_option_flags(*cmd, a->options, {OptionGroup::Model});
  cmd->add_option("--only", a->only, "Only part of it: config (config.json, generation_config.json) or tokenizer")
      ->check(CLI::IsMember({"model", "config", "tokenizer"}))
      ->type_name("PART");
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_pull
