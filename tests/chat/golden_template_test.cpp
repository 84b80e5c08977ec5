// Every golden chat-template vector renders byte-identical to the reference
// (@huggingface/jinja, cross-checked with transformers.js and Jinja2).
#include <gtest/gtest.h>

#include "common/file.h"
#include "common/test_paths.h"
#include "qwen3/chat.h"

namespace qwen3 {
namespace {

OrderedJson golden_vectors() {
  return OrderedJson::parse(read_file(test::shared_dir() / "golden" / "chat_template_vectors.json"));
}

TEST(GoldenChatTemplate, EveryVectorRendersByteIdentical) {
  const OrderedJson golden = golden_vectors();
  const auto& vectors = golden.at("vectors");
  ASSERT_EQ(vectors.size(), golden.at("header").at("count").get<std::size_t>());
  ASSERT_GE(vectors.size(), 32u);
  const ChatTemplate tmpl = ChatTemplate::from_tokenizer_config(test::shared_dir() / "qwen3-tokenizer");
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.at("name").get<std::string>());
    // The vector itself is the request: the same fields the template gets.
    const ChatRequest request = chat_request_from_json(v, v.at("name").get<std::string>());
    EXPECT_EQ(tmpl.render(request), v.at("rendered").get<std::string>());
  }
}

TEST(GoldenChatTemplate, HeaderNamesTheTemplateWeRecognise) {
  const OrderedJson golden = golden_vectors();
  EXPECT_EQ(golden.at("header").at("inputs").at("chat_template_sha256").get<std::string>(), ChatTemplate::kQwen3Sha256);
}

// An absent enable_thinking and enable_thinking=true must stay
// indistinguishable, and only false with a generation prompt adds the block.
TEST(GoldenChatTemplate, EnableThinkingOnlyFalseChangesThePrompt) {
  ChatRequest r;
  r.messages.push_back({Role::User, "Hi", std::nullopt, {}, {}});
  r.add_generation_prompt = true;
  const ChatTemplate t = ChatTemplate::qwen3();
  const std::string absent = t.render(r);
  r.enable_thinking = true;
  EXPECT_EQ(t.render(r), absent);
  r.enable_thinking = false;
  EXPECT_EQ(t.render(r), absent + "<think>\n\n</think>\n\n");
  r.add_generation_prompt = false;
  EXPECT_EQ(t.render(r), "<|im_start|>user\nHi<|im_end|>\n");
}

}  // namespace
}  // namespace qwen3
