#include <gtest/gtest.h>

#include "server/tool_calls.h"

namespace qwen3::server {
namespace {

// Feeds `text` in pieces of `n` characters; returns all text and calls.
ToolCallStream::Output feed(const std::string& text, std::size_t n) {
  ToolCallStream s;
  ToolCallStream::Output all;
  auto add = [&](ToolCallStream::Output o) {
    all.text += o.text;
    for (auto& c : o.calls) all.calls.push_back(std::move(c));
  };
  for (std::size_t i = 0; i < text.size(); i += n) add(s.push(text.substr(i, n)));
  add(s.finish());
  return all;
}

TEST(ToolCalls, CallsAreCutOutOfTheAnswerAtAnyPieceSize) {
  const std::string answer =
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"time\", \"arguments\": \"{}\"}\n</tool_call>";
  for (std::size_t n : {1, 2, 5, 13, 1000}) {
    const auto out = feed(answer, n);
    EXPECT_EQ(out.text, "Let me check.") << n;
    ASSERT_EQ(out.calls.size(), 2u) << n;
    EXPECT_EQ(out.calls[0].name, "get_weather");
    EXPECT_EQ(out.calls[0].arguments, "{\"city\":\"Paris\"}");
    EXPECT_EQ(out.calls[1].name, "time");
    EXPECT_EQ(out.calls[1].arguments, "{}");
  }
}

TEST(ToolCalls, TextWithoutCallsIsUnchanged) {
  for (std::size_t n : {1, 3, 100}) {
    EXPECT_EQ(feed("a < b and <tool is not a tag", n).text, "a < b and <tool is not a tag");
    EXPECT_EQ(feed("line one\n\nline two", n).text, "line one\n\nline two");
  }
}

TEST(ToolCalls, ABlockThatIsNotACallStaysText) {
  EXPECT_EQ(feed("<tool_call>not json</tool_call>", 4).text, "<tool_call>not json</tool_call>");
  const auto out = feed("x <tool_call>{\"name\": \"f\"", 3);  // never closed
  EXPECT_EQ(out.text, "x <tool_call>{\"name\": \"f\"");
  EXPECT_TRUE(out.calls.empty());
}

}  // namespace
}  // namespace qwen3::server
