// Ctrl-C in `qwen3 chat` stops the current answer, not the program.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "common/test_paths.h"

namespace qwen3 {
namespace {

// One read of what the child has written, waiting up to `ms` for it.
std::string read_some(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return {};
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

TEST(ChatInterrupt, CtrlCStopsTheAnswerAndTheChatGoesOn) {
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  const std::string bin = test::qwen3_bin().string();
  const std::string model = test::fixture_dir().string();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], STDOUT_FILENO);
    ::close(to_child[1]);
    ::close(from_child[0]);
    ::execl(bin.c_str(), bin.c_str(), "chat", "--model", model.c_str(), "--threads", "1", "--ctx", "8192",
            "--max-new-tokens", "8000", "--ignore-eos", "--seed", "1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  const std::string line = "Tell me a very long story\n";
  ASSERT_EQ(::write(to_child[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));

  // Wait until the answer is streaming, then press Ctrl-C.
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (out.size() < 20 && std::chrono::steady_clock::now() < deadline) out += read_some(from_child[0], 500);
  ASSERT_GE(out.size(), 20u) << "no answer streamed";
  ::kill(pid, SIGINT);
  while (out.find("(stopped)") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    out += read_some(from_child[0], 500);
  EXPECT_NE(out.find("(stopped)"), std::string::npos);

  // The program is still there and takes the next command.
  const std::string bye = "/exit\n";
  ASSERT_EQ(::write(to_child[1], bye.data(), bye.size()), static_cast<ssize_t>(bye.size()));
  ::close(to_child[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(from_child[0]);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace qwen3
