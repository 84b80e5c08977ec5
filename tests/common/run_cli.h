#pragma once
// Runs the built qwen3 program as a user would: arguments quoted for the
// shell, standard input from a string, standard output and standard error
// captured separately, and the exit status.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/test_paths.h"

namespace qwen3::test {

struct CliResult {
  int status = -1;  // exit status; -1 when killed by a signal (a crash)
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `env` entries are "NAME=value" assignments for the program; with
// `only_env` they are its whole environment (nothing inherited).
inline CliResult run_qwen3(const std::vector<std::string>& args, const std::string& input = "",
                           const std::vector<std::string>& env = {}, bool only_env = false) {
  namespace fs = std::filesystem;
  static int counter = 0;
  const fs::path io =
      fs::temp_directory_path() / ("qwen3-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(io);
  std::ofstream(io / "in", std::ios::binary) << input;
  std::string cmd = only_env ? "env -i " : "env ";
  for (const auto& e : env) cmd.append(shell_quote(e)).append(" ");
  cmd.append(shell_quote(qwen3_bin().string()));
  for (const auto& a : args) cmd.append(" ").append(shell_quote(a));
  cmd.append(" < ").append(shell_quote((io / "in").string()));
  cmd.append(" 2> ").append(shell_quote((io / "err").string()));
  CliResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(io / "err", std::ios::binary);
  std::stringstream ss;
  ss << e.rdbuf();
  r.err = ss.str();
  fs::remove_all(io);
  return r;
}

// The contract for bad input: exit status 1 (or 2 for a command-line usage
// error), one line "qwen3: error: ...", naming `fragment`.
inline bool is_one_line_error(const CliResult& r, const std::string& fragment) {
  return (r.status == 1 || r.status == 2) && r.err.rfind("qwen3: error: ", 0) == 0 &&
         std::count(r.err.begin(), r.err.end(), '\n') == 1 && r.err.find(fragment) != std::string::npos;
}

}  // namespace qwen3::test
