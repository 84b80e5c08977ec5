#include <filesystem>
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
  // A flag given twice: the last one wins, as in most command-line tools
  // (subcommands inherit this; repeatable options such as --stop opt out).
  program.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  for (auto& [name, add] : registry()) add(program);
  try {
    program.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return program.exit(e);  // --help, --version
    // Usage errors read like every other error: one line, exit status 2.
    std::cerr << "qwen3: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const qwen3::Error& e) {
    std::cout.flush();
    std::cerr << "qwen3: error: " << e.what() << "\n";
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    // A path that cannot be looked at (a loop of links, a permission): the
    // input's fault, named like every other input error.
    std::cout.flush();
    std::cerr << "qwen3: error: " << e.path1().string() << ": " << e.code().message() << "\n";
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
