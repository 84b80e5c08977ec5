// The rendered golden prompts, tokenized, give exactly the vectors' ids: the
// template and the tokenizer together produce what the model was trained on.
#include <gtest/gtest.h>

#include "common/file.h"
#include "common/test_paths.h"
#include "qwen3/chat.h"
#include "qwen3/tokenizer.h"

namespace qwen3 {
namespace {

TEST(GoldenChatTemplate, RenderedPromptsTokenizeToTheVectorIds) {
  const auto golden = OrderedJson::parse(read_file(test::shared_dir() / "golden" / "chat_template_vectors.json"));
  const Tokenizer tokenizer = Tokenizer::load(test::tokenizer_dir());
  const ChatTemplate tmpl = ChatTemplate::from_tokenizer_config(test::tokenizer_dir());
  int checked = 0;
  for (const auto& v : golden.at("vectors")) {
    SCOPED_TRACE(v.at("name").get<std::string>());
    const std::string prompt = tmpl.render(chat_request_from_json(v));
    EXPECT_EQ(tokenizer.encode(prompt), v.at("ids").get<std::vector<TokenId>>());
    ++checked;
  }
  EXPECT_EQ(checked, 32);
}

}  // namespace
}  // namespace qwen3
