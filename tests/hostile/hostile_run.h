#pragma once
// Runs the built qwen3 program with a deadline: no shell, a clean
// environment, standard output discarded, standard error kept, and the way it
// ended (exit status, signal or the deadline) told apart.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/test_paths.h"

namespace qwen3::test {

struct BoundedRun {
  int exit_code = -1;  // -1 unless it exited
  int signal = 0;      // the signal that ended it, 0 if none
  bool timed_out = false;
  std::string err;
  double seconds = 0;
};

// `home` holds the run's HOME, XDG folders and its standard error.
inline BoundedRun run_bounded(const std::vector<std::string>& args, const std::filesystem::path& home,
                              double timeout_s) {
  namespace fs = std::filesystem;
  fs::create_directories(home);
  const std::string bin = qwen3_bin().string(), err_file = (home / "stderr").string();
  std::vector<std::string> env = {"PATH=/usr/bin:/bin",
                                  "HOME=" + home.string(),
                                  "XDG_CONFIG_HOME=" + (home / "config").string(),
                                  "XDG_CACHE_HOME=" + (home / "cache").string(),
                                  "HF_HUB_OFFLINE=1",
                                  "QWEN3_TOKENIZER_DIR=" + tokenizer_dir().string()};
  std::vector<char*> argv{const_cast<char*>(bin.c_str())}, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err, 2);
    ::execve(bin.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  BoundedRun r;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.seconds > timeout_s) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.timed_out) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  std::ifstream in(err_file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  return r;
}

}  // namespace qwen3::test
