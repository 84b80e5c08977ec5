// The chat template a GGUF carries (tokenizer.chat_template) is recognised as
// the official Qwen3 template; anything else is refused naming the file and
// the setting that selects the built-in official template.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/file.h"
#include "common/test_paths.h"
#include "qwen3/chat.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;

TEST(GgufTemplate, FixtureTemplatesAreTheOfficialOne) {
  int n = 0;
  for (const auto& dir : fs::directory_iterator(test::shared_dir() / "fixtures"))
    if (dir.is_directory())
      for (const auto& f : fs::directory_iterator(dir.path()))
        if (f.path().extension() == ".gguf") {
          EXPECT_EQ(ChatTemplate::from_tokenizer_config(f.path()).sha256(), ChatTemplate::kQwen3Sha256) << f.path();
          ++n;
        }
  if (n == 0) GTEST_SKIP() << "no GGUF fixture";
}

TEST(GgufTemplate, AnotherTemplateIsRefusedWithTheWayOut) {
  fs::path gguf;
  for (const auto& dir : fs::directory_iterator(test::shared_dir() / "fixtures"))
    if (dir.is_directory())
      for (const auto& f : fs::directory_iterator(dir.path()))
        if (f.path().extension() == ".gguf") gguf = f.path();
  if (gguf.empty()) GTEST_SKIP() << "no GGUF fixture";
  // Change one byte inside the template text (its length stays).
  std::string bytes = read_file(gguf);
  const std::size_t at = bytes.find("<|im_start|>system");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 13] = 'S';
  const fs::path tmp = fs::temp_directory_path() / ("qwen3-template-" + std::to_string(::getpid()) + ".gguf");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  try {
    ChatTemplate::from_tokenizer_config(tmp);
    ADD_FAILURE() << "accepted a changed template";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(tmp.string() + ": metadata tokenizer.chat_template"), std::string::npos) << m;
    EXPECT_NE(m.find("chat_template = official"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  fs::remove(tmp);
}

}  // namespace
}  // namespace qwen3
