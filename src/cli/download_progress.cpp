// How the program shows hub downloads, on standard error: on a terminal a
// progress bar per file (size, speed, time left), redrawn ten times a
// second; otherwise (a log, a pipe) one line per file when it is in place.
// Installed once as the hub's default observer, so every command that names
// a hub model (chat, generate, info, bench, tokenize, pull, ...) shows it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "qwen3/hub.h"

namespace qwen3::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string bytes_text(double bytes) {
  char buf[32];
  if (bytes >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  else if (bytes >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  return buf;
}

std::string duration_text(double seconds) {
  char buf[32];
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

class DownloadProgress final : public hub::Observer {
 public:
  void on_start(const hub::FileEvent& file) override {
    start_ = last_draw_ = Clock::now();
    start_bytes_ = file.resumed;
    if (terminal()) draw(file, file.resumed, true);
  }

  void on_progress(const hub::FileEvent& file, std::uint64_t done) override {
    if (!terminal()) return;
    const auto now = Clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    draw(file, done, false);
  }

  void on_done(const hub::FileEvent& file) override {
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const double speed = seconds > 0 ? (file.size - start_bytes_) / seconds : 0;
    if (terminal()) {
      draw(file, file.size, false);
      std::fputc('\n', stderr);
    } else {
      std::fprintf(stderr, "qwen3: downloaded %s %s (%s in %.1f s, %s/s%s)\n", file.repo.c_str(), file.file.c_str(),
                   bytes_text(file.size).c_str(), seconds, bytes_text(speed).c_str(), file.resumed ? ", resumed" : "");
    }
    std::fflush(stderr);
  }

  void on_note(std::string_view message) override {
    if (terminal()) std::fputs("\r\x1b[K", stderr);
    std::fprintf(stderr, "qwen3: %.*s\n", static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
  }

 private:
  static bool terminal() {
    static const bool tty = ::isatty(STDERR_FILENO);
    return tty;
  }

  // "tokenizer.json  45% [#########           ] 5.1 MB / 11.4 MB  12.3 MB/s  0:01 left"
  void draw(const hub::FileEvent& file, std::uint64_t done, bool starting) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    const double speed = seconds > 0.2 ? (done - start_bytes_) / seconds : 0;
    const double fraction = file.size ? static_cast<double>(done) / file.size : 0;
    constexpr int width = 24;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(filled, '#');
    bar.resize(width, ' ');
    std::string name = file.file;
    if (name.size() > 36) name = "..." + name.substr(name.size() - 33);
    std::string rate = speed > 0 ? bytes_text(speed) + "/s" : "";
    std::string left = speed > 0 && file.size > done ? duration_text((file.size - done) / speed) + " left" : "";
    if (starting && file.resumed) left = "resuming";
    std::fprintf(stderr, "\r\x1b[K%s %3d%% [%s] %s / %s  %s  %s", name.c_str(), static_cast<int>(fraction * 100),
                 bar.c_str(), bytes_text(done).c_str(), bytes_text(file.size).c_str(), rate.c_str(), left.c_str());
    std::fflush(stderr);
  }

  Clock::time_point start_, last_draw_;
  std::uint64_t start_bytes_ = 0;
};

DownloadProgress progress;

const struct Install {
  Install() { hub::set_default_observer(&progress); }
} install;

}  // namespace
}  // namespace qwen3::cli
