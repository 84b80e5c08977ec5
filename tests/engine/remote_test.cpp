// Generation on an endpoint (qwen3/endpoint.h, docs/scale-out.md) against a
// real `qwen3 serve` on 127.0.0.1 (in this process, on the fixture model):
// the same reasoning and answer as the local model with the same seed, the
// thinking budget as a second request, English-only as allowed_token_ids,
// the API key as a Bearer token, one-line errors, and `serve` as a front.
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/run_cli.h"
#include "qwen3/endpoint.h"
#include "qwen3/server.h"
#include "qwen3/vocab.h"
#include "server/running_server.h"

namespace qwen3 {
namespace {

using Json = nlohmann::json;
using test::is_one_line_error;
using test::run_qwen3;

// The server's engine: the fixture with ctx 512 and no repetition guard of
// its own (the client applies its own), as `qwen3 serve --repetition-guard 0`.
Settings backend_settings() {
  SettingsSources sources;
  sources.command_line.model = test::fixture_arg();
  sources.command_line.ctx = 512;
  sources.command_line.threads = 2;
  sources.command_line.repetition_guard = 0;
  return resolve(sources);
}

const Engine& backend_engine() {
  static const Engine engine(backend_settings());
  return engine;
}

// A qwen3 serve on the backend engine (or another).
class Running : public test::RunningServer {
 public:
  explicit Running(const Engine& engine, ServerOptions o = {}) : RunningServer(std::move(o), engine) {}
};

std::vector<std::string> completion_lines(const std::vector<std::string>& log) {
  std::vector<std::string> out;
  for (const auto& line : log)
    if (line.rfind("POST /v1/completions ", 0) == 0) out.push_back(line);
  return out;
}

Json generate(std::vector<std::string> extra, const std::vector<std::string>& env = {}) {
  std::vector<std::string> args = {"generate", "--model", test::fixture_arg(), "--prompt", "Tell me about cats",
                                   "--seed",   "5",       "--max-new-tokens",  "32",       "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_qwen3(args, "", env);
  EXPECT_EQ(r.status, 0) << r.err;
  return r.status == 0 ? Json::parse(r.out) : Json::object();
}

void expect_same_reply(const Json& local, const Json& remote) {
  ASSERT_TRUE(local.contains("ids") && remote.contains("ids")) << local << "\n" << remote;
  EXPECT_EQ(remote["reasoning"], local["reasoning"]);
  EXPECT_EQ(remote["content"], local["content"]);
  EXPECT_EQ(remote["ids"], local["ids"]);
  EXPECT_EQ(remote["thinking_state"], local["thinking_state"]);
  EXPECT_EQ(remote["finish_reason"], local["finish_reason"]);
  EXPECT_EQ(remote["seed"], local["seed"]);
  EXPECT_EQ(remote["usage"]["reasoning_tokens"], local["usage"]["reasoning_tokens"]);
  EXPECT_EQ(remote["usage"]["answer_tokens"], local["usage"]["answer_tokens"]);
  EXPECT_EQ(remote["usage"]["prompt_tokens"], local["usage"]["prompt_tokens"]);
}

TEST(RemoteCli, GenerateGivesTheSameReplyAsTheLocalModel) {
  Running server(backend_engine());
  for (const char* mode : {"--think", "--no-think"}) {
    const Json local = generate({mode, "--ctx", "512"});
    const Json remote = generate({mode, "--endpoint", server.url()});
    EXPECT_EQ(local["ids"].size(), 32u) << mode;
    expect_same_reply(local, remote);
    EXPECT_EQ(remote["mode"], local["mode"]);
  }
  // One completion request per reply, the prompt as qwen3 rendered it.
  const auto lines = completion_lines(server.log());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" 200 "), std::string::npos) << lines[0];
}

TEST(RemoteCli, RawIdsGiveTheSameIdsAsTheLocalModel) {
  Running server(backend_engine());
  auto ids = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"generate",     "--model",          test::fixture_arg(),
                                     "--prompt-ids", "9707,1879,11",     "--greedy",
                                     "--json",       "--max-new-tokens", "12"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_qwen3(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? Json::parse(r.out)["ids"] : Json();
  };
  const Json local = ids({"--ctx", "512"});
  EXPECT_EQ(local.size(), 12u);
  EXPECT_EQ(ids({"--endpoint", server.url()}), local);
}

TEST(RemoteCli, ChatGivesTheSameRepliesAsTheLocalModelTurnAfterTurn) {
  Running server(backend_engine());
  const std::string input = "Hello\n/no_think\nAnd now?\n";
  auto chat = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"chat", "--model", test::fixture_arg(), "--seed", "9", "--max-new-tokens",
                                     "20",   "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_qwen3(args, input);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<Json> turns;
    std::size_t start = 0;
    for (std::size_t nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string line = r.out.substr(start, nl - start);
      if (!line.empty() && line.front() == '{') turns.push_back(Json::parse(line));
    }
    return turns;
  };
  const auto local = chat({"--ctx", "512"});
  const auto remote = chat({"--endpoint", server.url()});
  ASSERT_EQ(local.size(), 2u);
  ASSERT_EQ(remote.size(), 2u);
  for (int i = 0; i < 2; ++i) expect_same_reply(local[i], remote[i]);
  EXPECT_EQ(remote[1]["mode"], "non_thinking");
}

TEST(RemoteCli, StopStringsEndTheAnswerAsLocally) {
  Running server(backend_engine());
  const Json plain = generate({"--no-think", "--ctx", "512"});
  // A stop string from the middle of the answer: the text of one of its tokens.
  const Tokenizer tok = Tokenizer::load(test::fixture_dir());
  std::string stop;
  const auto ids = plain["ids"].get<std::vector<TokenId>>();
  for (std::size_t i = 8; i < ids.size() && stop.empty(); ++i) {
    const std::string text = tok.decode({ids[i]});
    if (text.size() >= 2 && text.find_first_of("\n\xef\xbf\xbd") == std::string::npos &&
        plain["content"].get<std::string>().find(text) != std::string::npos)
      stop = text;
  }
  ASSERT_FALSE(stop.empty());
  const Json local = generate({"--no-think", "--ctx", "512", "--stop", stop});
  const Json remote = generate({"--no-think", "--endpoint", server.url(), "--stop", stop});
  EXPECT_EQ(local["finish_reason"], "stop_string");
  EXPECT_EQ(remote["content"], local["content"]);
  EXPECT_EQ(remote["finish_reason"], local["finish_reason"]);
}

TEST(RemoteCli, EnglishOnlyIsAppliedByTheServerAsAllowedTokenIds) {
  Running server(backend_engine());
  const Json local = generate({"--english-only", "latin", "--ctx", "512"});
  const Json remote = generate({"--english-only", "latin", "--endpoint", server.url()});
  expect_same_reply(local, remote);
  const Tokenizer tok = Tokenizer::load(test::fixture_dir());
  const vocab::TokenMask mask = vocab::make_mask(tok, "latin");
  for (const auto& id : remote["ids"]) EXPECT_TRUE(mask.allows(id.get<TokenId>())) << id;
  // Without the list the same seed writes other tokens: the server applied it.
  EXPECT_NE(generate({"--endpoint", server.url()})["ids"], remote["ids"]);
}

TEST(RemoteServe, AcceptsAllowedTokenIdsAndReturnsTokenIds) {
  Running server(backend_engine());
  httplib::Client c("127.0.0.1", server.port());
  const std::vector<int> allowed = {9707, 1879, 11, 13, 220, 151645};
  Json body{
      {"prompt", "Hello"},       {"max_tokens", 12}, {"seed", 3}, {"ignore_eos", true}, {"allowed_token_ids", allowed},
      {"return_token_ids", true}};
  auto r = c.Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const Json j = Json::parse(r->body);
  const auto ids = j["choices"][0]["token_ids"].get<std::vector<int>>();
  ASSERT_EQ(ids.size(), 12u);
  for (int id : ids) EXPECT_NE(std::find(allowed.begin(), allowed.end(), id), allowed.end()) << id;

  // Streamed: the chunks' token_ids add up to the same ids.
  body["stream"] = true;
  r = c.Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  std::vector<int> streamed;
  std::size_t at = 0;
  while ((at = r->body.find("data: {", at)) != std::string::npos) {
    const std::size_t end = r->body.find("\n\n", at);
    const Json chunk = Json::parse(r->body.substr(at + 6, end - at - 6));
    for (const auto& id : chunk["choices"][0].value("token_ids", Json::array())) streamed.push_back(id.get<int>());
    at = end;
  }
  EXPECT_EQ(streamed, ids);

  body["allowed_token_ids"] = Json::array({-1});
  r = c.Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("allowed_token_ids[0]"), std::string::npos) << r->body;
}

// A prompt whose last turn opened a think block: generation starts in
// reasoning (the random fixture never writes <think> by itself).
std::vector<TokenId> thinking_prompt(const Tokenizer& tok) {
  return tok.encode("<|im_start|>user\nWhy is the sky blue?<|im_end|>\n<|im_start|>assistant\n<think>\n");
}

// The thinking preset with this seed and length.
GenerationOptions thinking_options(std::uint64_t seed, int max_new_tokens) {
  GenerationOptions options = backend_engine().options_for(SamplingMode::Thinking);
  options.sampling.seed = seed;
  options.sampling.max_new_tokens = max_new_tokens;
  return options;
}

// Settings as `qwen3 serve --model <fixture> --endpoint URL --repetition-guard 0`.
Settings front_settings(const std::string& url) {
  SettingsSources sources;
  sources.command_line.model = test::fixture_arg();  // the tokenizer and template
  sources.command_line.endpoint = url;
  sources.command_line.repetition_guard = 0;
  return resolve(sources);
}

TEST(RemoteBackend, TheThinkingBudgetStopsTheFirstRequestAndContinuesInASecond) {
  Running server(backend_engine());
  const Engine& engine = backend_engine();
  const auto prompt = thinking_prompt(engine.tokenizer());
  GenerationOptions options = thinking_options(21, 60);
  options.thinking_budget = 6;

  ModelRunner runner(engine.model());
  const GenerationResult local = generate(runner, engine.tokenizer(), prompt, options);
  RemoteBackend remote({.url = server.url()});
  std::string streamed_reasoning;
  const GenerationResult r = remote.generate(engine.tokenizer(), prompt, options, [&](const ReplyPiece& p) {
    if (p.kind == PieceKind::Reasoning) streamed_reasoning += p.text;
    return true;
  });

  ASSERT_TRUE(local.budget_exhausted);
  EXPECT_TRUE(r.budget_exhausted);
  EXPECT_EQ(r.thinking_state, ThinkingState::Complete);
  EXPECT_EQ(r.usage.reasoning_tokens, local.usage.reasoning_tokens);
  // The reasoning (up to the early-stop text) is the local one, token for token.
  EXPECT_EQ(r.reasoning, local.reasoning);
  EXPECT_EQ(streamed_reasoning, r.reasoning);
  const std::vector<TokenId> stop_ids = engine.tokenizer().encode(std::string(kDefaultBudgetStopText));
  const std::size_t head = 6 + stop_ids.size();
  ASSERT_GE(r.ids.size(), head);
  EXPECT_TRUE(std::equal(local.ids.begin(), local.ids.begin() + head, r.ids.begin()));
  EXPECT_TRUE(std::equal(stop_ids.begin(), stop_ids.end(), r.ids.begin() + 6));
  EXPECT_EQ(r.ids.size(), 60u);  // the answer ran to max_new_tokens in the second request

  // Two requests: the first cut after the budget, the second continuing from
  // the prompt, the reasoning and the early-stop text.
  // (The cut request is logged when the server notices the client left.)
  auto lines = completion_lines(server.log());
  for (int i = 0; i < 100 && lines.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    lines = completion_lines(server.log());
  }
  ASSERT_EQ(lines.size(), 2u);
  // (Its generated count is logged only if the server finished before the
  // client, which stops reading once it has all 60 tokens.)
  const std::string second = " 200 " + std::to_string(prompt.size() + head) + "+";
  EXPECT_TRUE(lines[0].find(second) != std::string::npos || lines[1].find(second) != std::string::npos)
      << second << "\n"
      << lines[0] << "\n"
      << lines[1];
}

TEST(RemoteBackend, ReasoningIsSplitByTokenIdAsLocally) {
  Running server(backend_engine());
  const Engine& engine = backend_engine();
  const auto prompt = thinking_prompt(engine.tokenizer());
  GenerationOptions options = thinking_options(4, 30);
  // A bias on </think> closes the block after some reasoning: the first
  // bias (of a few) with which the local model does.
  ModelRunner runner(engine.model());
  GenerationResult local;
  for (float bias : {20.0f, 30.0f, 35.0f, 40.0f, 45.0f, 50.0f}) {
    options.logit_bias = {{token::kThinkEnd, bias}};
    local = generate(runner, engine.tokenizer(), prompt, options);
    if (local.thinking_state == ThinkingState::Complete && !local.reasoning.empty()) break;
  }
  ASSERT_EQ(local.thinking_state, ThinkingState::Complete);
  ASSERT_FALSE(local.reasoning.empty());
  const GenerationResult remote = RemoteBackend({.url = server.url()}).generate(engine.tokenizer(), prompt, options);
  EXPECT_EQ(remote.ids, local.ids);
  EXPECT_EQ(remote.reasoning, local.reasoning);
  EXPECT_EQ(remote.content, local.content);
  EXPECT_EQ(remote.thinking_state, local.thinking_state);
  EXPECT_EQ(remote.usage.reasoning_tokens, local.usage.reasoning_tokens);
}

TEST(RemoteCli, TheApiKeyIsSentAsABearerToken) {
  ServerOptions o;
  o.api_key = "s3cret-key";
  Running server(backend_engine(), o);
  const Json local = generate({"--ctx", "512"});
  expect_same_reply(local, generate({"--endpoint", server.url(), "--api-key", "s3cret-key"}));
  expect_same_reply(local, generate({"--endpoint", server.url()}, {"QWEN3_API_KEY=s3cret-key"}));

  for (const auto& key : std::vector<std::string>{"", "wrong-key"}) {
    std::vector<std::string> args = {"generate", "--model",    test::fixture_arg(), "--prompt",
                                     "Hi",       "--endpoint", server.url()};
    if (!key.empty()) args.insert(args.end(), {"--api-key", key});
    const auto r = run_qwen3(args);
    EXPECT_TRUE(is_one_line_error(r, "HTTP 401")) << r.status << " " << r.err;
    EXPECT_NE(r.err.find("api_key"), std::string::npos) << r.err;
    if (!key.empty()) EXPECT_EQ(r.err.find(key), std::string::npos) << r.err;
  }
}

TEST(RemoteCli, ConfigShowNeverPrintsTheKey) {
  for (const std::vector<std::string>& format : {std::vector<std::string>{}, std::vector<std::string>{"--json"}}) {
    std::vector<std::string> args = {"config", "show", "--api-key", "s3cret-key"};
    args.insert(args.end(), format.begin(), format.end());
    const auto r = run_qwen3(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.find("s3cret-key"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("api_key"), std::string::npos) << r.out;
    std::vector<std::string> env_args = {"config", "show"};
    env_args.insert(env_args.end(), format.begin(), format.end());
    const auto e = run_qwen3(env_args, "", {"QWEN3_API_KEY=s3cret-key"});
    EXPECT_EQ(e.out.find("s3cret-key"), std::string::npos) << e.out;
    EXPECT_NE(e.out.find("QWEN3_API_KEY"), std::string::npos) << e.out;
  }
}

TEST(RemoteCli, AnUnreachableEndpointIsAOneLineError) {
  // A port nothing listens on: bound, then closed.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  const auto r = run_qwen3({"generate", "--model", test::fixture_arg(), "--prompt", "Hi", "--endpoint",
                            "http://127.0.0.1:" + std::to_string(port), "--api-key", "s3cret-key"});
  EXPECT_TRUE(is_one_line_error(r, "cannot reach the endpoint http://127.0.0.1:" + std::to_string(port) + "/v1"))
      << r.err;
  EXPECT_EQ(r.err.find("s3cret-key"), std::string::npos) << r.err;
}

TEST(RemoteCli, AMalformedUrlIsAOneLineErrorNamingTheFlag) {
  for (const char* url : {"htp://x", "127.0.0.1:8000", "http://", "http://:8000/v1", "http://a b"}) {
    const auto r = run_qwen3({"generate", "--model", test::fixture_arg(), "--prompt", "Hi", "--endpoint", url});
    EXPECT_TRUE(is_one_line_error(r, "--endpoint")) << url << ": " << r.err;
    EXPECT_NE(r.err.find("http://HOST[:PORT][/v1]"), std::string::npos) << r.err;
  }
  const auto r =
      run_qwen3({"generate", "--model", test::fixture_arg(), "--prompt", "Hi"}, "", {"QWEN3_ENDPOINT=ftp://x"});
  EXPECT_TRUE(is_one_line_error(r, "QWEN3_ENDPOINT")) << r.err;
}

TEST(RemoteCli, AnUnknownEndpointModelNamesTheServedOnes) {
  Running server(backend_engine());
  const auto r = run_qwen3({"generate", "--model", test::fixture_arg(), "--prompt", "Hi", "--endpoint", server.url(),
                            "--endpoint-model", "nope"});
  EXPECT_TRUE(is_one_line_error(r, "endpoint_model = \"nope\"")) << r.err;
  EXPECT_NE(r.err.find("tiny-qwen3-a"), std::string::npos) << r.err;
}

// `qwen3 serve --endpoint`: a front with the same API, generating on another server.
TEST(RemoteServe, AFrontAnswersAsTheServerItFronts) {
  Running backend(backend_engine());
  const Engine front_engine(front_settings(backend.url()));
  ASSERT_NE(front_engine.remote(), nullptr);
  EXPECT_EQ(front_engine.remote()->context_length(), 512);
  Running front(front_engine);

  const Json body{
      {"messages", {{{"role", "user"}, {"content", "What is a prime number?"}}}}, {"max_tokens", 24}, {"seed", 13}};
  httplib::Client direct("127.0.0.1", backend.port()), fronted("127.0.0.1", front.port());
  direct.set_read_timeout(60);
  fronted.set_read_timeout(60);
  for (bool think : {true, false}) {
    Json b = body;
    b["chat_template_kwargs"] = {{"enable_thinking", think}};
    const auto d = direct.Post("/v1/chat/completions", b.dump(), "application/json");
    const auto f = fronted.Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(d && f);
    ASSERT_EQ(f->status, 200) << f->body;
    const Json dj = Json::parse(d->body), fj = Json::parse(f->body);
    EXPECT_EQ(fj["choices"][0]["message"], dj["choices"][0]["message"]);
    EXPECT_EQ(fj["choices"][0]["finish_reason"], dj["choices"][0]["finish_reason"]);
    EXPECT_EQ(fj["usage"], dj["usage"]);
  }
  // The Ollama API through the front too.
  const Json ob{{"model", "x"},
                {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                {"stream", false},
                {"options", {{"seed", 2}, {"num_predict", 10}}}};
  const auto od = direct.Post("/api/chat", ob.dump(), "application/json");
  const auto of = fronted.Post("/api/chat", ob.dump(), "application/json");
  ASSERT_TRUE(od && of);
  ASSERT_EQ(of->status, 200) << of->body;
  EXPECT_EQ(Json::parse(of->body)["message"], Json::parse(od->body)["message"]);
  // The front names the model the endpoint serves.
  const auto models = fronted.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(Json::parse(models->body)["data"][0]["id"], "tiny-qwen3-a");
}

// A server that returns text and no ids (here: a front, which has none; as
// SGLang's and llama-server's completions): the text is re-tokenized, and
// the reasoning and answer are the same.
TEST(RemoteServe, TextWithoutIdsIsSplitTheSame) {
  Running backend(backend_engine());
  const Engine front_engine(front_settings(backend.url()));
  Running front(front_engine);

  const Engine& engine = backend_engine();
  const auto prompt = thinking_prompt(engine.tokenizer());
  GenerationOptions options = thinking_options(4, 30);
  options.logit_bias = {{token::kThinkEnd, 40.0f}};
  const GenerationResult direct = RemoteBackend({.url = backend.url()}).generate(engine.tokenizer(), prompt, options);
  const GenerationResult text = RemoteBackend({.url = front.url()}).generate(engine.tokenizer(), prompt, options);
  EXPECT_EQ(text.reasoning, direct.reasoning);
  EXPECT_EQ(text.content, direct.content);
  EXPECT_EQ(text.thinking_state, direct.thinking_state);
  EXPECT_EQ(engine.tokenizer().decode(text.ids), engine.tokenizer().decode(direct.ids));
}

TEST(RemoteCli, ServeWithAnEndpointStartsAsAFront) {
  Running backend(backend_engine());
  // `qwen3 serve --endpoint URL --port P` in a child, stopped by SIGTERM.
  const std::string log = (std::filesystem::temp_directory_path() / "qwen3-front.log").string();
  const std::string cmd = test::shell_quote(test::qwen3_bin().string()) + " serve --model " +
                          test::shell_quote(test::fixture_arg()) + " --endpoint " + backend.url() +
                          " --port 0 > /dev/null 2> " + test::shell_quote(log) + " & echo $!";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  long pid = 0;
  ASSERT_EQ(std::fscanf(p, "%ld", &pid), 1);
  ::pclose(p);
  std::string text;
  for (int i = 0; i < 100 && text.find("listening") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream in(log);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  ::kill(static_cast<pid_t>(pid), SIGTERM);
  EXPECT_NE(text.find("a front for " + backend.url() + "/v1, model tiny-qwen3-a"), std::string::npos) << text;
  for (int i = 0; i < 100 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace qwen3
