// Requests in JSON: what is accepted, and one clear error per malformed field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "qwen3/chat.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

using ::testing::HasSubstr;

std::string error_of(std::string_view json) {
  try {
    parse_chat_request(json, "req.json");
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "error must be one line: " << what;
    return what;
  }
  ADD_FAILURE() << "no error for " << json;
  return {};
}

TEST(ChatRequest, ReadsEveryField) {
  const ChatRequest r = parse_chat_request(R"({
    "messages": [
      {"role": "system", "content": "S"},
      {"role": "user", "content": "U"},
      {"role": "assistant", "content": null, "reasoning_content": "R",
       "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"b": 1, "a": 2}}},
                      {"name": "g", "arguments": "{\"x\": 1}"}]},
      {"role": "tool", "tool_call_id": "c1", "content": "T"}],
    "tools": [{"type": "function", "function": {"name": "f"}}],
    "add_generation_prompt": true, "enable_thinking": false, "model": "ignored"})");
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[0].role, Role::System);
  EXPECT_EQ(r.messages[1].content, "U");
  const ChatMessage& a = r.messages[2];
  EXPECT_EQ(a.role, Role::Assistant);
  EXPECT_EQ(a.content, "");  // null content reads as empty
  EXPECT_EQ(a.reasoning_content, std::optional<std::string>("R"));
  ASSERT_EQ(a.tool_calls.size(), 2u);
  EXPECT_EQ(a.tool_calls[0].id, "c1");
  EXPECT_EQ(a.tool_calls[0].name, "f");
  EXPECT_EQ(a.tool_calls[0].arguments.dump(), R"({"b":1,"a":2})");  // order kept
  EXPECT_EQ(a.tool_calls[1].name, "g");
  EXPECT_TRUE(a.tool_calls[1].arguments.is_string());
  EXPECT_EQ(r.messages[3].tool_call_id, "c1");
  ASSERT_TRUE(r.tools.has_value());
  EXPECT_EQ(r.tools->size(), 1u);
  EXPECT_TRUE(r.add_generation_prompt);
  EXPECT_EQ(r.enable_thinking, std::optional<bool>(false));
}

TEST(ChatRequest, DefaultsMatchHuggingFace) {
  const ChatRequest r = parse_chat_request(R"({"messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_FALSE(r.add_generation_prompt);
  EXPECT_FALSE(r.enable_thinking.has_value());  // not passed to the template
  EXPECT_FALSE(r.tools.has_value());
  EXPECT_FALSE(r.messages[0].reasoning_content.has_value());
  // Explicit nulls mean "not given".
  const ChatRequest n = parse_chat_request(
      R"({"messages": [{"role": "assistant", "content": "a", "reasoning_content": null, "tool_calls": null}],
          "tools": null, "enable_thinking": null})");
  EXPECT_FALSE(n.enable_thinking.has_value());
  EXPECT_FALSE(n.tools.has_value());
  EXPECT_FALSE(n.messages[0].reasoning_content.has_value());
  EXPECT_TRUE(n.messages[0].tool_calls.empty());
}

TEST(ChatRequest, EmptyReasoningContentIsKeptDistinctFromAbsent) {
  const ChatRequest r =
      parse_chat_request(R"({"messages": [{"role": "assistant", "content": "x", "reasoning_content": ""}]})");
  EXPECT_EQ(r.messages[0].reasoning_content, std::optional<std::string>(""));
}

TEST(ChatRequest, MalformedInputGetsOneLineNamingTheField) {
  EXPECT_THAT(error_of("{"), HasSubstr("req.json: the request is not valid JSON"));
  EXPECT_THAT(error_of("[]"), HasSubstr("must be a JSON object (got array)"));
  EXPECT_THAT(error_of("{}"), HasSubstr("req.json: messages is missing"));
  EXPECT_THAT(error_of(R"({"messages": {}})"), HasSubstr("messages must be an array (got object)"));
  EXPECT_THAT(error_of(R"({"messages": []})"), HasSubstr("messages must not be empty"));
  EXPECT_THAT(error_of(R"({"messages": ["hi"]})"), HasSubstr("messages[0] must be an object (got string)"));
  EXPECT_THAT(error_of(R"({"messages": [{"content": "x"}]})"), HasSubstr("messages[0].role is missing"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": 3, "content": "x"}]})"),
              HasSubstr("messages[0].role must be a string (got number)"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "developer", "content": "x"}]})"),
              HasSubstr("messages[0].role must be one of system, user, assistant, tool (got \"developer\")"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user"}]})"), HasSubstr("messages[0].content is missing"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": null}]})"),
              HasSubstr("messages[0].content must be a string (got null)"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]})"),
              HasSubstr("messages[0].content must be a string (got array)"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": "x", "reasoning_content": "r"}]})"),
              HasSubstr("messages[0].reasoning_content is only allowed on assistant messages"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "assistant", "content": "x", "reasoning_content": 1}]})"),
              HasSubstr("messages[0].reasoning_content must be a string"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "assistant", "content": "", "tool_calls": {}}]})"),
              HasSubstr("messages[0].tool_calls must be an array"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "assistant", "content": "", "tool_calls": [{"arguments": {}}]}]})"),
              HasSubstr("messages[0].tool_calls[0].name is missing"));
  EXPECT_THAT(
      error_of(R"({"messages": [{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f"}}]}]})"),
      HasSubstr("messages[0].tool_calls[0].function.arguments is missing"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "assistant", "content": "", "tool_calls": [{"function": 7}]}]})"),
              HasSubstr("messages[0].tool_calls[0].function must be an object"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": "x"}], "tools": {"a": 1}})"),
              HasSubstr("tools must be an array (got object)"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": "x"}], "tools": ["f"]})"),
              HasSubstr("tools[0] must be an object (got string)"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": "x"}], "add_generation_prompt": "yes"})"),
              HasSubstr("add_generation_prompt must be true or false (got string)"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": "x"}], "enable_thinking": 0})"),
              HasSubstr("enable_thinking must be true or false (got number)"));
}

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(ChatRequest, DeeplyNestedToolsAndArgumentsAreRefusedNotOverflowed) {
  // tools[0] is an object holding `depth - 1` arrays: `depth` levels in all.
  auto with_tool_depth = [](int depth) {
    return R"({"messages": [{"role": "user", "content": "x"}], "tools": [{"a": )" + nested(depth - 1) + "}]}";
  };
  EXPECT_NO_THROW(parse_chat_request(with_tool_depth(256)));
  EXPECT_THAT(error_of(with_tool_depth(257)), HasSubstr("req.json: tools[0] nests deeper than 256 levels"));
  EXPECT_THAT(error_of(with_tool_depth(1000000)), HasSubstr("tools[0] nests deeper than 256 levels"));
  EXPECT_THAT(
      error_of(R"({"messages": [{"role": "assistant", "content": "", "tool_calls": [{"name": "f", "arguments": )" +
               nested(300) + "}]}]}"),
      HasSubstr("messages[0].tool_calls[0].arguments nests deeper than 256 levels"));
  // Deep nesting in keys the template does not read is harmless.
  EXPECT_NO_THROW(
      parse_chat_request(R"({"messages": [{"role": "user", "content": "x"}], "junk": )" + nested(1000000) + "}"));
}

TEST(ChatRequest, InvalidUtf8IsRejectedWithItsOffset) {
  EXPECT_THAT(error_of("{\"messages\": [{\"role\": \"user\", \"content\": \"a\xff\"}]}"),
              HasSubstr("req.json: the request is not valid UTF-8 (bad byte at offset 44)"));
  // Overlong encoding and a lone surrogate escape are refused as well.
  EXPECT_THAT(error_of("{\"messages\": [{\"role\": \"user\", \"content\": \"\xc0\xaf\"}]}"),
              HasSubstr("not valid UTF-8"));
  EXPECT_THAT(error_of(R"({"messages": [{"role": "user", "content": "\ud800"}]})"), HasSubstr("not valid JSON"));
}

}  // namespace
}  // namespace qwen3
