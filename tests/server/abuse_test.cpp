// The server under abuse, in-process on 127.0.0.1 (a free port), with raw
// sockets: a gigabyte body refused before it is read, invalid UTF-8 and deep
// nesting, slow clients beside normal ones, thousands of connections opened
// and dropped, clients that vanish mid-stream; the server keeps answering,
// frees every slot and its memory stays flat. scripts/abuse-server.sh runs
// the same mix for minutes (docs/reliability.md).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "qwen3/server.h"
#include "server/running_server.h"
#include "server/server_fixture.h"

namespace qwen3 {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

using Running = test::RunningServer;

// A raw TCP connection to the server.
class Conn {
 public:
  explicit Conn(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Conn() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool ok() const { return ok_; }
  bool send(const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
      const ssize_t n = ::send(fd_, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Everything until the server closes the connection or `timeout_ms` passes;
  // `closed` says which.
  std::string read_all(int timeout_ms, bool* closed = nullptr) {
    std::string out;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    if (closed) *closed = false;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return out;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return out;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  bool ok_ = false;
};

int status_of(const std::string& response) {
  return response.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(response.c_str() + 9) : 0;
}

std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

const char* kSmallChat = R"({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "seed": 1})";

TEST(Abuse, AGigabyteBodyIsRefusedBeforeItIsRead) {
  Running s({});
  // The headers promise 1 GiB; nothing follows. The answer comes at once and
  // the connection closes (its unread body must not be parsed as a request).
  for (const std::string& headers :
       {std::string("Content-Length: 1073741824\r\n"), std::string("Transfer-Encoding: chunked\r\n"), std::string(""),
        std::string("Content-Length: 12abc\r\n")}) {
    Conn c(s.port());
    ASSERT_TRUE(c.ok());
    const auto start = Clock::now();
    ASSERT_TRUE(c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers +
                       "\r\n"));
    bool closed = false;
    const std::string r = c.read_all(5000, &closed);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2)) << headers;
    EXPECT_TRUE(closed) << headers;
    const int expected = headers.empty() || headers[0] == 'T'       ? 411
                         : headers.find("abc") != std::string::npos ? 400
                                                                    : 413;
    EXPECT_EQ(status_of(r), expected) << r;
    const json e = json::parse(body_of(r), nullptr, false);
    ASSERT_TRUE(e.is_object() && e.contains("error")) << r;
    EXPECT_EQ(e["error"]["code"], expected);
  }
  // Sending the body anyway changes nothing: refused, closed, never read.
  Conn c(s.port());
  c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n");
  c.send(std::string(1 << 20, '['));
  EXPECT_EQ(status_of(c.read_all(5000)), 413);
  EXPECT_EQ(s.client().Get("/health")->status, 200);
}

TEST(Abuse, InvalidUtf8AndDeepNestingAreOneClearError) {
  Running s({});
  auto c = s.client();
  const std::string bad_utf8 = "{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\xfe\xc3\x28\"}]}";
  const std::string deep_array = std::string(200000, '[') + std::string(200000, ']');
  const std::string deep_message =
      "{\"messages\": [{\"role\": \"user\", \"content\": " + deep_array + "}], \"max_tokens\": 2}";
  for (const std::string& body : {bad_utf8, deep_array, deep_message}) {
    for (const char* path : {"/v1/chat/completions", "/api/chat", "/tokenize"}) {
      auto r = c.Post(path, body, "application/json");
      ASSERT_TRUE(r) << path;
      EXPECT_EQ(r->status, 400) << path << ": " << r->body.substr(0, 200);
      const json e = json::parse(r->body, nullptr, false);
      ASSERT_TRUE(e.is_object() && e.contains("error")) << r->body.substr(0, 200);
      const std::string message =
          e["error"].is_object() ? e["error"]["message"].get<std::string>() : e["error"].get<std::string>();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
  EXPECT_EQ(c.Post("/v1/chat/completions", kSmallChat, "application/json")->status, 200);
}

// The value of a line of /metrics ("name value"), or -1.
long metric(const std::string& metrics, const std::string& name) {
  const auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atol(metrics.c_str() + at + name.size() + 2);
}

// Enough file descriptors for the test's connections and the server's.
void allow_open_files(rlim_t n) {
  rlimit r{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &r), 0);
  if (r.rlim_cur < n) r.rlim_cur = std::min(n, r.rlim_max);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &r), 0);
  ASSERT_GE(r.rlim_cur, n) << "the hard limit of open files is too low for this test";
}

TEST(Abuse, SlowClientsAndIdleConnectionsDoNotStarveOthers) {
  allow_open_files(4096);
  Running s({});  // 84 worker threads: parallel 4 + queue 64 + 16
  // 500 clients trickle a request a byte a second and 200 more connect and
  // say nothing, all from one thread, while others are served as usual.
  const std::string request = std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ") +
                              std::to_string(std::strlen(kSmallChat)) + "\r\n\r\n" + kSmallChat;
  std::vector<std::unique_ptr<Conn>> slow, idle;
  for (int i = 0; i < 500; ++i) {
    slow.push_back(std::make_unique<Conn>(s.port()));
    ASSERT_TRUE(slow.back()->ok()) << i;
  }
  for (int i = 0; i < 200; ++i) idle.push_back(std::make_unique<Conn>(s.port()));
  std::atomic<bool> stop{false};
  std::atomic<int> slow_bytes{0};
  std::thread trickle([&] {
    auto next = Clock::now();
    for (std::size_t at = 0; at < request.size() && !stop; ++at) {
      for (auto& c : slow)
        if (c->send(std::string(1, request[at]))) ++slow_bytes;
      next += std::chrono::seconds(1);
      while (!stop && Clock::now() < next) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto c = s.client();
  Clock::duration slowest{};
  for (int i = 0; i < 8; ++i) {
    const auto start = Clock::now();
    auto r = c.Post("/v1/chat/completions", kSmallChat, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto h = s.client().Get("/health");  // a new connection each time
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    slowest = std::max(slowest, Clock::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_LT(slowest, std::chrono::seconds(3));
  RecordProperty("slowest_normal_ms",
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count()));
  EXPECT_GE(metric(s.metrics(), "qwen3_connections_open"), 500);  // all still open, none answered
  EXPECT_GE(slow_bytes.load(), 500 * 2);                          // they were trickling all along
  stop = true;
  trickle.join();
  for (auto& conn : slow) {
    bool closed = false;
    EXPECT_EQ(conn->read_all(1, &closed), "");  // no answer: they have not finished
    EXPECT_FALSE(closed);
  }
  slow.clear();
  idle.clear();
  c.stop();  // its kept-alive connection
  // Every connection is freed: only /metrics' own remains.
  // The figure seen last is checked: a fresh /metrics call can still count
  // the previous call's connection, whose close the server has not yet read.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  long open = metric(s.metrics(), "qwen3_connections_open");
  while (open > 1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    open = metric(s.metrics(), "qwen3_connections_open");
  }
  EXPECT_EQ(open, 1);
}

// Sends `prefix` then `filler` over and over, up to `total` bytes, taking
// the server's answer as it comes; returns the answer. `peak_growth_kib`:
// the most the process's resident memory grew meanwhile.
std::string send_endless(int port, const std::string& prefix, char filler, std::size_t total, long* peak_growth_kib) {
  Conn c(port);
  const long before = rss_kib();
  *peak_growth_kib = 0;
  c.send(prefix);
  const std::string chunk(1 << 20, filler);
  std::string answer;
  for (std::size_t sent = prefix.size(), n = 0; sent < total; sent += chunk.size(), ++n) {
    if (!c.send(chunk)) break;  // closed by the server
    if (n % 8 == 0) *peak_growth_kib = std::max(*peak_growth_kib, rss_kib() - before);
  }
  *peak_growth_kib = std::max(*peak_growth_kib, rss_kib() - before);
  return c.read_all(3000);
}

TEST(Abuse, AnEndlessLineIsRefusedWithoutBeingBuffered) {
  Running s({});
  EXPECT_EQ(s.client().Get("/health")->status, 200);
  // A request line of 200 MB (httplib alone buffers it whole: 333 MB peak).
  long growth = 0;
  std::string r = send_endless(s.port(), "GET /", 'a', 200u << 20, &growth);
  EXPECT_EQ(status_of(r), 414) << r.substr(0, 200);
  EXPECT_LT(growth, 16 * 1024) << "KiB";
  RecordProperty("rss_growth_kib_request_line", std::to_string(growth));
  // A header line of 50 MB, and a head of endless short lines.
  r = send_endless(s.port(), "GET /health HTTP/1.1\r\nX-Long: ", 'b', 50u << 20, &growth);
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
  EXPECT_LT(growth, 16 * 1024) << "KiB";
  std::string lines;
  while (lines.size() < (1u << 20)) lines += "X-Short: c\r\n";
  Conn c(s.port());
  c.send("GET /health HTTP/1.1\r\n");
  for (int i = 0; i < 8 && c.send(lines); ++i) {
  }
  r = c.read_all(3000);
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
  const json e = json::parse(body_of(r), nullptr, false);
  ASSERT_TRUE(e.is_object() && e.contains("error")) << r;
  EXPECT_EQ(e["error"]["code"], 431);
  // Still answering, the refused connections closed.
  EXPECT_EQ(s.client().Post("/v1/chat/completions", kSmallChat, "application/json")->status, 200);
  // The figure seen last is checked (as above: a fresh /metrics call can
  // still count the previous call's connection).
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  std::string m = s.metrics();
  while (metric(m, "qwen3_connections_open") > 1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    m = s.metrics();
  }
  EXPECT_EQ(metric(m, "qwen3_connections_open"), 1);
  EXPECT_EQ(metric(m, "qwen3_connections_refused_total"), 3);
}

TEST(Abuse, ARequestTooSlowIs408AndIdleConnectionsClose) {
  ServerOptions o;
  o.request_timeout = 2;
  Running s(o);
  Conn slow(s.port()), silent(s.port()), kept(s.port());
  const auto start = Clock::now();
  kept.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string health = kept.read_all(500);
  EXPECT_EQ(status_of(health), 200);
  EXPECT_NE(health.find("Keep-Alive: timeout=5, max=100\r\n"), std::string::npos) << health;
  std::string answer;
  bool closed = false;
  for (const char ch : std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")) {
    if (!slow.send(std::string(1, ch))) break;
    answer += slow.read_all(200, &closed);
    if (closed) break;
  }
  EXPECT_EQ(status_of(answer), 408) << answer;
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3500));
  // The silent connection and the one kept alive after its answer close
  // after 5 s without a request.
  for (Conn* c : {&silent, &kept}) {
    EXPECT_EQ(c->read_all(7000, &closed), "");
    EXPECT_TRUE(closed);
  }
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(7000));
  EXPECT_EQ(s.client().Post("/v1/chat/completions", kSmallChat, "application/json")->status, 200);
}

TEST(Abuse, PastTheConnectionLimitTheLongestWaitingIsClosed) {
  ServerOptions o;
  o.max_connections = 20;
  Running s(o);
  std::vector<std::unique_ptr<Conn>> held;
  for (int i = 0; i < 20; ++i) {
    held.push_back(std::make_unique<Conn>(s.port()));
    held.back()->send("GET /health HTTP/1.1\r\n");  // half a request, so that each is older than the next
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // A normal client still gets through, and the oldest waiting goes (503).
  EXPECT_EQ(s.client().Get("/health")->status, 200);
  for (int i = 0; i < 20; ++i) {
    bool closed = false;
    const std::string r = held[static_cast<std::size_t>(i)]->read_all(i == 0 ? 2000 : 20, &closed);
    EXPECT_EQ(closed, i == 0) << i;
    if (i == 0) {
      EXPECT_EQ(status_of(r), 503) << r;
    }
  }
  EXPECT_LE(metric(s.metrics(), "qwen3_connections_open"), 20);
}

TEST(Abuse, PipelinedRequestsAndExpectContinue) {
  Running s({});
  // Two requests in one write: both answered, in order, on the connection.
  Conn c(s.port());
  const std::string chat = std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ") +
                           std::to_string(std::strlen(kSmallChat)) + "\r\n\r\n" + kSmallChat;
  c.send(chat + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r;
  for (int i = 0; i < 50 && r.find("{\"status\":\"ok\"}") == std::string::npos; ++i) r += c.read_all(100);
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(r.find("chat.completion"), std::string::npos) << r;
  EXPECT_LT(r.find("chat.completion"), r.find("{\"status\":\"ok\"}")) << r;
  // "Expect: 100-continue": one "100 Continue", the body, then the answer.
  Conn e(s.port());
  e.send(std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ") +
         std::to_string(std::strlen(kSmallChat)) + "\r\n\r\n");
  EXPECT_EQ(e.read_all(1000), "HTTP/1.1 100 Continue\r\n\r\n");
  e.send(kSmallChat);
  r.clear();
  for (int i = 0; i < 50 && r.find("chat.completion") == std::string::npos; ++i) r += e.read_all(100);
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(r.find("100 Continue"), std::string::npos) << r;
}

TEST(Abuse, TenThousandConnectionsOpenedAndDroppedLeaveMemoryFlat) {
  Running s({});
  auto round = [&] {
    for (int i = 0; i < 5000; ++i) {
      Conn c(s.port());
      ASSERT_TRUE(c.ok()) << i;
      if (i % 3 == 1) c.send("GET /heal");  // half a request line
      if (i % 3 == 2) c.send("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{");  // half a body
    }
  };
  round();  // warms the thread pool and the allocator
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long before = rss_kib();
  round();
  auto c = s.client();
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(c.Post("/v1/chat/completions", kSmallChat, "application/json")->status, 200);
  const long after = rss_kib();
  EXPECT_LT(after - before, 32 * 1024) << before << " KiB -> " << after << " KiB";
  RecordProperty("rss_growth_kib", std::to_string(after - before));
}

TEST(Abuse, ClientsThatVanishMidStreamFreeTheirSlots) {
  ServerOptions o;
  o.parallel = 2;
  o.queue = 0;  // a slot still held would answer the next requests 503
  Running s(o, test::long_context_engine());
  const std::string body =
      R"({"prompt": "x", "max_tokens": 30000, "ignore_eos": true, "repetition_guard": 0, "stream": true})";
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<Conn>> streams;
    for (int i = 0; i < 2; ++i) {
      streams.push_back(std::make_unique<Conn>(s.port()));
      streams.back()->send(
          "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body);
    }
    for (auto& c : streams) EXPECT_NE(c->read_all(3000).find("data: "), std::string::npos);  // streaming
    streams.clear();                                                                         // gone mid-stream
    // Both slots come back: running falls to 0, and two requests at once are served.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (s.metrics().find("qwen3_requests_running 0") == std::string::npos && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_NE(s.metrics().find("qwen3_requests_running 0"), std::string::npos);
    std::vector<int> statuses(2);
    std::vector<std::thread> both;
    for (int i = 0; i < 2; ++i)
      both.emplace_back([&, i] {
        auto c = s.client();
        auto r = c.Post("/v1/chat/completions", kSmallChat, "application/json");
        statuses[i] = r ? r->status : 0;
      });
    for (auto& t : both) t.join();
    EXPECT_EQ(statuses, (std::vector<int>{200, 200})) << "round " << round;
  }
  EXPECT_NE(s.metrics().find("qwen3_requests_cancelled_total 6"), std::string::npos) << s.metrics();
}

}  // namespace
}  // namespace qwen3
