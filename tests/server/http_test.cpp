// The HTTP server in-process on 127.0.0.1 (a free port), driven by
// cpp-httplib's client: errors as OpenAI objects, authentication, limits,
// a full queue, streaming, draining on stop().
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "qwen3/server.h"
#include "server/running_server.h"
#include "server/server_fixture.h"

namespace qwen3 {
namespace {

using Json = nlohmann::ordered_json;

using Running = test::RunningServer;

const char* kChat = R"({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 6, "seed": 1})";

Json error_of(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    ADD_FAILURE() << "not an error object: " << body;
    return Json::object();
  }
  for (const char* key : {"message", "type", "param", "code"}) EXPECT_TRUE(j["error"].contains(key)) << key;
  return j["error"];
}
Json error_of(const httplib::Result& r) {
  EXPECT_TRUE(r);
  return r ? error_of(r->body) : Json();
}

// Posts until the answer has `status` (up to 5 s); returns it.
struct Answer {
  int status = 0;
  std::string retry_after, body;
};
Answer post_until(httplib::Client& c, const char* path, const char* body, int status) {
  Answer a;
  for (int i = 0; i < 100; ++i) {
    auto r = c.Post(path, body, "application/json");
    if (r) a = {r->status, r->get_header_value("Retry-After"), r->body};
    if (a.status == status) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return a;
}

TEST(Http, ChatCompletionAndTheRequestLog) {
  Running s({});
  auto c = s.client();
  auto r = c.Post("/v1/chat/completions", kChat, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const Json j = Json::parse(r->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  EXPECT_TRUE(j["usage"]["completion_tokens_details"].contains("reasoning_tokens"));
  const auto log = s.log_lines(1);
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("POST /v1/chat/completions 200 9+6 tokens"), std::string::npos) << log.back();
}

// stop() before run(): run() returns and the port is closed, so a client is
// refused at once instead of waiting in the listening socket's backlog.
TEST(Http, StopBeforeRunClosesThePort) {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  Server server(test::fixture_engine(), o);
  const int port = server.bind();
  server.stop();
  server.run();
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5);
  c.set_read_timeout(5);
  const auto r = c.Get("/health");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), httplib::Error::Connection) << httplib::to_string(r.error());
}

TEST(Http, StreamingIsServerSentEventsEndingWithDone) {
  Running s({});
  auto c = s.client();
  std::string body;
  httplib::Request req;
  auto r = c.Post("/v1/chat/completions",
                  R"({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "stream": true,
                      "stream_options": {"include_usage": true}})",
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_EQ(r->body.substr(r->body.size() - 14), "data: [DONE]\n\n");
  int chunks = 0;
  bool usage = false;
  std::size_t at = 0;
  while ((at = r->body.find("data: {", at)) != std::string::npos) {
    const auto end = r->body.find("\n\n", at);
    const Json chunk = Json::parse(r->body.substr(at + 6, end - at - 6));
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    if (chunk.contains("usage")) usage = chunk["usage"]["completion_tokens"] == 4;
    ++chunks;
    at = end;
  }
  EXPECT_GE(chunks, 3);
  EXPECT_TRUE(usage);
}

TEST(Http, ErrorsAreOpenAIObjects) {
  Running s({});
  auto c = s.client();
  auto r = c.Post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "Hi"}], "top_p": 2})",
                  "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_of(r)["param"], "top_p");
  r = c.Get("/v1/nothing");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_of(r)["type"], "not_found_error");
  r = c.Post("/v1/chat/completions", "{not json", "application/json");
  EXPECT_EQ(r->status, 400);
  error_of(r);
  // Ollama routes answer in Ollama's shape.
  r = c.Post("/api/chat", R"({"messages": "x"})", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(Json::parse(r->body)["error"].is_string());
}

TEST(Http, ApiKeyIsRequiredExceptForHealth) {
  ServerOptions o;
  o.api_key = "sekrit";
  Running s(o);
  auto c = s.client();
  EXPECT_EQ(c.Get("/health")->status, 200);
  auto r = c.Get("/v1/models");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(error_of(r)["type"], "authentication_error");
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer sekrit"}})->status, 200);
}

TEST(Http, BodyAndMessageLimits) {
  ServerOptions o;
  o.max_body_bytes = 1000;
  o.max_messages = 2;
  Running s(o);
  auto c = s.client();
  auto r = c.Post("/v1/chat/completions", std::string(2000, ' '), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  error_of(r);
  r = c.Post("/v1/chat/completions",
             R"({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                              {"role": "user", "content": "c"}]})",
             "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_of(r)["param"], "messages");
}

TEST(Http, AFullQueueIs503WithRetryAfter) {
  ServerOptions o;
  o.parallel = 1;
  o.queue = 0;
  Running s(o, test::long_context_engine());
  // One long request holds the only slot.
  auto holder_client = s.client();
  // One request, not post_until: once stopped, a retry would run all 30,000
  // tokens to the end (minutes under the sanitizers) before the join below.
  std::thread holder([&] {
    holder_client.Post("/v1/completions",
                       R"({"prompt": "x", "max_tokens": 30000, "ignore_eos": true, "repetition_guard": 0})",
                       "application/json");
  });
  auto c = s.client();
  for (int i = 0; i < 200 && c.Get("/metrics")->body.find("qwen3_requests_running 1") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  const Answer busy = post_until(c, "/v1/chat/completions", kChat, 503);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.retry_after, "1");
  error_of(busy.body);
  holder_client.stop();  // the client goes away
  holder.join();
  // The holder went away: its slot is free again within a step or two.
  EXPECT_EQ(post_until(c, "/v1/chat/completions", kChat, 200).status, 200);
  EXPECT_NE(c.Get("/metrics")->body.find("qwen3_requests_cancelled_total 1"), std::string::npos);
}

TEST(Http, ModelsTokenizeDetokenizeMetrics) {
  Running s({});
  auto c = s.client();
  const Json models = Json::parse(c.Get("/v1/models")->body);
  EXPECT_EQ(models["data"][0]["id"], "tiny-qwen3-a");
  const Json tok = Json::parse(c.Post("/tokenize", R"({"content": "Hello world"})", "application/json")->body);
  EXPECT_EQ(tok["tokens"], Json::parse("[9707, 1879]"));
  const Json detok = Json::parse(c.Post("/detokenize", R"({"tokens": [9707, 1879]})", "application/json")->body);
  EXPECT_EQ(detok["content"], "Hello world");
  c.Post("/v1/chat/completions", kChat, "application/json");
  const std::string metrics = c.Get("/metrics")->body;
  for (const char* name :
       {"qwen3_requests_total{path=\"/v1/chat/completions\",status=\"200\"} 1", "qwen3_generated_tokens_total 6",
        "qwen3_requests_queued 0", "qwen3_time_to_first_token_seconds_count 1", "qwen3_decode_tokens_per_second"})
    EXPECT_NE(metrics.find(name), std::string::npos) << name << "\n" << metrics;
  const Json tags = Json::parse(c.Get("/api/tags")->body);
  EXPECT_EQ(tags["models"][0]["name"], "tiny-qwen3-a");
  EXPECT_TRUE(Json::parse(c.Get("/api/version")->body).contains("version"));
  EXPECT_EQ(c.Post("/api/show", R"({"model": "tiny-qwen3-a"})", "application/json")->status, 200);
}

}  // namespace
}  // namespace qwen3
