#include "server/connections.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/replies.h"

namespace qwen3::server {

namespace {

using Clock = std::chrono::steady_clock;

// How long a refused connection is read and discarded after its answer, so
// that closing it with bytes unread (which resets the connection) does not
// destroy the answer before the client has read it.
constexpr auto kLinger = std::chrono::seconds(2);

const char* reason_phrase(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Service Unavailable";
  }
}

std::string error_response(int status, const std::string& message) {
  const std::string body = openai_error(status, message, "", "").dump();
  return "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         (status == 503 ? "\r\nRetry-After: 1" : "") + "\r\nConnection: close\r\n\r\n" + body;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// What the front needs to know of a complete head: whether a body follows
// that it should read first, and where an "Expect: 100-continue" line is.
struct Head {
  bool body_follows = false;  // a length the server accepts: read the body before a worker takes it
  std::size_t body_length = 0;
  std::size_t expect_begin = 0, expect_end = 0;  // the Expect line, when there is one (end > begin)
};

// The same conditions as the server's refusal of a body (server.cpp,
// refuse_body): a body is read first only when the server will accept it;
// anything else goes to a worker at once and is answered without its body
// being read.
Head parse_head(std::string_view head, std::size_t max_body) {
  Head h;
  const std::size_t first_end = head.find('\n');
  const std::string_view method = head.substr(0, std::min(head.find(' '), first_end));
  if (method != "POST" && method != "PUT" && method != "PATCH" && method != "DELETE") return h;
  bool chunked = false, has_length = false;
  std::string_view length;
  for (std::size_t at = first_end + 1; at < head.size();) {
    std::size_t end = head.find('\n', at);
    end = end == std::string_view::npos ? head.size() : end + 1;
    const std::string_view line = head.substr(at, end - at);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
      if (iequals(name, "Transfer-Encoding")) chunked = true;
      if (iequals(name, "Content-Length") && !has_length) {
        has_length = true;
        length = value;
      }
      if (iequals(name, "Expect") && iequals(value, "100-continue")) {
        h.expect_begin = at;
        h.expect_end = end;
      }
    }
    at = end;
  }
  if (chunked || !has_length || length.empty() || length.size() > 19 ||
      length.find_first_not_of("0123456789") != std::string_view::npos)
    return h;
  const std::size_t n = std::stoull(std::string(length));
  if (n > max_body) return h;
  h.body_follows = true;
  h.body_length = n;
  return h;
}

void send_best_effort(int fd, const std::string& bytes) {
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

// One client connection.
struct Conn {
  enum class State { Idle, Head, Body, Linger };
  int fd = -1;
  std::string buf;  // bytes received and not yet taken by httplib
  State state = State::Idle;
  Clock::time_point since;     // when it became idle, or its request's first byte
  Clock::time_point deadline;  // of the current state
  std::size_t scanned = 0;     // bytes of buf searched for line ends
  std::size_t line_start = 0;
  bool first_line = true;
  std::size_t need = 0;  // bytes of buf that make the whole request
  int served = 0;        // requests answered on it
};

namespace {

// What httplib reads a request from and writes its answer to: the bytes the
// front received, then the socket itself (non-blocking, waited for with poll
// up to `io_ms` per read or write, as httplib's own stream does).
class ConnStream : public httplib::Stream {
 public:
  ConnStream(Conn& c, int io_ms) : c_(c), io_ms_(io_ms) {}
  std::size_t consumed() const { return pos_; }

  bool is_readable() const override { return pos_ < c_.buf.size() || wait(POLLIN); }
  bool is_writable() const override { return wait(POLLOUT) && alive(); }
  ssize_t read(char* ptr, size_t size) override {
    if (pos_ < c_.buf.size()) {
      const std::size_t n = std::min(size, c_.buf.size() - pos_);
      std::memcpy(ptr, c_.buf.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    for (;;) {
      if (!wait(POLLIN)) return -1;
      const ssize_t n = ::recv(c_.fd, ptr, size, 0);
      if (n >= 0) return n;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    }
  }
  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      if (!is_writable()) return -1;
      const ssize_t n = ::send(c_.fd, ptr, size, MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    }
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(false, ip, port); }
  socket_t socket() const override { return c_.fd; }

 private:
  bool wait(short events) const {
    pollfd p{c_.fd, events, 0};
    for (;;) {
      const int r = ::poll(&p, 1, io_ms_);
      if (r > 0) return true;
      if (r == 0 || errno != EINTR) return false;
    }
  }
  // Whether the client is still there (httplib asks before every write, so
  // that a stream stops when its client went away): no bytes pending, or
  // bytes rather than the end of the connection.
  bool alive() const {
    pollfd p{c_.fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
    char b;
    const ssize_t n = ::recv(c_.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }
  void address(bool remote, std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    const int r = remote ? ::getpeername(c_.fd, reinterpret_cast<sockaddr*>(&a), &len)
                         : ::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&a), &len);
    char host[NI_MAXHOST], service[NI_MAXSERV];
    if (r != 0 || ::getnameinfo(reinterpret_cast<sockaddr*>(&a), len, host, sizeof host, service, sizeof service,
                                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
      return;
    ip = host;
    port = std::atoi(service);
  }

  Conn& c_;
  int io_ms_;
  std::size_t pos_ = 0;
};

}  // namespace

struct HttpServer::Front {
  Front(HttpServer& s, const ConnectionLimits& l) : server(s), limits(l) {}
  ~Front() { shutdown(); }

  // ---- on the accepting thread (httplib's listen loop) ---------------------

  void start() {
    std::lock_guard<std::mutex> lock(mutex);
    if (started) return;
    started = true;
    stopping = false;
    // Each connection is a file descriptor: the soft limit (often 1024) is
    // raised to what the connections need, within the hard limit, and the
    // connections kept 128 below it (for the model's files, the log...).
    rlimit r{};
    max_open = limits.max_connections;
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0) {
      const rlim_t want = static_cast<rlim_t>(limits.max_connections) + 256;
      if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < want) {
        r.rlim_cur = r.rlim_max == RLIM_INFINITY ? want : std::min(want, r.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &r);
        ::getrlimit(RLIMIT_NOFILE, &r);
      }
      if (r.rlim_cur != RLIM_INFINITY)
        max_open = static_cast<int>(std::clamp<rlim_t>(std::min<rlim_t>(r.rlim_cur, INT32_MAX), 256, INT32_MAX) - 128);
      max_open = std::min(max_open, limits.max_connections);
    }
    epoll = ::epoll_create1(EPOLL_CLOEXEC);
    wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = wake;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &e);
    front = std::thread([this] { watch(); });
    for (int i = 0; i < limits.workers; ++i) workers.emplace_back([this] { work(); });
  }

  void adopt(int fd) {
    ++accepted;
    ++open;
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    hand_to_front(std::move(c), true);
  }

  // Stops watching (the connections still sending their request are
  // closed), lets the workers answer every request that has arrived, and
  // returns when they are done.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!started) return;
      started = false;
      stopping = true;
    }
    poke();
    if (front.joinable()) front.join();
    {
      std::lock_guard<std::mutex> lock(mutex);
      workers_stop = true;
    }
    ready_cv.notify_all();
    for (auto& w : workers) w.join();
    workers.clear();
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [c, fresh] : incoming) close(*c);  // handed back after the front stopped
    incoming.clear();
    workers_stop = false;
    ::close(epoll);
    ::close(wake);
  }

  // ---- the front thread ----------------------------------------------------

  void hand_to_front(std::unique_ptr<Conn> c, bool fresh) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!stopping) {
        incoming.emplace_back(std::move(c), fresh);
        c = nullptr;
      }
    }
    if (c) return close(*c);
    poke();
  }

  void poke() {
    const std::uint64_t one = 1;
    (void)!::write(wake, &one, sizeof one);
  }

  void watch() {
    std::vector<epoll_event> events(1024);
    auto next_sweep = Clock::now();
    for (;;) {
      const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake) continue;
        const auto it = watched.find(events[i].data.fd);
        if (it != watched.end()) readable(*it->second);
      }
      std::vector<std::pair<std::unique_ptr<Conn>, bool>> arrived;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping) break;
        arrived.swap(incoming);
      }
      std::uint64_t drained;
      while (::read(wake, &drained, sizeof drained) > 0) {
      }
      for (auto& [c, fresh] : arrived) welcome(std::move(c), fresh);
      const auto now = Clock::now();
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + std::chrono::milliseconds(100);
      }
    }
    for (auto& [fd, c] : watched) {
      ::close(fd);
      --open;
    }
    watched.clear();
    buffered = 0;
  }

  // A new connection, or one kept alive after its answer.
  void welcome(std::unique_ptr<Conn> c, bool fresh) {
    if (fresh && open > max_open && gone(c->fd)) return close(*c);  // opened and dropped: no one to evict for it
    if (fresh && open > max_open && !evict_one()) {
      ++refused;
      send_best_effort(c->fd, error_response(503, "the server has too many connections open; retry later"));
      return close(*c);
    }
    const int fd = c->fd;
    c->state = Conn::State::Idle;
    c->since = Clock::now();
    c->deadline = c->since + limits.idle_timeout;
    c->scanned = c->line_start = c->need = 0;
    c->first_line = true;
    buffered += c->buf.size();
    epoll_event e{};
    e.events = EPOLLIN | EPOLLRDHUP;
    e.data.fd = fd;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e);
    Conn& ref = *c;
    watched[fd] = std::move(c);
    advance(ref);  // the previous request may have brought the next one along
  }

  // Whether the client has closed the connection already.
  static bool gone(int fd) {
    char b;
    const ssize_t n = ::recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

  // At the connection limit: closes the connection that has waited longest
  // for its request (lingering ones first); false if every connection is
  // with a worker.
  bool evict_one() {
    Conn* oldest = nullptr;
    for (auto& [fd, c] : watched) {
      const bool lingering = c->state == Conn::State::Linger;
      if (!oldest || (lingering && oldest->state != Conn::State::Linger) ||
          (lingering == (oldest->state == Conn::State::Linger) && c->since < oldest->since))
        oldest = c.get();
    }
    if (!oldest) return false;
    if (oldest->state == Conn::State::Head || oldest->state == Conn::State::Body) {
      ++refused;
      send_best_effort(oldest->fd, error_response(503, "the server has too many connections open; retry later"));
    }
    drop(*oldest);
    return true;
  }

  void readable(Conn& c) {
    char chunk[65536];
    std::size_t want = sizeof chunk;
    if (c.state == Conn::State::Idle || c.state == Conn::State::Head)
      want = std::min(want, limits.head_bytes + 1 - std::min(c.buf.size(), limits.head_bytes));
    else if (c.state == Conn::State::Body)
      want = std::min(want, std::max<std::size_t>(c.need - std::min(c.need, c.buf.size()), 1));
    const ssize_t n = ::recv(c.fd, chunk, want, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) return drop(c);                  // gone (a refused one has read its answer)
    if (c.state == Conn::State::Linger) return;  // discarded
    if (buffered + static_cast<std::size_t>(n) > limits.buffered_bytes)
      return refuse(c, 503, "the server is holding too many requests still arriving; retry later");
    c.buf.append(chunk, static_cast<std::size_t>(n));
    buffered += static_cast<std::size_t>(n);
    advance(c);
  }

  // Follows a request's bytes: the head line by line (each line and the head
  // measured as they arrive), then the body; hands it to a worker when whole.
  void advance(Conn& c) {
    if (c.buf.empty() || c.state == Conn::State::Linger) return;
    if (c.state == Conn::State::Idle) {
      c.state = Conn::State::Head;
      c.since = Clock::now();
      c.deadline = c.since + limits.request_timeout;
    }
    if (c.state == Conn::State::Head) {
      std::size_t head_end = 0;
      for (std::size_t i = c.scanned; i < c.buf.size() && !head_end; ++i) {
        if (c.buf[i] != '\n') continue;
        const std::size_t length = i + 1 - c.line_start;
        if (c.first_line) {
          if (length > limits.line_bytes) return refuse_line(c);
          c.first_line = false;
        } else if (length == 2 && c.buf[c.line_start] == '\r') {
          head_end = i + 1;
        } else if (length > limits.line_bytes) {
          return refuse_line(c);
        }
        c.line_start = i + 1;
      }
      c.scanned = head_end ? head_end : c.buf.size();
      if (!head_end) {
        if (c.buf.size() - c.line_start > limits.line_bytes) return refuse_line(c);
        if (c.buf.size() > limits.head_bytes)
          return refuse(c, 431, "the request head exceeds " + std::to_string(limits.head_bytes) + " bytes");
        return;
      }
      if (head_end > limits.head_bytes)
        return refuse(c, 431, "the request head exceeds " + std::to_string(limits.head_bytes) + " bytes");
      Head h = parse_head(std::string_view(c.buf).substr(0, head_end), limits.body_bytes);
      c.need = head_end;
      if (h.body_follows) {
        if (h.expect_end > h.expect_begin) {
          // The client waits for "100 Continue" before it sends the body:
          // say it here, and take the line out so httplib does not say it again.
          c.buf.erase(h.expect_begin, h.expect_end - h.expect_begin);
          buffered -= h.expect_end - h.expect_begin;
          c.need -= h.expect_end - h.expect_begin;
          send_best_effort(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
        }
        c.need += h.body_length;
        c.state = Conn::State::Body;
      }
    }
    if (c.buf.size() >= c.need) dispatch(c);
  }

  void refuse_line(Conn& c) {
    if (c.first_line) return refuse(c, 414, "the request line exceeds " + std::to_string(limits.line_bytes) + " bytes");
    refuse(c, 431, "a request header line exceeds " + std::to_string(limits.line_bytes) + " bytes");
  }

  // Answers `status` and closes the connection: at once if the client sends
  // nothing more, else after kLinger, its bytes read and thrown away.
  void refuse(Conn& c, int status, const std::string& message) {
    ++refused;
    send_best_effort(c.fd, error_response(status, message));
    ::shutdown(c.fd, SHUT_WR);
    buffered -= c.buf.size();
    std::string().swap(c.buf);
    c.state = Conn::State::Linger;
    c.deadline = Clock::now() + kLinger;
  }

  void sweep(Clock::time_point now) {
    std::vector<Conn*> due;
    for (auto& [fd, c] : watched)
      if (now >= c->deadline) due.push_back(c.get());
    for (Conn* c : due) {
      if (c->state == Conn::State::Head || c->state == Conn::State::Body)
        refuse(*c, 408,
               "the request did not arrive within " + std::to_string(limits.request_timeout.count()) +
                   " seconds of its first byte");
      else
        drop(*c);  // idle, or done lingering
    }
  }

  // Stops watching a connection and closes it.
  void drop(Conn& c) {
    buffered -= c.buf.size();
    const int fd = c.fd;
    ::close(fd);
    --open;
    watched.erase(fd);
  }

  // A whole request: to the workers.
  void dispatch(Conn& c) {
    ::epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
    buffered -= c.buf.size();
    const auto it = watched.find(c.fd);
    std::unique_ptr<Conn> owned = std::move(it->second);
    watched.erase(it);
    {
      std::lock_guard<std::mutex> lock(mutex);
      ready.push_back(std::move(owned));
    }
    ready_cv.notify_one();
  }

  // ---- the workers ---------------------------------------------------------

  void work() {
    for (;;) {
      std::unique_ptr<Conn> c;
      {
        std::unique_lock<std::mutex> lock(mutex);
        ready_cv.wait(lock, [&] { return !ready.empty() || workers_stop; });
        if (ready.empty()) return;
        c = std::move(ready.front());
        ready.pop_front();
      }
      serve(std::move(c));
    }
  }

  void serve(std::unique_ptr<Conn> c) {
    ConnStream stream(*c, static_cast<int>(std::chrono::milliseconds(limits.io_timeout).count()));
    const bool last = c->served + 1 >= limits.keep_alive_requests;
    bool closed = false;
    const bool ok = server.process_request(stream, last, closed, nullptr);
    c->buf.erase(0, stream.consumed());
    ++c->served;
    if (!ok || closed || last) {
      ::shutdown(c->fd, SHUT_RDWR);
      return close(*c);
    }
    hand_to_front(std::move(c), false);
  }

  void close(Conn& c) {
    ::close(c.fd);
    --open;
  }

  HttpServer& server;
  const ConnectionLimits limits;

  std::mutex mutex;  // guards what follows
  bool started = false, stopping = false, workers_stop = false;
  std::vector<std::pair<std::unique_ptr<Conn>, bool>> incoming;  // to the front (true: newly accepted)
  std::deque<std::unique_ptr<Conn>> ready;                       // to the workers
  std::condition_variable ready_cv;

  int epoll = -1, wake = -1;
  std::thread front;
  std::vector<std::thread> workers;
  // The front thread's own.
  std::unordered_map<int, std::unique_ptr<Conn>> watched;
  std::size_t buffered = 0;  // bytes held in watched connections
  int max_open = 0;          // limits.max_connections, or fewer if file descriptors are fewer

  std::atomic<std::int64_t> open{0};
  std::atomic<std::uint64_t> accepted{0}, refused{0};
};

namespace {

// httplib hands each accepted connection to its task queue: this one passes
// it straight to the front (HttpServer::process_and_close_socket), and its
// shutdown is the front's.
class FrontQueue : public httplib::TaskQueue {
 public:
  explicit FrontQueue(std::function<void()> on_shutdown) : on_shutdown_(std::move(on_shutdown)) {}
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override { on_shutdown_(); }

 private:
  std::function<void()> on_shutdown_;
};

}  // namespace

HttpServer::HttpServer(const ConnectionLimits& limits) : front_(std::make_unique<Front>(*this, limits)) {
  // What httplib's "Keep-Alive: timeout=..., max=..." header says.
  set_keep_alive_timeout(limits.idle_timeout.count());
  set_keep_alive_max_count(static_cast<std::size_t>(limits.keep_alive_requests));
  new_task_queue = [this] {
    front_->start();
    return new FrontQueue([this] { front_->shutdown(); });
  };
}

HttpServer::~HttpServer() { front_->shutdown(); }

bool HttpServer::process_and_close_socket(socket_t sock) {
  front_->adopt(sock);
  return true;
}

ConnectionStats HttpServer::connection_stats() const {
  return ConnectionStats{front_->open.load(), front_->accepted.load(), front_->refused.load()};
}

}  // namespace qwen3::server
