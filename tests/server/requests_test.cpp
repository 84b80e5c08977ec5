// Request bodies -> options: one more layer of the options model, the
// engine's mode and preset decisions, and a 400 naming the field for every
// bad value.
#include <gtest/gtest.h>

#include "qwen3/vocab.h"
#include "server/requests.h"
#include "server/server_fixture.h"

namespace qwen3::server {
namespace {

const Limits kLimits{16, 512};

Prepared chat(const std::string& body, const Limits& limits = kLimits) {
  const Engine& e = test::fixture_engine();
  return prepare_chat(e, server_defaults(e.settings()), parse_body(body), limits);
}

// The ApiError a body gets.
ApiError chat_error(const std::string& body, const Limits& limits = kLimits) {
  try {
    chat(body, limits);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << body;
  return ApiError(0, "");
}

const std::string kHi = R"("messages": [{"role": "user", "content": "Hi"}])";

TEST(ChatRequest, PresetsPerModeUnlessTheRequestSetsAValue) {
  auto p = chat("{" + kHi + "}");
  EXPECT_EQ(p.mode, SamplingMode::Thinking);
  EXPECT_FLOAT_EQ(p.options.sampling.temperature, 0.6f);
  EXPECT_FLOAT_EQ(p.options.sampling.top_p, 0.95f);
  p = chat("{" + kHi + R"(, "chat_template_kwargs": {"enable_thinking": false}})");
  EXPECT_EQ(p.mode, SamplingMode::NonThinking);
  EXPECT_FLOAT_EQ(p.options.sampling.temperature, 0.7f);
  EXPECT_FLOAT_EQ(p.options.sampling.top_p, 0.8f);
  p = chat("{" + kHi + R"(, "reasoning_effort": "none", "temperature": 0.1, "top_k": -1, "seed": 5, "max_tokens": 7})");
  EXPECT_EQ(p.mode, SamplingMode::NonThinking);
  EXPECT_FLOAT_EQ(p.options.sampling.temperature, 0.1f);
  EXPECT_EQ(p.options.sampling.top_k, 0);
  EXPECT_EQ(p.options.sampling.seed, 5u);
  EXPECT_EQ(p.options.sampling.max_new_tokens, 7);
}

TEST(ChatRequest, NonThinkingPromptEndsWithTheEmptyThinkBlock) {
  const auto& tok = test::fixture_engine().tokenizer();
  const auto p = chat("{" + kHi + R"(, "reasoning_effort": "none"})");
  const std::string text = tok.decode(p.prompt);
  EXPECT_NE(text.rfind("<think>\n\n</think>\n\n"), std::string::npos) << text;
  const auto q = chat("{" + kHi + "}");
  EXPECT_EQ(tok.decode(q.prompt).find("<think>"), std::string::npos);
}

TEST(ChatRequest, ContentPartsSoftSwitchesAndTheBudget) {
  auto p = chat(R"({"messages": [{"role": "developer", "content": "Be brief."},
                    {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "/no_think"}]}]})");
  EXPECT_EQ(p.mode, SamplingMode::NonThinking);  // the soft switch, through the engine's rule
  p = chat("{" + kHi + R"(, "thinking_budget": 0})");
  EXPECT_EQ(p.mode, SamplingMode::NonThinking);
  p = chat("{" + kHi + R"(, "thinking_budget": 12})");
  ASSERT_TRUE(p.options.thinking_budget);
  EXPECT_EQ(*p.options.thinking_budget, 12);
}

TEST(ChatRequest, EnglishOnlyPerRequest) {
  auto p = chat("{" + kHi + R"(, "english_only": "ascii"})");
  ASSERT_NE(p.options.allowed, nullptr);
  EXPECT_LT(p.options.allowed->count(), 151669);
  for (TokenId cjk : test::fixture_engine().tokenizer().encode("准确")) EXPECT_FALSE(p.options.allowed->allows(cjk));
  EXPECT_FALSE(p.options.allowed->allows(151657));  // <tool_call>
  p = chat("{" + kHi + R"(, "english_only": false})");
  EXPECT_EQ(p.options.allowed, nullptr);
  p = chat(
      "{" + kHi +
      R"(, "english_only": "latin", "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]})");
  ASSERT_NE(p.options.allowed, nullptr);
  EXPECT_TRUE(p.options.allowed->allows(151657));  // tools: the tool-call tags stay allowed
  EXPECT_TRUE(p.tools);
}

TEST(ChatRequest, WrongTypesAndRangesNameTheField) {
  struct Case {
    std::string extra, param, fragment;
  };
  const Case cases[] = {
      {R"("temperature": "hot")", "temperature", "expected a number"},
      {R"("temperature": -1)", "temperature", "out of range"},
      {R"("top_p": 1.5)", "top_p", "top_p = 1.5 is out of range"},
      {R"("top_k": 2.5)", "top_k", "expected an integer"},
      {R"("max_tokens": 0)", "max_tokens", "max_tokens: max_new_tokens = 0"},
      {R"("max_completion_tokens": "x")", "max_completion_tokens", "expected an integer"},
      {R"("seed": -3)", "seed", "expected an integer from 0"},
      {R"("stop": [1])", "stop", "a string or an array of strings"},
      {R"("presence_penalty": 3)", "presence_penalty", "out of range"},
      {R"("n": 2)", "n", "only one choice"},
      {R"("stream": "yes")", "stream", "true or false"},
      {R"("logprobs": true, "top_logprobs": 50)", "top_logprobs", "0 to 20"},
      {R"("top_logprobs": 2)", "top_logprobs", "requires logprobs"},
      {R"("logit_bias": {"abc": 1})", "logit_bias.abc", "token id"},
      {R"("logit_bias": {"5": 300})", "logit_bias.5", "-100 to 100"},
      {R"("reasoning_effort": "max")", "reasoning_effort", "expected \"none\""},
      {R"("chat_template_kwargs": {"enable_thinking": 1})", "chat_template_kwargs.enable_thinking", "true or false"},
      {R"("english_only": "klingon")", "english_only", "english_only"},
      {R"("thinking_budget": -5)", "thinking_budget", "out of range"},
      {R"("repetition_guard": 1)", "repetition_guard", "out of range"},
  };
  for (const Case& c : cases) {
    const ApiError e = chat_error("{" + kHi + ", " + c.extra + "}");
    EXPECT_EQ(e.status, 400) << c.extra;
    EXPECT_EQ(e.param, c.param) << c.extra << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(c.fragment), std::string::npos) << c.extra << ": " << e.what();
  }
}

TEST(ChatRequest, MessagesAreChecked) {
  EXPECT_EQ(chat_error("{}").param, "messages");
  EXPECT_EQ(chat_error(R"({"messages": []})").param, "messages");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "robot", "content": "x"}]})").param, "messages[0].role");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user"}]})").param, "messages[0].content");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})").param,
            "messages[0].content[0].type");
  std::string many = R"({"messages": [)";
  for (int i = 0; i < 17; ++i) many += std::string(i ? "," : "") + R"({"role": "user", "content": "x"})";
  const ApiError e = chat_error(many + "]}");
  EXPECT_EQ(e.param, "messages");
  EXPECT_NE(std::string(e.what()).find("at most 16"), std::string::npos);
  EXPECT_EQ(chat_error("[1, 2]").status, 400);
  EXPECT_EQ(chat_error("{nope").status, 400);
}

TEST(ChatRequest, UnknownFieldsAreIgnored) {
  EXPECT_NO_THROW(chat("{" + kHi + R"(, "user": "me", "metadata": {"a": 1}, "parallel_tool_calls": true})"));
}

TEST(ChatRequest, TheContextCheckNamesBothNumbers) {
  const Limits small{16, 40};
  const ApiError e = chat_error("{" + kHi + R"(, "max_tokens": 100})", small);
  EXPECT_EQ(e.param, "max_tokens");
  const std::string m = e.what();
  EXPECT_NE(m.find("(9 tokens)"), std::string::npos) << m;
  EXPECT_NE(m.find("max_tokens (100)"), std::string::npos) << m;
  EXPECT_NE(m.find("context of 40"), std::string::npos) << m;
  // Without max_tokens the reply is limited to what is left.
  EXPECT_EQ(chat("{" + kHi + "}", small).options.sampling.max_new_tokens, 31);
}

TEST(ChatRequest, StopSeedLogprobsLogitBias) {
  const auto p =
      chat("{" + kHi + R"(, "stop": "END", "logprobs": true, "top_logprobs": 3, "logit_bias": {"42": -100}})");
  EXPECT_EQ(p.options.stop, std::vector<std::string>{"END"});
  ASSERT_TRUE(p.options.logprobs);
  EXPECT_EQ(*p.options.logprobs, 3);
  ASSERT_EQ(p.options.logit_bias.size(), 1u);
  EXPECT_EQ(p.options.logit_bias[0].first, 42);
  EXPECT_EQ(p.options.repetition_repeats, 8);  // the server's default guard
}

TEST(CompletionRequest, TextOrIdsAndOpenAIsDefaultLength) {
  const Engine& e = test::fixture_engine();
  const auto d = server_defaults(e.settings());
  auto p = prepare_completion(e, d, parse_body(R"({"prompt": "Once upon"})"), kLimits);
  EXPECT_TRUE(p.raw && p.options.raw_text);
  EXPECT_EQ(p.prompt, e.tokenizer().encode("Once upon"));
  EXPECT_EQ(p.options.sampling.max_new_tokens, 16);
  p = prepare_completion(e, d, parse_body(R"({"prompt": [[1, 2, 3]], "max_tokens": 4})"), kLimits);
  EXPECT_EQ(p.prompt, (std::vector<TokenId>{1, 2, 3}));
  try {
    prepare_completion(e, d, parse_body(R"({"prompt": [1, -2]})"), kLimits);
    FAIL();
  } catch (const ApiError& err) {
    EXPECT_EQ(err.param, "prompt[1]");
  }
}

TEST(OllamaRequest, OptionsThinkAndStreamDefault) {
  const Engine& e = test::fixture_engine();
  const auto d = server_defaults(e.settings());
  auto p = prepare_ollama_chat(
      e, d, parse_body(R"({"model": "m", "messages": [{"role": "user", "content": "Hi"}], "think": false,
                     "options": {"num_predict": 5, "num_ctx": 4096, "temperature": 0.2, "top_k": 3,
                                 "repeat_penalty": 1.1, "seed": 9}})"),
      kLimits);
  EXPECT_TRUE(p.stream);
  EXPECT_EQ(p.mode, SamplingMode::NonThinking);
  EXPECT_EQ(p.options.sampling.max_new_tokens, 5);
  EXPECT_FLOAT_EQ(p.options.sampling.temperature, 0.2f);
  EXPECT_EQ(p.options.sampling.top_k, 3);
  EXPECT_FLOAT_EQ(p.options.sampling.repetition_penalty, 1.1f);
  EXPECT_EQ(p.options.sampling.seed, 9u);
  try {
    prepare_ollama_chat(
        e, d, parse_body(R"({"messages": [{"role": "user", "content": "Hi"}], "options": {"top_p": 7}})"), kLimits);
    FAIL();
  } catch (const ApiError& err) {
    EXPECT_EQ(err.param, "options.top_p");
  }
  p = prepare_ollama_generate(e, d, parse_body(R"({"prompt": "abc", "raw": true, "stream": false})"), kLimits);
  EXPECT_FALSE(p.stream);
  EXPECT_TRUE(p.options.raw_text);
  EXPECT_EQ(p.prompt, e.tokenizer().encode("abc"));
}

// JSON mode and schemas (response_format, Ollama's format) would need
// constrained decoding: refused by name, not answered with free text.
TEST(Requests, StructuredOutputIsRefusedByName) {
  EXPECT_EQ(chat_error("{" + kHi + R"(, "response_format": {"type": "json_object"}})").param, "response_format");
  EXPECT_EQ(chat("{" + kHi + R"(, "response_format": {"type": "text"}})").prompt, chat("{" + kHi + "}").prompt);
  const Engine& e = test::fixture_engine();
  const auto d = server_defaults(e.settings());
  for (const char* format : {R"("json")", R"({"type": "object"})"}) {
    try {
      prepare_ollama_generate(e, d, parse_body(std::string(R"({"prompt": "a", "format": )") + format + "}"), kLimits);
      FAIL() << format;
    } catch (const ApiError& err) {
      EXPECT_EQ(err.param, "format");
      EXPECT_EQ(err.status, 400);
    }
  }
}

// options.num_ctx is the request's context window: it caps what the answer
// may use, and a prompt plus num_predict beyond it is a 400 naming both.
TEST(OllamaRequest, NumCtxCapsTheContext) {
  const Engine& e = test::fixture_engine();
  const auto d = server_defaults(e.settings());
  const std::string hi = R"("messages": [{"role": "user", "content": "Hi"}])";
  const auto p = prepare_ollama_chat(e, d, parse_body("{" + hi + R"(, "options": {"num_ctx": 64}})"), kLimits);
  EXPECT_EQ(static_cast<int>(p.prompt.size()) + p.options.sampling.max_new_tokens, 64);
  const auto wide = prepare_ollama_chat(e, d, parse_body("{" + hi + "}"), kLimits);
  EXPECT_EQ(static_cast<int>(wide.prompt.size()) + wide.options.sampling.max_new_tokens, kLimits.context);
  try {
    prepare_ollama_chat(e, d, parse_body("{" + hi + R"(, "options": {"num_ctx": 64, "num_predict": 100}})"), kLimits);
    FAIL();
  } catch (const ApiError& err) {
    EXPECT_EQ(err.param, "options.num_predict");
    EXPECT_NE(std::string(err.what()).find("context of 64 tokens"), std::string::npos) << err.what();
  }
  try {
    prepare_ollama_generate(e, d, parse_body(R"({"prompt": "a b c d e f g h", "options": {"num_ctx": 3}})"), kLimits);
    FAIL();
  } catch (const ApiError& err) {
    EXPECT_EQ(err.param, "prompt");
  }
}

}  // namespace
}  // namespace qwen3::server
