// The template is recognised by its sha256; anything else is refused with an
// error naming the file, never rendered approximately.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "common/file.h"
#include "common/test_paths.h"
#include "qwen3/chat.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class TemplateRecognition : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("qwen3_chat_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name, std::ios::binary) << text; }
  std::string official_template() {
    return OrderedJson::parse(read_file(test::shared_dir() / "qwen3-tokenizer" / "tokenizer_config.json"))
        .at("chat_template")
        .get<std::string>();
  }
  std::string error_of(const fs::path& p) {
    try {
      ChatTemplate::from_tokenizer_config(p);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error for " << p;
    return {};
  }
  fs::path dir_;
};

TEST_F(TemplateRecognition, OfficialConfigByDirectoryOrFile) {
  const fs::path dir = test::shared_dir() / "qwen3-tokenizer";
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(dir).sha256(), ChatTemplate::kQwen3Sha256);
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(dir / "tokenizer_config.json").sha256(), ChatTemplate::kQwen3Sha256);
}

TEST_F(TemplateRecognition, ChatTemplateJinjaFileTakesPrecedence) {
  write("tokenizer_config.json", R"({"chat_template": "{{ messages }}"})");
  write("chat_template.jinja", official_template() + "\n");  // saved with a final newline
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(dir_).sha256(), ChatTemplate::kQwen3Sha256);
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(dir_ / "chat_template.jinja").sha256(), ChatTemplate::kQwen3Sha256);
  // Without the .jinja file the (unsupported) config template is used, and refused.
  fs::remove(dir_ / "chat_template.jinja");
  EXPECT_THAT(error_of(dir_), HasSubstr("tokenizer_config.json: chat template not supported"));
}

TEST_F(TemplateRecognition, AnyEditedTemplateIsRefusedByName) {
  std::string edited = official_template();
  edited.replace(edited.find("# Tools"), 7, "# TOOLS");
  write("tokenizer_config.json", OrderedJson{{"chat_template", edited}}.dump());
  const std::string e = error_of(dir_);
  EXPECT_THAT(e, HasSubstr((dir_ / "tokenizer_config.json").string() + ": chat template not supported (sha256 "));
  EXPECT_THAT(e, HasSubstr("refuses others rather than render them wrong"));
  EXPECT_THROW(ChatTemplate::from_source(" " + official_template(), "x"), Error);  // leading space matters
}

TEST_F(TemplateRecognition, BrokenConfigsGetOneLineErrors) {
  EXPECT_THAT(error_of(dir_), HasSubstr("cannot read"));  // no tokenizer_config.json at all
  EXPECT_THAT(error_of(dir_ / "missing.json"), HasSubstr("missing.json"));
  write("tokenizer_config.json", "{not json");
  EXPECT_THAT(error_of(dir_), HasSubstr("tokenizer_config.json: not valid JSON"));
  write("tokenizer_config.json", R"({"eos_token": "<|im_end|>"})");
  EXPECT_THAT(error_of(dir_), HasSubstr("tokenizer_config.json: no \"chat_template\" field"));
  write("tokenizer_config.json", R"({"chat_template": [{"name": "default", "template": "x"}]})");
  EXPECT_THAT(error_of(dir_), HasSubstr("\"chat_template\" must be a string (got array)"));
  write("tokenizer_config.json", "[1]");
  EXPECT_THAT(error_of(dir_), HasSubstr("no \"chat_template\" field"));
}

}  // namespace
}  // namespace qwen3
