#include "common/file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "qwen3/error.h"

namespace fs = std::filesystem;

TEST(File, ReadAndMapAgree) {
  fs::path p = fs::temp_directory_path() / "qwen3_file_test.bin";
  { std::ofstream(p, std::ios::binary) << std::string("abc\0def", 7); }
  EXPECT_EQ(qwen3::read_file(p), std::string("abc\0def", 7));
  qwen3::MappedFile m(p);
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(static_cast<char>(m.data()[4]), 'd');
  fs::remove(p);
}

TEST(File, MissingFileErrorNamesThePath) {
  try {
    qwen3::read_file("/nonexistent/qwen3/tokenizer.json");
    FAIL() << "expected an error";
  } catch (const qwen3::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/qwen3/tokenizer.json"), std::string::npos);
  }
  EXPECT_THROW(qwen3::MappedFile("/nonexistent/x.safetensors"), qwen3::Error);
}
