#pragma once
// A `qwen3 serve` in the test's process, on a free port of 127.0.0.1 and its
// own thread, until the end of the scope; its request log is kept.
#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "qwen3/server.h"
#include "server/server_fixture.h"

namespace qwen3::test {

class RunningServer {
 public:
  explicit RunningServer(ServerOptions o, const Engine& engine = fixture_engine()) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex_);
      log_.push_back(line);
    };
    server_ = std::make_unique<Server>(engine, o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60);
    return c;
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string metrics() const { return client().Get("/metrics")->body; }
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }
  // The log once it has at least n lines (or after 10 s): the server writes
  // a request's line after the response has been sent, so a client that has
  // its answer may look before the line is there.
  std::vector<std::string> log_lines(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto lines = log();
    while (lines.size() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      lines = log();
    }
    return lines;
  }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> log_;
};

}  // namespace qwen3::test
