#include "common/utf8.h"

#include <gtest/gtest.h>

using qwen3::is_valid_utf8;
using qwen3::utf8_valid_prefix;

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo"));              // é
  EXPECT_TRUE(is_valid_utf8("\xE4\xBD\xA0\xE5\xA5\xBD"));  // 你好
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));          // 😀
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));          // U+10FFFF
}

TEST(Utf8, RejectsMalformedSequences) {
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE4\xBD"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Utf8, PrefixStopsAtFirstBadByte) {
  EXPECT_EQ(utf8_valid_prefix("ab\xE4\xBD"), 2u);
  EXPECT_EQ(utf8_valid_prefix("a\xC3\xA9"
                              "b\x80"),
            4u);
}

TEST(Utf8, OneLineEscapesControlsAndBadBytesOnly) {
  using qwen3::one_line;
  EXPECT_EQ(one_line("plain h\xC3\xA9llo \xE4\xBD\xA0"), "plain h\xC3\xA9llo \xE4\xBD\xA0");
  EXPECT_EQ(one_line("a\nb\r\tc"), "a\\nb\\r\\tc");
  EXPECT_EQ(one_line(std::string("x\0y\x7F", 4)), "x\\x00y\\x7F");
  EXPECT_EQ(one_line("\xFF\xC3(\xE4\xBD"), "\\xFF\\xC3(\\xE4\\xBD");
  const std::string escaped = one_line("line one\nline two\xC0");
  EXPECT_EQ(escaped.find('\n'), std::string::npos);
  EXPECT_TRUE(qwen3::is_valid_utf8(escaped));
}
