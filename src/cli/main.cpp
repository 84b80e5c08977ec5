#include <iostream>
#include <map>

#include "cli/command.h"
#include "qwen3/error.h"

namespace qwen3::cli {
namespace {
std::map<std::string, CommandFactory>& registry() {
  static std::map<std::string, CommandFactory> commands;  // sorted: stable --help
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(std::string name, CommandFactory factory) {
  registry().emplace(std::move(name), std::move(factory));
}

int run_program(int argc, char** argv) {
  CLI::App program{"qwen3: run Qwen3 models (Qwen3-4B and the dense family) locally and exactly"};
  program.name("qwen3");
  program.require_subcommand(1);
  program.set_version_flag("--version", "qwen3 0.1.0");
  for (auto& [name, add] : registry()) add(program);
  try {
    program.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return program.exit(e);
  } catch (const qwen3::Error& e) {
    std::cout.flush();
    std::cerr << "qwen3: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "qwen3: internal error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace qwen3::cli

int main(int argc, char** argv) { return qwen3::cli::run_program(argc, argv); }
