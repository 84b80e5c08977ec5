// `qwen3 serve`: the OpenAI- and Ollama-compatible HTTP server
// (qwen3/server.h, docs/server.md). The options model gives every request's
// defaults; SIGINT/SIGTERM stop accepting, let the requests in flight
// finish, then exit. With --endpoint it is a front for that server
// (docs/scale-out.md): the same API, generation there.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "qwen3/endpoint.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/server.h"

namespace qwen3::cli::cmd_serve {
namespace {

struct ServeFlags {
  OptionFlags options;
  ServerOptions server;
};

void run(ServeFlags flags) {
  check_log_format(flags.server.log_format);
  // Signals go to one watcher thread (every thread started from here on
  // inherits the mask); a peer closing its socket is not a reason to die.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const Engine engine(resolve_options(flags.options));
  for (const auto& w : engine.settings().warnings()) std::cerr << "qwen3: warning: " << w << "\n";
  // The options' api_key: required from clients (and sent on to an endpoint).
  flags.server.api_key = engine.settings().api_key.value;
  Server server(engine, flags.server);
  const int port = server.bind();
  std::cerr << "qwen3 serve: listening on http://" << flags.server.host << ":" << port << " (";
  if (engine.remote())
    std::cerr << "a front for " << engine.remote()->base_url() << ", model " << engine.remote()->model() << ", "
              << flags.server.parallel << " requests at once";
  else
    std::cerr << flags.server.parallel << " slots, context " << engine.model().options().ctx << " tokens each";
  std::cerr << "; Ctrl-C stops)" << std::endl;

  std::thread watcher([&server, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "qwen3 serve: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
              << ": finishing the requests in flight, then exiting" << std::endl;
    server.stop();
    sigwait(&stop_signals, &sig);  // a second signal: do not wait
    std::_Exit(130);
  });
  watcher.detach();
  server.run();
  std::cerr << "qwen3 serve: stopped" << std::endl;
}

const CommandRegistration registration("serve", [](CLI::App& program) {
  auto* cmd = program.add_subcommand(
      "serve", "Serve the model over HTTP: the OpenAI and Ollama APIs, continuous batching (docs/server.md)");
  auto flags = std::make_shared<ServeFlags>();
  add_option_flags(*cmd, flags->options, kAllOptions);
  ServerOptions& s = flags->server;
  cmd->add_option("--host", s.host, "Address to listen on (default 127.0.0.1: this machine only)");
  cmd->add_option("--port", s.port, "Port to listen on; 0 picks a free one (default 8080)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--parallel", s.parallel, "Requests generated at once, each in a slot with its own KV cache (4)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--queue", s.queue, "Requests that may wait for a slot; beyond that: 503 (64)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--prefill-tokens", s.prefill_tokens, "Prompt tokens computed per step between decode steps (256)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--log-format", s.log_format, "The request log on stderr: text or json (text)")->type_name("FORMAT");
  cmd->add_option("--max-body", s.max_body_bytes, "Largest request body in bytes; larger: 413 (8 MiB)")
      ->type_name("BYTES");
  cmd->add_option("--max-messages", s.max_messages, "Most messages in one request; more: 400 (1024)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--max-connections", s.max_connections,
                  "Connections open at once; beyond: the one waiting longest for its request is closed (16384)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--request-timeout", s.request_timeout,
                  "Seconds a client has to send a request, head and body, from its first byte; then 408 (60)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--model-name", s.model_name, "The model id the APIs report (default: the model folder's name)")
      ->type_name("NAME");
  cmd->callback([flags] { run(*flags); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_serve
