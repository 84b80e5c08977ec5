#pragma once
// The connections of `qwen3 serve`: httplib (0.11) parses and answers
// requests, but a connection reaches it only once its whole request head (and
// its body, when it has a length within the limit) has arrived. Until then one
// thread watches every connection with epoll: a client that trickles its
// request a byte a second, or keeps an idle connection open, costs a file
// descriptor and the bytes it sent, not one of the worker threads, so it
// starves nobody; a line longer than `line_bytes` is refused when it passes
// the limit, never buffered whole (httplib alone reads a line to its end
// before measuring it). docs/server.md, "Connections".
#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace qwen3::server {

struct ConnectionLimits {
  std::size_t line_bytes = 8192;             // a request line (longer: 414) or a header line (431)
  std::size_t head_bytes = 65536;            // the whole head; longer: 431
  std::size_t body_bytes = 8u << 20;         // bodies up to this are read before a worker sees the request
  std::size_t buffered_bytes = 64u << 20;    // bytes held for all requests still arriving; beyond: 503
  std::chrono::seconds request_timeout{60};  // from a request's first byte to its head's and body's end: 408
  std::chrono::seconds idle_timeout{5};      // a connection without a request (new, or kept alive): closed
  std::chrono::seconds io_timeout{30};       // one read or write while a worker serves the request
  int max_connections = 16384;    // open at once; beyond: the oldest still sending its request is closed (503)
  int workers = 84;               // threads that serve complete requests
  int keep_alive_requests = 100;  // requests on one connection; the last is answered "Connection: close"
};

struct ConnectionStats {
  std::int64_t open = 0;       // connections open now (watched or served)
  std::uint64_t accepted = 0;  // since the start
  std::uint64_t refused = 0;   // answered by the front itself: 408, 414, 431 or 503
};

// httplib's server, with its connections taken over by the front described
// above. Routes and handlers are httplib's as usual.
class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(const ConnectionLimits& limits);
  ~HttpServer() override;
  ConnectionStats connection_stats() const;

 private:
  bool process_and_close_socket(socket_t sock) override;  // called on the accepting thread
  struct Front;
  std::unique_ptr<Front> front_;
};

}  // namespace qwen3::server
