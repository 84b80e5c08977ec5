// RemoteBackend: one Generation driven by the tokens an OpenAI-compatible
// server streams back (libcurl, Server-Sent Events from /v1/completions).
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "hub/http.h"
#include "qwen3/endpoint.h"
#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3 {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxKeptBody = 16 * 1024;
constexpr int kDefaultContext = 32768;
constexpr long kModelsTimeoutS = 30;  // GET /models: a small answer
// A stream silent this long is given up (a long prompt's prefill in a busy
// server's queue sends nothing, so this is generous).
constexpr long kStallTimeoutS = 600;

// "http://h:8000", "http://h:8000/", "http://h:8000/v1/" -> "http://h:8000/v1".
std::string base_of(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() < 3 || url.compare(url.size() - 3, 3, "/v1") != 0) url += "/v1";
  return url;
}

// Server text in a one-line message: line breaks folded, at most 300 bytes.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

// What an error answer says: OpenAI's {"error": {"message"}}, a bare
// {"error": "..."}, {"detail": ...} (FastAPI), else the body itself.
std::string error_text(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) return one_line(e->get<std::string>());
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string())
        return one_line((*e)["message"].get<std::string>());
    }
    if (auto d = j.find("detail"); d != j.end()) return one_line(d->is_string() ? d->get<std::string>() : d->dump());
    if (auto m = j.find("message"); m != j.end() && m->is_string()) return one_line(m->get<std::string>());
  }
  return one_line(body);
}

// One HTTP request; a 200 answer's body goes to on_data (false: stop
// reading, not an error), any other answer throws its error.
class Request {
 public:
  Request(const std::string& url, const std::string& api_key, long connect_timeout_s) : url_(url) {
    hub::detail::global_init();
    curl_ = curl_easy_init();
    if (!curl_) throw Error("libcurl could not start a request");
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, connect_timeout_s);
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errbuf_);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Request::on_write);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "qwen3");
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    if (!api_key.empty()) headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + api_key).c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  }
  ~Request() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(curl_);
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // A request that ends within `seconds` (small answers).
  void total_timeout(long seconds) { curl_easy_setopt(curl_, CURLOPT_TIMEOUT, seconds); }
  // A stream that sends nothing for `seconds` is given up.
  void stall_timeout(long seconds) {
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, seconds);
  }

  void perform(const std::string* post_body, std::function<bool(std::string_view)> on_data) {
    on_data_ = std::move(on_data);
    if (post_body) {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, post_body->data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
    }
    const CURLcode rc = curl_easy_perform(curl_);
    if (error_) std::rethrow_exception(error_);
    if (rc == CURLE_WRITE_ERROR && stopped_) return;  // we stopped reading
    if (rc == CURLE_OPERATION_TIMEDOUT && status_ != 0)
      throw Error("the endpoint " + url_ + " stopped answering: " + (errbuf_[0] ? one_line(errbuf_) : "timed out"));
    if (rc != CURLE_OK)
      throw Error("cannot reach the endpoint " + url_ + ": " +
                  (errbuf_[0] ? one_line(errbuf_) : curl_easy_strerror(rc)));
    if (status_ == 200) return;
    if (status_ == 401 || status_ == 403)
      throw Error("the endpoint " + url_ + " refused the request (HTTP " + std::to_string(status_) + ": " +
                  error_text(body_) + "): set api_key (QWEN3_API_KEY) to the server's key");
    throw Error("the endpoint " + url_ + " answered HTTP " + std::to_string(status_) + ": " + error_text(body_));
  }

 private:
  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user) {
    auto* r = static_cast<Request*>(user);
    const std::size_t bytes = size * n;
    if (r->status_ == 0) curl_easy_getinfo(r->curl_, CURLINFO_RESPONSE_CODE, &r->status_);
    if (r->status_ != 200) {
      if (r->body_.size() < kMaxKeptBody) r->body_.append(data, std::min(bytes, kMaxKeptBody - r->body_.size()));
      return bytes;
    }
    try {
      if (r->on_data_(std::string_view(data, bytes))) return bytes;
      r->stopped_ = true;
    } catch (...) {
      r->error_ = std::current_exception();
    }
    return 0;  // aborts the transfer
  }

  std::string url_;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  char errbuf_[CURL_ERROR_SIZE] = {};
  long status_ = 0;
  std::string body_;
  std::function<bool(std::string_view)> on_data_;
  bool stopped_ = false;
  std::exception_ptr error_;
};

// Splits a text/event-stream into the JSON of its data: lines.
class EventStream {
 public:
  // Calls on_event for each complete event; returns false when it did, or at [DONE].
  bool push(std::string_view bytes, const std::function<bool(const Json&)>& on_event) {
    buffer_.append(bytes);
    for (;;) {
      const auto end = buffer_.find('\n');
      if (end == std::string::npos) return true;
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) != 0) continue;  // blank separators, ": keep-alive" comments, event:, id:
      std::string_view data(line);
      data.remove_prefix(5);
      while (!data.empty() && data.front() == ' ') data.remove_prefix(1);
      if (data == "[DONE]") {
        done_ = true;
        return false;
      }
      const Json j = Json::parse(data, nullptr, false);
      if (j.is_discarded()) throw Error("the endpoint sent an event that is not JSON: " + one_line(std::string(data)));
      if (!on_event(j)) return false;
    }
  }
  bool done() const { return done_; }

 private:
  std::string buffer_;
  bool done_ = false;
};

// The bookkeeping model of a remote sequence: the server holds the cache,
// this only counts the tokens (context) and computes nothing.
class RemoteSequence final : public LanguageModel {
 public:
  RemoteSequence(int rows, int context) : rows_(rows), context_(context) {}
  int logit_rows() const override { return rows_; }
  int context_length() const override { return context_; }

 protected:
  void run(std::span<const TokenId>, float*, const std::vector<std::int32_t>*) override {}
  void drop_after(int) override {}

 private:
  int rows_, context_;
};

// Text from a server that returns no ids -> ids, by our tokenizer: the text
// is cut only where a whitespace run starts (no token spans that point, and
// tags such as </think> hold no whitespace), the rest waits for more.
class Retokenizer {
 public:
  explicit Retokenizer(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}
  std::vector<TokenId> push(std::string_view text) {
    pending_.append(text);
    std::size_t cut = pending_.find_last_of(" \t\r\n");
    if (cut == std::string::npos) return {};
    while (cut > 0 && std::isspace(static_cast<unsigned char>(pending_[cut - 1]))) --cut;
    if (cut == 0) return {};
    std::vector<TokenId> ids = tokenizer_->encode(pending_.substr(0, cut));
    pending_.erase(0, cut);
    return ids;
  }
  std::vector<TokenId> flush() {
    std::vector<TokenId> ids = pending_.empty() ? std::vector<TokenId>{} : tokenizer_->encode(pending_);
    pending_.clear();
    return ids;
  }

 private:
  const Tokenizer* tokenizer_;
  std::string pending_;
};

// True when the prompt's last turn already closed a think block (a
// non-thinking prompt, or the continuation after the budget's text): no
// reasoning can follow, so stop strings can go to the server.
bool reasoning_closed(std::span<const TokenId> ids) {
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (*it == token::kThinkEnd) return true;
    if (*it == token::kImStart) return false;
  }
  return false;
}

Json completion_body(const std::string& model, std::span<const TokenId> prompt, int max_tokens,
                     const GenerationOptions& o, bool send_stop) {
  const SamplingParams& s = o.sampling;
  Json body{{"model", model},
            {"prompt", std::vector<TokenId>(prompt.begin(), prompt.end())},
            {"max_tokens", max_tokens},
            {"stream", true},
            {"return_token_ids", true},
            {"temperature", shortest(s.temperature)},
            {"top_p", shortest(s.top_p)},
            {"top_k", s.top_k > 0 ? s.top_k : -1},  // -1: off for vLLM, SGLang and llama-server
            {"min_p", shortest(s.min_p)},
            {"presence_penalty", shortest(s.presence_penalty)},
            {"frequency_penalty", shortest(s.frequency_penalty)},
            {"repetition_penalty", shortest(s.repetition_penalty)},
            {"seed", s.seed}};
  if (o.ignore_eos) body["ignore_eos"] = true;
  if (o.allowed) body["allowed_token_ids"] = o.allowed->ids();
  if (!o.logit_bias.empty()) {
    Json bias = Json::object();
    for (const auto& [id, b] : o.logit_bias) bias[std::to_string(id)] = shortest(b);
    body["logit_bias"] = bias;
  }
  if (send_stop && !o.stop.empty()) body["stop"] = o.stop;
  return body;
}

}  // namespace

RemoteBackend::RemoteBackend(EndpointOptions options) : options_(std::move(options)), base_(base_of(options_.url)) {
  std::string body;
  Request request(base_ + "/models", options_.api_key, options_.connect_timeout_s);
  request.total_timeout(kModelsTimeoutS);
  request.perform(nullptr, [&](std::string_view bytes) {
    if (body.size() < (1u << 20)) body.append(bytes);
    return true;
  });
  const Json j = Json::parse(body, nullptr, false);
  const Json* data = j.is_object() && j.contains("data") && j["data"].is_array() ? &j["data"] : nullptr;
  if (!data || data->empty())
    throw Error("the endpoint " + base_ + " lists no model at /models (is it an OpenAI-compatible server?)");
  const Json* chosen = nullptr;
  std::string names;
  for (const Json& m : *data) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
    const std::string id = m["id"].get<std::string>();
    names += (names.empty() ? "" : ", ") + id;
    if (!chosen && (options_.model.empty() || id == options_.model)) chosen = &m;
  }
  if (!chosen && names.empty())
    throw Error("the endpoint " + base_ + " lists no model at /models (is it an OpenAI-compatible server?)");
  if (!chosen)
    throw Error("endpoint_model = \"" + options_.model + "\" is not served by " + base_ +
                " (it serves: " + one_line(names) + ")");
  if (options_.model.empty()) options_.model = (*chosen)["id"].get<std::string>();
  if (options_.context <= 0) {
    const auto len = chosen->find("max_model_len");
    options_.context = len != chosen->end() && len->is_number_integer() && len->get<std::int64_t>() > 0
                           ? static_cast<int>(std::min<std::int64_t>(len->get<std::int64_t>(), 1 << 30))
                           : kDefaultContext;
  }
}

GenerationResult RemoteBackend::generate(const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                                         const GenerationOptions& given_options, const PieceCallback& on_piece) {
  GenerationOptions options = given_options;
  // A seed every server takes (vLLM's is a signed 64-bit integer), reported as the run's.
  if (options.sampling.seed == kRandomSeed)
    options.sampling.seed = std::random_device{}() * 0x100000000ULL % (1ULL << 62) + std::random_device{}();
  RemoteSequence sequence(options.allowed ? options.allowed->rows() : tokenizer.vocab_size(), options_.context);
  Generation g(sequence, tokenizer, prompt, options, on_piece);

  std::vector<TokenId> sent(prompt.begin(), prompt.end());
  bool restart = false;
  // One token from the server; true when this request must be cut.
  auto feed = [&](TokenId id, bool from_server) {
    if (g.finished()) return false;  // reading the server's own end of the stream
    if (from_server && options.allowed && !options.allowed->allows(id))
      throw Error("the endpoint " + base_ + " returned token " + std::to_string(id) +
                  ", outside the English-only set it was sent (allowed_token_ids): it does not apply that list");
    sequence.forward(g.input(), g.logits(), nullptr);  // the server holds these now
    const bool budget_before = g.result().budget_exhausted;
    if (g.accept_token(id)) {
      // At max_tokens or a stop token the server ends the stream as well:
      // read to its end. Anything else (a stop string in the answer, the
      // repetition guard, the caller cancelling) is ours: cut it.
      const FinishReason why = g.result().finish_reason;
      return why != FinishReason::Length && why != FinishReason::Stop;
    }
    if (!budget_before && g.result().budget_exhausted) {
      // The budget ran out: cut this stream; the next request continues
      // after the early-stop text.
      restart = true;
      return true;
    }
    return false;
  };

  while (!g.finished()) {
    restart = false;
    const int produced = static_cast<int>(g.result().ids.size());
    const int room = options_.context - static_cast<int>(sent.size());
    const int max_tokens = std::min(options.sampling.max_new_tokens - produced, room);
    if (max_tokens <= 0) {
      g.end(FinishReason::Context,
            "the context of " + std::to_string(options_.context) + " tokens is full (the endpoint's max_model_len)");
      break;
    }
    const std::string body =
        completion_body(options_.model, sent, max_tokens, options, options.raw_text || reasoning_closed(sent)).dump();
    Retokenizer text(tokenizer);
    std::string finish;
    bool stop = false;
    EventStream events;
    Request request(base_ + "/completions", options_.api_key, options_.connect_timeout_s);
    request.stall_timeout(kStallTimeoutS);
    request.perform(&body, [&](std::string_view bytes) {
      return events.push(bytes, [&](const Json& event) {
        if (event.contains("error")) throw Error("the endpoint " + base_ + " failed: " + error_text(event.dump()));
        const auto choices = event.find("choices");
        if (choices == event.end() || !choices->is_array() || choices->empty()) return true;  // a usage chunk
        const Json& choice = (*choices)[0];
        std::vector<TokenId> ids;
        if (const auto t = choice.find("token_ids"); t != choice.end() && t->is_array()) {
          for (const Json& id : *t) {
            if (!id.is_number_integer()) throw Error("the endpoint sent a token id that is not an integer");
            ids.push_back(id.get<TokenId>());
          }
          for (TokenId id : ids)
            if ((stop = feed(id, true))) return false;
        } else if (const auto t = choice.find("text"); t != choice.end() && t->is_string()) {
          for (TokenId id : text.push(t->get<std::string>()))
            if ((stop = feed(id, false))) return false;
        }
        if (const auto f = choice.find("finish_reason"); f != choice.end() && f->is_string()) finish = *f;
        return true;
      });
    });
    if (!stop)
      for (TokenId id : text.flush())
        if ((stop = feed(id, false))) break;
    if (restart) {  // the next request: the prompt, everything so far and the budget's text
      sent.assign(prompt.begin(), prompt.end());
      sent.insert(sent.end(), g.result().ids.begin(), g.result().ids.end());
      continue;
    }
    if (g.finished()) break;
    if (finish.empty())
      throw Error("the endpoint " + base_ + " ended the stream without a finish reason" +
                  (events.done() ? "" : " (the connection closed early)"));
    const int now = static_cast<int>(g.result().ids.size());
    if (finish == "length" && now < options.sampling.max_new_tokens && max_tokens == room)
      g.end(FinishReason::Context,
            "the context of " + std::to_string(options_.context) + " tokens is full (the endpoint's max_model_len)");
    else if (finish == "length")
      g.end(FinishReason::Length);
    else if (finish == "abort" || finish == "error")
      throw Error("the endpoint " + base_ + " aborted the reply (finish_reason \"" + one_line(finish) + "\")");
    else if (finish == "repetition")
      g.end(FinishReason::Repetition, "the endpoint's repetition guard ended the reply");
    else
      g.end(FinishReason::Stop);  // "stop": a stop token or a stop string
  }
  return g.result();
}

}  // namespace qwen3
