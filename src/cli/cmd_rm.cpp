// `qwen3 rm NAME...`: remove models from the Hugging Face cache.
//   qwen3 rm Qwen/Qwen3-4B          the whole repository (every revision, its locks)
//   qwen3 rm Qwen/Qwen3-4B@v1.0     one revision, and the files only it used
#include <cstdio>
#include <iostream>
#include <vector>

#include "cli/command.h"
#include "qwen3/error.h"
#include "qwen3/hub.h"

namespace qwen3::cli::cmd_rm {
namespace {

void run(const std::vector<std::string>& names) {
  const hub::HubOptions options = hub::options_from_environment();
  std::vector<hub::ModelName> parsed;
  for (const auto& text : names) {  // every name checked before anything goes
    const auto name = hub::parse_model_name(text);
    if (!name || !name->quant.empty())
      throw Error("rm: " + text + " is not a hub model name (expected OWNER/NAME or OWNER/NAME@REVISION)");
    parsed.push_back(*name);
  }
  for (const auto& name : parsed) {
    const std::uint64_t freed = hub::remove_model(name, options);
    std::printf("removed %s (%.1f MB freed)\n", name.to_string().c_str(), freed / 1e6);
  }
}

const CommandRegistration registration("rm", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("rm", "Remove models (or one revision of one) from the Hugging Face cache");
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("names", *names, "OWNER/NAME[@REVISION], as qwen3 list shows them")->required()->type_name("NAME");
  cmd->callback([names] { run(*names); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_rm
