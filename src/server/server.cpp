// The HTTP side of `qwen3 serve` (cpp-httplib): routes, authentication,
// limits, the request log, /metrics, and streaming a job's events to the
// client while watching for a client that went away.
#include "qwen3/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "qwen3/endpoint.h"
#include "qwen3/error.h"
#include "server/connections.h"
#include "server/replies.h"
#include "server/requests.h"
#include "server/scheduler.h"

namespace qwen3 {

using server::ApiError;
using server::Json;

namespace {

using Clock = std::chrono::steady_clock;

// What the request log says about the request this thread serves (httplib
// runs the handler, the streaming of its body and the logger on one thread).
struct RequestRecord {
  Clock::time_point start;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string finish;
};
thread_local RequestRecord t_record;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

bool is_ollama(const std::string& path) { return path.rfind("/api/", 0) == 0; }

// The name the model goes by: the folder's (or model_config's) last component.
std::string default_model_name(const Settings& s) {
  std::string path = !s.model.value.empty() ? s.model.value : s.model_config.value;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.size() > 5 && name.substr(name.size() - 5) == ".json") name = "qwen3";
  return name.empty() ? "qwen3" : name;
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void check_log_format(const std::string& format) {
  if (format != "text" && format != "json")
    throw Error("log_format = \"" + format + "\": expected \"text\" or \"json\"");
}

struct Server::Impl {
  Impl(const Engine& e, ServerOptions o)
      : engine(e),
        options(std::move(o)),
        defaults(server::server_defaults(e.settings())),
        http(connection_limits(options)) {
    check_log_format(options.log_format);
    if (options.port < 0 || options.port > 65535)
      throw Error("port = " + std::to_string(options.port) + ": expected 0 .. 65535");
    if (options.max_messages < 1)
      throw Error("max_messages = " + std::to_string(options.max_messages) + ": expected >= 1");
    if (options.max_connections < 1)
      throw Error("max_connections = " + std::to_string(options.max_connections) + ": expected >= 1");
    if (options.request_timeout < 1)
      throw Error("request_timeout = " + std::to_string(options.request_timeout) + ": expected >= 1 (seconds)");
    if (options.model_name.empty())
      options.model_name = e.remote() ? e.remote()->model() : default_model_name(e.settings());
    if (!options.log) options.log = [](const std::string& line) { std::cerr << line << std::endl; };
    scheduler = std::make_unique<server::Scheduler>(
        engine, server::SchedulerOptions{options.parallel, options.queue, options.prefill_tokens});
    limits.max_messages = options.max_messages;
    limits.context = scheduler->context_length();
    setup();
  }

  // ---- plumbing -----------------------------------------------------------

  // Every complete request finds a worker: one per slot and queue place (a
  // generation holds its worker until its answer ends), plus 16 for the rest.
  static server::ConnectionLimits connection_limits(const ServerOptions& o) {
    server::ConnectionLimits l;
    l.body_bytes = o.max_body_bytes;
    l.buffered_bytes = std::max<std::size_t>(l.buffered_bytes, 2 * o.max_body_bytes);
    l.request_timeout = std::chrono::seconds(std::max(o.request_timeout, 1));
    l.max_connections = std::max(o.max_connections, 1);
    l.workers = std::max(o.parallel, 1) + std::max(o.queue, 0) + 16;
    return l;
  }

  void send_error(const httplib::Request& req, httplib::Response& res, int status, const std::string& message,
                  const std::string& param = "", const std::string& type = "") {
    res.status = status;
    const Json body =
        is_ollama(req.path) ? Json{{"error", message}} : server::openai_error(status, message, param, type);
    res.set_content(dump(body), "application/json");
  }

  // Refuses a request body before httplib reads it (the pre-routing handler
  // runs between the headers and the body): httplib would read a body it
  // refuses with 413 to its end (a client could send a gigabyte), and one
  // without a Content-Length (chunked, or until the connection closes) with
  // no bound at all. The connection is closed after the answer, so that the
  // unread body is not taken for the next request.
  bool refuse_body(const httplib::Request& req, httplib::Response& res) {
    if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH" && req.method != "DELETE") return false;
    int status = 0;
    std::string message;
    const std::string length = req.get_header_value("Content-Length");
    if (req.has_header("Transfer-Encoding") || !req.has_header("Content-Length")) {
      status = 411;
      message = "the request body needs a Content-Length header (a chunked body or one without a length is refused)";
    } else if (length.empty() || length.size() > 19 || length.find_first_not_of("0123456789") != std::string::npos) {
      status = 400;
      message = "Content-Length \"" + length.substr(0, 32) + "\": expected a number of bytes";
    } else if (std::stoull(length) > options.max_body_bytes) {
      status = 413;
      message = "the request body of " + length + " bytes exceeds " + std::to_string(options.max_body_bytes) +
                " bytes (refused before reading it)";
    }
    if (!status) return false;
    send_error(req, res, status, message);
    close_after(res);
    return true;
  }

  // Closes the connection once `res` is sent, leaving a body the request
  // carries unread (else it would be parsed as the next request). httplib
  // closes a connection whose content provider fails: this one writes the
  // whole answer, then fails.
  static void close_after(httplib::Response& res) {
    const std::string body = std::move(res.body), type = res.get_header_value("Content-Type");
    res.body.clear();
    res.headers.erase("Content-Type");
    res.set_header("Connection", "close");
    res.set_content_provider(body.size(), type,
                             [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                               sink.write(body.data() + offset, length);
                               return false;
                             });
  }

  // Runs a handler, turning what it throws into the error response.
  template <typename F>
  void guarded(const httplib::Request& req, httplib::Response& res, F&& f) {
    try {
      f();
    } catch (const ApiError& e) {
      if (e.status == 503) res.set_header("Retry-After", "1");
      send_error(req, res, e.status, e.what(), e.param, e.type);
    } catch (const Error& e) {
      send_error(req, res, 400, e.what());
    } catch (const std::exception& e) {
      send_error(req, res, 500, std::string("internal error: ") + e.what());
    }
  }

  // Submits the prepared request and streams (or sends whole) its reply.
  void run_job(server::Prepared p, server::Api api, httplib::Response& res) {
    t_record.prompt_tokens = static_cast<int>(p.prompt.size());
    server::ReplyContext context{
        api,    options.model_name, &engine.tokenizer(), p.stream, p.include_usage, p.top_logprobs, p.tools,
        p.mode, p.return_token_ids};
    std::shared_ptr<server::Reply> reply = server::make_reply(context);
    auto job = scheduler->submit(std::move(p.prompt), std::move(p.options), std::move(p.allowed));
    if (!job) throw ApiError(503, "the server is busy: every slot is in use and the queue is full; retry later");
    res.status = 200;
    res.set_chunked_content_provider(
        reply->content_type(),
        [job, reply](std::size_t, httplib::DataSink& sink) {
          auto write = [&](const std::string& bytes) {
            if (bytes.empty()) return true;
            if (sink.write(bytes.data(), bytes.size())) return true;
            job->cancel();  // the client went away: free the slot
            return false;
          };
          if (!write(reply->start())) return false;
          auto last = Clock::now();  // of the last bytes written
          for (;;) {
            for (const auto& e : job->wait(std::chrono::milliseconds(200))) {
              const std::string bytes = reply->event(e, *job);
              if (!write(bytes)) return false;
              if (!bytes.empty()) last = Clock::now();
              if (e.type == server::JobEvent::Type::Done) {
                t_record.completion_tokens = job->result().usage.generated_tokens;
                t_record.finish =
                    job->error().empty() ? std::string(finish_reason_name(job->result().finish_reason)) : "error";
                sink.done();
                return true;
              }
            }
            // Nothing written for a while (a long prefill, or a reply sent
            // whole at the end): a heartbeat shows whether the client is
            // still there.
            if (Clock::now() - last > std::chrono::milliseconds(500)) {
              if (!write(reply->heartbeat())) return false;
              last = Clock::now();
            }
          }
        },
        [job](bool success) {
          if (!success) job->cancel();
        });
  }

  // Counted when the response's status line is about to be written (httplib's
  // post-routing handler), so that a client that has its answer finds it in
  // /metrics; the log line (below) comes after the body is sent.
  void count_request(const httplib::Request& req, const httplib::Response& res) {
    std::lock_guard<std::mutex> lock(metrics_mutex);
    ++requests[{req.path, res.status}];
  }

  void log_request(const httplib::Request& req, const httplib::Response& res) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t_record.start).count();
    if (options.log_format == "json") {
      Json line{{"method", req.method},
                {"path", req.path},
                {"status", res.status},
                {"prompt_tokens", t_record.prompt_tokens},
                {"completion_tokens", t_record.completion_tokens},
                {"ms", std::round(ms * 10) / 10},
                {"remote", req.remote_addr}};
      if (!t_record.finish.empty()) line["finish_reason"] = t_record.finish;
      options.log(dump(line));
      return;
    }
    char buf[512];
    std::snprintf(buf, sizeof buf, "%s %s %d %d+%d tokens %.1f ms%s%s", req.method.c_str(), req.path.c_str(),
                  res.status, t_record.prompt_tokens, t_record.completion_tokens, ms,
                  t_record.finish.empty() ? "" : " ", t_record.finish.c_str());
    options.log(buf);
  }

  std::string metrics_text() {
    const auto s = scheduler->stats();
    std::string out;
    auto metric = [&](const char* name, const char* type, const char* help, const std::string& value) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + value +
             "\n";
    };
    out += "# HELP qwen3_requests_total HTTP requests answered, by path and status.\n";
    out += "# TYPE qwen3_requests_total counter\n";
    {
      std::lock_guard<std::mutex> lock(metrics_mutex);
      for (const auto& [key, n] : requests)
        out += "qwen3_requests_total{path=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
               std::to_string(n) + "\n";
    }
    metric("qwen3_slots", "gauge", "Generation slots (ServerOptions::parallel).", std::to_string(options.parallel));
    const auto c = http.connection_stats();
    metric("qwen3_connections_open", "gauge", "Client connections open.", std::to_string(c.open));
    metric("qwen3_connections_refused_total", "counter",
           "Connections answered 408, 414, 431 or 503 and closed before their request reached a handler.",
           std::to_string(c.refused));
    metric("qwen3_requests_running", "gauge", "Requests generating in a slot.", std::to_string(s.active));
    metric("qwen3_requests_queued", "gauge", "Requests waiting for a slot.", std::to_string(s.queued));
    metric("qwen3_requests_completed_total", "counter", "Generations that ran to their end.",
           std::to_string(s.completed));
    metric("qwen3_requests_cancelled_total", "counter", "Generations stopped because the client went away.",
           std::to_string(s.cancelled));
    metric("qwen3_requests_failed_total", "counter", "Generations that could not run.", std::to_string(s.failed));
    metric("qwen3_prompt_tokens_total", "counter", "Prompt tokens computed.", std::to_string(s.prompt_tokens));
    metric("qwen3_prompt_tokens_cached_total", "counter", "Prompt tokens found in a slot's cache.",
           std::to_string(s.reused_tokens));
    metric("qwen3_generated_tokens_total", "counter", "Tokens generated.", std::to_string(s.generated_tokens));
    metric("qwen3_steps_total", "counter", "Batched forward passes.", std::to_string(s.steps));
    out += "# HELP qwen3_time_to_first_token_seconds From the request's arrival to its first token.\n";
    out += "# TYPE qwen3_time_to_first_token_seconds summary\n";
    out += "qwen3_time_to_first_token_seconds_sum " + format_double(s.ttft_seconds_sum) + "\n";
    out += "qwen3_time_to_first_token_seconds_count " + std::to_string(s.ttft_count) + "\n";
    metric("qwen3_decode_tokens_per_second", "gauge",
           "Tokens decoded per second of decoding steps, all slots together.",
           format_double(s.decode_seconds > 0 ? s.decode_tokens / s.decode_seconds : 0));
    return out;
  }

  // ---- routes -------------------------------------------------------------

  template <typename Prepare>
  void generation_route(const char* path, server::Api api, Prepare prepare) {
    http.Post(path, [this, api, prepare](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [&] { run_job(prepare(engine, defaults, server::parse_body(req.body), limits), api, res); });
    });
  }

  Json model_card() const {
    Json card{{"id", options.model_name},
              {"object", "model"},
              {"created", 0},
              {"owned_by", "qwen3"},
              {"max_model_len", limits.context}};
    if (engine.remote()) return card;  // the model's details are the endpoint's
    const ModelConfig& c = engine.model().config();
    card["num_hidden_layers"] = c.num_hidden_layers;
    card["hidden_size"] = c.hidden_size;
    return card;
  }

  Json ollama_details() const {
    if (engine.remote())
      return Json{{"parent_model", ""}, {"format", "remote"}, {"family", "qwen3"}, {"families", {"qwen3"}}};
    char size[32];
    std::snprintf(size, sizeof size, "%.1fB",
                  static_cast<double>(engine.model().weight_bytes()) /
                      (engine.model().weight_dtype() == "f32" ? 4.0 : 2.0) / 1e9);
    std::string q = engine.model().weight_dtype();
    for (char& ch : q) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return Json{{"parent_model", ""},    {"format", "safetensors"}, {"family", "qwen3"},
                {"families", {"qwen3"}}, {"parameter_size", size},  {"quantization_level", q}};
  }

  void setup() {
    http.set_payload_max_length(options.max_body_bytes);
    // httplib listens with a backlog of 5: under a burst of connections the
    // kernel drops SYNs and clients wait seconds to connect. The listening
    // socket is noted here and given the system's backlog in bind().
    http.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_fd = sock;
    });

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      t_record = RequestRecord{Clock::now(), 0, 0, ""};
      if (refuse_body(req, res)) return httplib::Server::HandlerResponse::Handled;
      if (options.api_key.empty() || (req.method == "GET" && req.path == "/health"))
        return httplib::Server::HandlerResponse::Unhandled;
      if (req.get_header_value("Authorization") == "Bearer " + options.api_key)
        return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(req, res, 401, "a valid API key is required: Authorization: Bearer KEY", "", "authentication_error");
      if (req.method != "GET" && req.method != "HEAD") close_after(res);  // its body stays unread
      return httplib::Server::HandlerResponse::Handled;
    });
    // Statuses httplib sets itself (404, 413, 400 for a malformed request)
    // get the same error object as ours.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty() || res.content_provider_) return;  // ours (close_after streams its answer)
      std::string message;
      switch (res.status) {
        case 404:
          message = "no route " + req.method + " " + req.path;
          break;
        case 405:
          message = "method " + req.method + " is not allowed on " + req.path;
          break;
        case 413:
          message = "the request body exceeds " + std::to_string(options.max_body_bytes) + " bytes";
          break;
        case 414:
          message = "the request line is too long";
          break;
        default:
          message = "the request could not be read (HTTP " + std::to_string(res.status) + ")";
      }
      send_error(req, res, res.status, message);
    });
    http.set_post_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { count_request(req, res); });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });

    generation_route("/v1/chat/completions", server::Api::OpenAIChat, server::prepare_chat);
    generation_route("/v1/completions", server::Api::OpenAICompletion, server::prepare_completion);
    generation_route("/api/chat", server::Api::OllamaChat, server::prepare_ollama_chat);
    generation_route("/api/generate", server::Api::OllamaGenerate, server::prepare_ollama_generate);

    http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(dump(Json{{"status", "ok"}}), "application/json");
    });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(dump(Json{{"object", "list"}, {"data", Json::array({model_card()})}}), "application/json");
    });
    http.Get("/v1/models/(.+)", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.matches[1] != options.model_name)
        return send_error(req, res, 404, "no model " + std::string(req.matches[1]), "model");
      res.set_content(dump(model_card()), "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_text(), "text/plain; version=0.0.4");
    });
    http.Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [&] { res.set_content(dump(tokenize(server::parse_body(req.body))), "application/json"); });
    });
    http.Post("/detokenize", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [&] { res.set_content(dump(detokenize(server::parse_body(req.body))), "application/json"); });
    });
    // Ollama.
    http.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(dump(Json{{"version", "0.9.0"}}), "application/json");
    });
    http.Get("/api/tags", [this](const httplib::Request&, httplib::Response& res) {
      Json m{{"name", options.model_name},
             {"model", options.model_name},
             {"modified_at", "1970-01-01T00:00:00Z"},
             {"size", engine.remote() ? 0 : engine.model().weight_bytes()},
             {"digest", engine.chat_template().sha256()},
             {"details", ollama_details()}};
      res.set_content(dump(Json{{"models", Json::array({m})}}), "application/json");
    });
    http.Post("/api/show", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [&] {
        const Json body = server::parse_body(req.body);
        const std::string name = body.value("model", body.value("name", options.model_name));
        if (name != options.model_name && name != options.model_name + ":latest")
          throw ApiError(404, "model \"" + name + "\" not found", "model");
        Json info{{"general.architecture", "qwen3"}, {"qwen3.context_length", limits.context}};
        if (!engine.remote()) {
          const ModelConfig& c = engine.model().config();
          info["qwen3.embedding_length"] = c.hidden_size;
          info["qwen3.block_count"] = c.num_hidden_layers;
          info["qwen3.attention.head_count"] = c.num_attention_heads;
          info["qwen3.attention.head_count_kv"] = c.num_key_value_heads;
        }
        res.set_content(dump(Json{{"modelfile", ""},
                                  {"parameters", ""},
                                  {"template", "(the Qwen3 chat template, rendered natively)"},
                                  {"details", ollama_details()},
                                  {"model_info", info},
                                  {"capabilities", {"completion", "tools", "thinking"}}}),
                        "application/json");
      });
    });
  }

  Json tokenize(const Json& body) {
    const Tokenizer& tok = engine.tokenizer();
    std::vector<TokenId> ids;
    if (body.contains("messages")) {
      Prepared p = server::prepare_chat(engine, defaults, body, {limits.max_messages, std::numeric_limits<int>::max()});
      ids = std::move(p.prompt);
    } else {
      const auto it = body.contains("content") ? body.find("content") : body.find("prompt");
      if (it == body.end() || !it->is_string())
        throw ApiError(400, "content: expected the text to tokenize (a string)", "content");
      ids = tok.encode(it->get<std::string>());
    }
    Json out{{"tokens", ids}, {"count", ids.size()}, {"max_model_len", limits.context}};
    if (body.value("with_pieces", false)) {
      Json pieces = Json::array();
      for (TokenId id : ids) pieces.push_back({{"id", id}, {"piece", tok.decode({id})}});
      out["pieces"] = pieces;
    }
    return out;
  }

  Json detokenize(const Json& body) {
    const auto it = body.find("tokens");
    if (it == body.end() || !it->is_array()) throw ApiError(400, "tokens: expected an array of token ids", "tokens");
    std::vector<TokenId> ids;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const Json& v = (*it)[i];
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
          v.get<std::int64_t>() >= engine.tokenizer().vocab_size())
        throw ApiError(400,
                       "tokens[" + std::to_string(i) + "]: expected a token id from 0 to " +
                           std::to_string(engine.tokenizer().vocab_size() - 1),
                       "tokens[" + std::to_string(i) + "]");
      ids.push_back(v.get<TokenId>());
    }
    const std::string text = engine.tokenizer().decode(ids);
    return Json{{"content", text}, {"prompt", text}};
  }

  using Prepared = server::Prepared;

  const Engine& engine;
  ServerOptions options;
  Settings defaults;
  server::Limits limits;
  std::unique_ptr<server::Scheduler> scheduler;
  server::HttpServer http;  // after options and what connection_limits reads
  std::mutex metrics_mutex;
  std::map<std::pair<std::string, int>, std::uint64_t> requests;
  std::mutex state_mutex;
  bool bound = false, stop_requested = false, running = false;
  int listen_fd = -1;
};

Server::Server(const Engine& engine, ServerOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {}

Server::~Server() = default;

int Server::bind() {
  Impl& s = *impl_;
  int port = s.options.port;
  if (port == 0) {
    port = s.http.bind_to_any_port(s.options.host);
    if (port < 0) port = 0;
  } else if (!s.http.bind_to_port(s.options.host, port)) {
    port = 0;
  }
  if (port <= 0)
    throw Error("cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                " (in use, or not an address of this machine)");
  if (s.listen_fd >= 0) ::listen(s.listen_fd, SOMAXCONN);
  std::lock_guard<std::mutex> lock(s.state_mutex);
  s.bound = true;
  return port;
}

void Server::run() {
  Impl& s = *impl_;
  bool stopped_first = false;
  {
    std::lock_guard<std::mutex> lock(s.state_mutex);
    if (!s.bound) throw Error("Server::run: call bind() first");
    stopped_first = s.stop_requested;
    s.running = true;
  }
  // stop() came before run(): listen and stop at once all the same, as only
  // a listening server closes its socket (returning without it would leave
  // the port bound, and clients hanging in its backlog).
  std::thread stopper;
  if (stopped_first)
    stopper = std::thread([&s] {
      for (int i = 0; i < 500 && !s.http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      s.http.stop();
    });
  s.http.listen_after_bind();  // returns once stop() closed the socket and the requests in flight are done
  if (stopper.joinable()) stopper.join();
  std::lock_guard<std::mutex> lock(s.state_mutex);
  s.running = false;
}

void Server::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.state_mutex);
    s.stop_requested = true;
    if (!s.running) return;  // run() has not started listening: it will return at once
  }
  // run() may be between its check and listening: wait until it listens.
  for (int i = 0; i < 500 && !s.http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  s.http.stop();
}

}  // namespace qwen3
