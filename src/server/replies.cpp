#include "server/replies.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>

#include "qwen3/settings.h"
#include "server/tool_calls.h"

namespace qwen3::server {
namespace {

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// "chatcmpl-3f9a...": unique within a run, unpredictable across runs.
std::string new_id(const char* prefix) {
  static std::atomic<std::uint64_t> counter{(std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()};
  // splitmix64 of a counter: distinct ids that do not look sequential.
  std::uint64_t n = counter.fetch_add(0x9e3779b97f4a7c15ULL) + 0x9e3779b97f4a7c15ULL;
  n = (n ^ (n >> 30)) * 0xbf58476d1ce4e5b9ULL;
  n = (n ^ (n >> 27)) * 0x94d049bb133111ebULL;
  n ^= n >> 31;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(n));
  return std::string(prefix) + buf;
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// RFC 3339 UTC with nanoseconds, as Ollama writes created_at.
std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

// One event's share of the reply: reasoning, answer text, finished tool calls.
struct Delta {
  std::string reasoning, content;
  std::vector<ParsedToolCall> calls;
  std::vector<TokenLogprob> logprobs;
};

// Turns events into deltas and keeps the totals.
class Assembler {
 public:
  explicit Assembler(bool tools) : tools_(tools) {}
  Delta take(const JobEvent& e) {
    Delta d;
    d.logprobs = e.logprobs;
    if (e.type == JobEvent::Type::Piece && e.piece.kind == PieceKind::Reasoning) {
      d.reasoning = e.piece.text;
    } else if (tools_) {
      auto out = e.type == JobEvent::Type::Piece ? calls_.push(e.piece.text) : calls_.finish();
      d.content = std::move(out.text);
      d.calls = std::move(out.calls);
    } else if (e.type == JobEvent::Type::Piece) {
      d.content = e.piece.text;
    }
    reasoning += d.reasoning;
    content += d.content;
    calls.insert(calls.end(), d.calls.begin(), d.calls.end());
    logprobs.insert(logprobs.end(), d.logprobs.begin(), d.logprobs.end());
    return d;
  }
  std::string reasoning, content;
  std::vector<ParsedToolCall> calls;
  std::vector<TokenLogprob> logprobs;

 private:
  bool tools_;
  ToolCallStream calls_;
};

Json usage_json(const GenerationResult& r) {
  const auto& u = r.usage;
  return Json{{"prompt_tokens", u.prompt_tokens},
              {"completion_tokens", u.generated_tokens},
              {"total_tokens", u.prompt_tokens + u.generated_tokens},
              {"completion_tokens_details", {{"reasoning_tokens", u.reasoning_tokens}}}};
}

std::string token_text(const Tokenizer& tok, TokenId id) { return tok.decode({id}); }

Json bytes_of(const std::string& s) {
  Json b = Json::array();
  for (unsigned char c : s) b.push_back(c);
  return b;
}

// OpenAI chat logprobs: {"content": [{token, logprob, bytes, top_logprobs}]}.
Json chat_logprobs(const Tokenizer& tok, const std::vector<TokenLogprob>& lps) {
  Json content = Json::array();
  for (const auto& lp : lps) {
    const std::string text = token_text(tok, lp.id);
    Json top = Json::array();
    for (const auto& [id, logprob] : lp.top) {
      const std::string t = token_text(tok, id);
      top.push_back({{"token", t}, {"logprob", shortest(logprob)}, {"bytes", bytes_of(t)}});
    }
    content.push_back(
        {{"token", text}, {"logprob", shortest(lp.logprob)}, {"bytes", bytes_of(text)}, {"top_logprobs", top}});
  }
  return Json{{"content", content}};
}

// Legacy completions logprobs: parallel arrays.
Json completion_logprobs(const Tokenizer& tok, const std::vector<TokenLogprob>& lps, std::size_t& offset) {
  Json tokens = Json::array(), logprobs = Json::array(), top = Json::array(), offsets = Json::array();
  for (const auto& lp : lps) {
    const std::string text = token_text(tok, lp.id);
    tokens.push_back(text);
    logprobs.push_back(shortest(lp.logprob));
    Json alternatives = Json::object();
    for (const auto& [id, logprob] : lp.top) alternatives[token_text(tok, id)] = shortest(logprob);
    top.push_back(alternatives);
    offsets.push_back(offset);
    offset += text.size();
  }
  return Json{{"tokens", tokens}, {"token_logprobs", logprobs}, {"top_logprobs", top}, {"text_offset", offsets}};
}

Json openai_tool_call(const ParsedToolCall& call) {
  return Json{{"id", new_id("call_")},
              {"type", "function"},
              {"function", {{"name", call.name}, {"arguments", call.arguments}}}};
}

class OpenAIChat final : public Reply {
 public:
  explicit OpenAIChat(const ReplyContext& c)
      : c_(c), asm_(c.tools), id_(new_id("chatcmpl-")), created_(unix_seconds()) {}
  std::string content_type() const override { return c_.stream ? "text/event-stream" : "application/json"; }
  std::string heartbeat() const override { return c_.stream ? ": keep-alive\n\n" : " "; }

  std::string start() override {
    if (!c_.stream) return "";
    return sse(chunk(Json{{"role", "assistant"}, {"content", ""}}, nullptr));
  }

  std::string event(const JobEvent& e, const Job& job) override {
    const Delta d = asm_.take(e);
    if (!c_.stream) return e.type == JobEvent::Type::Done ? dump(whole(job)) : "";
    pending_logprobs_.insert(pending_logprobs_.end(), d.logprobs.begin(), d.logprobs.end());
    std::string out;
    if (!d.reasoning.empty()) out += sse(chunk(Json{{"reasoning_content", d.reasoning}}, nullptr));
    if (!d.content.empty()) out += sse(chunk(Json{{"content", d.content}}, nullptr));
    for (const auto& call : d.calls) {
      Json tc = openai_tool_call(call);
      Json entry{{"index", calls_sent_++}};
      entry.update(tc);
      out += sse(chunk(Json{{"tool_calls", Json::array({entry})}}, nullptr));
    }
    if (e.type != JobEvent::Type::Done) return out;
    if (!job.error().empty()) {
      out += sse(openai_error(500, job.error(), "", "server_error"));
      return out + "data: [DONE]\n\n";
    }
    const std::string finish = openai_finish_reason(job.result(), !asm_.calls.empty());
    out += sse(chunk(Json::object(), &finish));
    if (c_.include_usage) {
      Json u = base();
      u["choices"] = Json::array();
      u["usage"] = usage_json(job.result());
      out += sse(u);
    }
    return out + "data: [DONE]\n\n";
  }

 private:
  static std::string sse(const Json& j) { return "data: " + dump(j) + "\n\n"; }
  Json base() const {
    return Json{{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", c_.model}};
  }
  Json chunk(Json delta, const std::string* finish) {
    Json choice{{"index", 0}, {"delta", std::move(delta)}};
    if (c_.top_logprobs && !pending_logprobs_.empty()) {
      choice["logprobs"] = chat_logprobs(*c_.tokenizer, pending_logprobs_);
      pending_logprobs_.clear();
    } else {
      choice["logprobs"] = nullptr;
    }
    choice["finish_reason"] = finish ? Json(*finish) : Json(nullptr);
    Json j = base();
    j["choices"] = Json::array({choice});
    return j;
  }
  Json whole(const Job& job) {
    if (!job.error().empty()) return openai_error(500, job.error(), "", "server_error");
    const GenerationResult& r = job.result();
    Json message{{"role", "assistant"}};
    message["content"] = asm_.content.empty() && !asm_.calls.empty() ? Json(nullptr) : Json(asm_.content);
    message["reasoning_content"] = asm_.reasoning.empty() ? Json(nullptr) : Json(asm_.reasoning);
    if (!asm_.calls.empty()) {
      Json calls = Json::array();
      for (const auto& call : asm_.calls) calls.push_back(openai_tool_call(call));
      message["tool_calls"] = calls;
    }
    Json choice{{"index", 0}, {"message", message}};
    choice["logprobs"] = c_.top_logprobs ? chat_logprobs(*c_.tokenizer, asm_.logprobs) : Json(nullptr);
    choice["finish_reason"] = openai_finish_reason(r, !asm_.calls.empty());
    return Json{{"id", id_},         {"object", "chat.completion"},      {"created", created_},
                {"model", c_.model}, {"choices", Json::array({choice})}, {"usage", usage_json(r)}};
  }

  ReplyContext c_;
  Assembler asm_;
  std::string id_;
  std::int64_t created_;
  std::vector<TokenLogprob> pending_logprobs_;
  int calls_sent_ = 0;
};

class OpenAICompletion final : public Reply {
 public:
  explicit OpenAICompletion(const ReplyContext& c)
      : c_(c), asm_(false), id_(new_id("cmpl-")), created_(unix_seconds()) {}
  std::string content_type() const override { return c_.stream ? "text/event-stream" : "application/json"; }
  std::string heartbeat() const override { return c_.stream ? ": keep-alive\n\n" : " "; }
  std::string start() override { return ""; }

  std::string event(const JobEvent& e, const Job& job) override {
    const Delta d = asm_.take(e);
    if (!c_.stream) {
      if (e.type != JobEvent::Type::Done) return "";
      if (!job.error().empty()) return dump(openai_error(500, job.error(), "", "server_error"));
      std::size_t offset = 0;
      Json body = base("text_completion");
      body["choices"] = Json::array(
          {choice(asm_.reasoning + asm_.content, asm_.logprobs, offset, openai_finish_reason(job.result(), false))});
      if (c_.return_token_ids) body["choices"][0]["token_ids"] = job.result().ids;
      body["usage"] = usage_json(job.result());
      return dump(body);
    }
    std::string out;
    const bool ids = c_.return_token_ids && !e.ids.empty();
    if (!d.content.empty() || !d.reasoning.empty() || (ids && e.type != JobEvent::Type::Done)) {
      Json j = base("text_completion");
      j["choices"] = Json::array({choice(d.reasoning + d.content, d.logprobs, offset_, std::nullopt)});
      if (c_.return_token_ids) j["choices"][0]["token_ids"] = e.ids;
      out += "data: " + dump(j) + "\n\n";
    }
    if (e.type != JobEvent::Type::Done) return out;
    if (!job.error().empty())
      return out + "data: " + dump(openai_error(500, job.error(), "", "server_error")) + "\n\n" + "data: [DONE]\n\n";
    Json j = base("text_completion");
    j["choices"] = Json::array({choice("", {}, offset_, openai_finish_reason(job.result(), false))});
    // The Done event's ids (their text, if any, went in the chunk above).
    if (c_.return_token_ids && out.empty()) j["choices"][0]["token_ids"] = e.ids;
    out += "data: " + dump(j) + "\n\n";
    if (c_.include_usage) {
      Json u = base("text_completion");
      u["choices"] = Json::array();
      u["usage"] = usage_json(job.result());
      out += "data: " + dump(u) + "\n\n";
    }
    return out + "data: [DONE]\n\n";
  }

 private:
  Json base(const char* object) const {
    return Json{{"id", id_}, {"object", object}, {"created", created_}, {"model", c_.model}};
  }
  Json choice(const std::string& text, const std::vector<TokenLogprob>& lps, std::size_t& offset,
              std::optional<std::string> finish) const {
    Json ch{{"index", 0}, {"text", text}};
    ch["logprobs"] = c_.top_logprobs ? completion_logprobs(*c_.tokenizer, lps, offset) : Json(nullptr);
    ch["finish_reason"] = finish ? Json(*finish) : Json(nullptr);
    return ch;
  }

  ReplyContext c_;
  Assembler asm_;
  std::string id_;
  std::int64_t created_;
  std::size_t offset_ = 0;
};

// Ollama's /api/chat and /api/generate.
class Ollama final : public Reply {
 public:
  explicit Ollama(const ReplyContext& c) : c_(c), asm_(c.tools), start_(std::chrono::steady_clock::now()) {}
  std::string content_type() const override { return c_.stream ? "application/x-ndjson" : "application/json"; }
  // Leading whitespace before a JSON line is still that line.
  std::string heartbeat() const override { return " "; }
  std::string start() override { return ""; }

  std::string event(const JobEvent& e, const Job& job) override {
    const Delta d = asm_.take(e);
    if (!c_.stream) {
      if (e.type != JobEvent::Type::Done) return "";
      if (!job.error().empty()) return dump(Json{{"error", job.error()}});
      return dump(line(asm_.reasoning, asm_.content, asm_.calls, &job)) + "\n";
    }
    std::string out;
    if (!d.reasoning.empty() || !d.content.empty() || !d.calls.empty())
      out += dump(line(d.reasoning, d.content, d.calls, nullptr)) + "\n";
    if (e.type != JobEvent::Type::Done) return out;
    if (!job.error().empty()) return out + dump(Json{{"error", job.error()}}) + "\n";
    return out + dump(line("", "", {}, &job)) + "\n";
  }

 private:
  Json line(const std::string& thinking, const std::string& content, const std::vector<ParsedToolCall>& calls,
            const Job* done) const {
    Json j{{"model", c_.model}, {"created_at", rfc3339_now()}};
    if (c_.api == Api::OllamaChat) {
      Json message{{"role", "assistant"}, {"content", content}};
      if (!thinking.empty()) message["thinking"] = thinking;
      if (!calls.empty()) {
        Json list = Json::array();
        for (const auto& call : calls) {
          Json args = Json::parse(call.arguments, nullptr, false);
          if (args.is_discarded()) args = Json::object();
          list.push_back({{"function", {{"name", call.name}, {"arguments", args}}}});
        }
        message["tool_calls"] = list;
      }
      j["message"] = message;
    } else {
      j["response"] = content;
      if (!thinking.empty()) j["thinking"] = thinking;
    }
    j["done"] = done != nullptr;
    if (!done) return j;
    const GenerationResult& r = done->result();
    const auto& u = r.usage;
    const auto total_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_);
    const double eval_s = u.tokens_per_second > 0 ? (u.generated_tokens - 1) / u.tokens_per_second : 0;
    j["done_reason"] = r.finish_reason == FinishReason::Length || r.finish_reason == FinishReason::Context ? "length"
                       : r.finish_reason == FinishReason::Repetition ? "repetition"
                                                                     : "stop";
    j["total_duration"] = total_ns.count();
    j["load_duration"] = 0;
    j["prompt_eval_count"] = u.prompt_tokens;
    j["prompt_eval_duration"] = static_cast<std::int64_t>(u.time_to_first_token_ms * 1e6);
    j["eval_count"] = u.generated_tokens;
    j["eval_duration"] = static_cast<std::int64_t>(eval_s * 1e9);
    return j;
  }

  ReplyContext c_;
  Assembler asm_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::string openai_finish_reason(const GenerationResult& r, bool tool_calls) {
  if (tool_calls && (r.finish_reason == FinishReason::Stop || r.finish_reason == FinishReason::StopString))
    return "tool_calls";
  switch (r.finish_reason) {
    case FinishReason::Stop:
    case FinishReason::StopString:
      return "stop";
    case FinishReason::Length:
    case FinishReason::Context:
      return "length";
    default:
      return std::string(finish_reason_name(r.finish_reason));
  }
}

Json openai_error(int status, const std::string& message, const std::string& param, const std::string& type) {
  std::string t = type;
  if (t.empty()) {
    switch (status) {
      case 401:
        t = "authentication_error";
        break;
      case 404:
        t = "not_found_error";
        break;
      case 413:
        t = "request_too_large";
        break;
      case 503:
        t = "server_busy";
        break;
      default:
        t = status >= 500 ? "server_error" : "invalid_request_error";
    }
  }
  return Json{
      {"error",
       {{"message", message}, {"type", t}, {"param", param.empty() ? Json(nullptr) : Json(param)}, {"code", status}}}};
}

std::unique_ptr<Reply> make_reply(const ReplyContext& c) {
  switch (c.api) {
    case Api::OpenAIChat:
      return std::make_unique<OpenAIChat>(c);
    case Api::OpenAICompletion:
      return std::make_unique<OpenAICompletion>(c);
    case Api::OllamaChat:
    case Api::OllamaGenerate:
      return std::make_unique<Ollama>(c);
  }
  return nullptr;
}

}  // namespace qwen3::server
