#pragma once
// `qwen3 serve`: an HTTP server with the OpenAI API (/v1/chat/completions,
// /v1/completions, /v1/models), the Ollama API (/api/chat, /api/generate,
// /api/tags, /api/show, /api/version), /health, /metrics, /tokenize and
// /detokenize, over one Engine. Requests are one more layer of the options
// model (qwen3/settings.h); generation runs in `parallel` slots with
// continuous batching (docs/server.md).
//
//   qwen3::Engine engine(settings);
//   qwen3::Server server(engine, {.port = 0});
//   int port = server.bind();          // the real port
//   server.run();                      // until stop(): drains, then returns
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "qwen3/engine.h"

namespace qwen3 {

struct ServerOptions {
  std::string host = "127.0.0.1";         // the address to listen on
  int port = 8080;                        // 0: any free port (bind() says which)
  int parallel = 4;                       // slots: sequences generated at once, each with its own KV cache
  int queue = 64;                         // requests waiting for a slot; beyond that: 503 with Retry-After
  int prefill_tokens = 256;               // prompt tokens computed per step, between decode steps
  std::string api_key;                    // non-empty: every request but GET /health needs "Authorization: Bearer KEY"
  std::string log_format = "text";        // one line per request on the log: "text" or "json"
  std::size_t max_body_bytes = 8u << 20;  // larger request bodies: 413
  int max_messages = 1024;                // more messages in one request: 400
  int max_connections = 16384;            // open at once; beyond: the one waiting longest for its request closes
  int request_timeout = 60;               // seconds from a request's first byte to its head's and body's end: 408
  std::string model_name;                 // the id /v1/models and /api/tags report; empty: the model folder's name
  // Where the request log goes (default: standard error).
  std::function<void(const std::string& line)> log;
};

// "text" or "json": a --log-format value; throws qwen3::Error for others.
void check_log_format(const std::string& format);

class Server {
 public:
  // The engine must outlive the server. Its settings are the defaults every
  // request starts from; the repetition guard is on (8 repeats) unless a
  // source set repetition_guard.
  Server(const Engine& engine, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; returns the port. Throws qwen3::Error naming
  // the host and port when it cannot.
  int bind();
  // Serves until stop(): then refuses new connections, lets the requests in
  // flight finish, and returns.
  void run();
  // Thread-safe (a signal-watching thread calls it); returns at once.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qwen3
