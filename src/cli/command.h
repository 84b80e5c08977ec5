#pragma once
// Each `qwen3 <command>` lives in its own cmd_*.cpp and registers itself with
// a static CommandRegistration, so adding a command touches no shared file.
// Its names live in its own namespace, qwen3::cli::cmd_NAME: the commands
// compile together (a unity build, CMakeLists.txt).
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace qwen3::cli {

// Adds the command's subcommand (options and callback) to the program.
using CommandFactory = std::function<void(CLI::App& program)>;

struct CommandRegistration {
  CommandRegistration(std::string name, CommandFactory factory);
};

// Runs the program: parses, runs the chosen command, turns every qwen3::Error
// into a one-line "qwen3: error: ..." and a non-zero exit.
int run_program(int argc, char** argv);

}  // namespace qwen3::cli
