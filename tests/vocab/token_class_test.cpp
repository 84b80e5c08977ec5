// The classification rules of include/qwen3/vocab.h on hand-made byte strings.
#include <gtest/gtest.h>

#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3::vocab {
namespace {

TokenClass c(std::string_view s) { return classify_bytes(s); }

TEST(ClassifyBytes, AsciiClasses) {
  EXPECT_EQ(c(" "), TokenClass::kWhitespace);
  EXPECT_EQ(c("\n\n"), TokenClass::kWhitespace);
  EXPECT_EQ(c(" \t\r\n\v\f"), TokenClass::kWhitespace);
  EXPECT_EQ(c("the"), TokenClass::kAsciiLetters);
  EXPECT_EQ(c(" The"), TokenClass::kAsciiLetters);
  EXPECT_EQ(c("  the"), TokenClass::kAsciiMixed) << "only one leading space belongs to a word";
  EXPECT_EQ(c("\nthe"), TokenClass::kAsciiMixed);
  EXPECT_EQ(c("7"), TokenClass::kAsciiDigits);
  EXPECT_EQ(c(" 2024"), TokenClass::kAsciiDigits);
  EXPECT_EQ(c("."), TokenClass::kAsciiPunct);
  EXPECT_EQ(c(" {\n"), TokenClass::kAsciiPunct);
  EXPECT_EQ(c("'s"), TokenClass::kAsciiMixed);
  EXPECT_EQ(c("x2"), TokenClass::kAsciiMixed);
  EXPECT_EQ(c(" 1."), TokenClass::kAsciiMixed);
  EXPECT_EQ(c("a b"), TokenClass::kAsciiMixed);
}

TEST(ClassifyBytes, ControlBytesOutrankEverythingAscii) {
  EXPECT_EQ(c(std::string(1, '\0')), TokenClass::kAsciiControl);
  EXPECT_EQ(c("\x1b"), TokenClass::kAsciiControl);
  EXPECT_EQ(c("\x7f"), TokenClass::kAsciiControl);
  EXPECT_EQ(c("ab\x01"), TokenClass::kAsciiControl);
}

TEST(ClassifyBytes, PartialUtf8) {
  EXPECT_EQ(c("\xC3"), TokenClass::kPartialUtf8);          // lead byte of é alone
  EXPECT_EQ(c("\xA9"), TokenClass::kPartialUtf8);          // continuation byte alone
  EXPECT_EQ(c(" caf\xC3"), TokenClass::kPartialUtf8);      // valid prefix, cut tail
  EXPECT_EQ(c("\xE4\xB8"), TokenClass::kPartialUtf8);      // 2 of 3 bytes of 中
  EXPECT_EQ(c("\xFF"), TokenClass::kPartialUtf8);          // never valid
  EXPECT_EQ(c("\xED\xA0\x80"), TokenClass::kPartialUtf8);  // surrogate
}

TEST(ClassifyBytes, ScriptsOfLetters) {
  EXPECT_EQ(c("é"), TokenClass::kLatin);
  EXPECT_EQ(c(" café"), TokenClass::kLatin);
  EXPECT_EQ(c("straße"), TokenClass::kLatin);
  EXPECT_EQ(c(" привет"), TokenClass::kCyrillic);
  EXPECT_EQ(c("αβ"), TokenClass::kGreek);
  EXPECT_EQ(c("مرحبا"), TokenClass::kArabic);
  EXPECT_EQ(c("שלום"), TokenClass::kHebrew);
  EXPECT_EQ(c("नमस्ते"), TokenClass::kDevanagari);  // with combining vowel signs (Inherited/Mn)
  EXPECT_EQ(c("สวัสดี"), TokenClass::kThai);
  EXPECT_EQ(c("中文"), TokenClass::kHan);
  EXPECT_EQ(c("ひらがな"), TokenClass::kKana);
  EXPECT_EQ(c("カタカナ"), TokenClass::kKana);
  EXPECT_EQ(c("한국어"), TokenClass::kHangul);
  EXPECT_EQ(c("ქართული"), TokenClass::kOtherScript);  // Georgian
  EXPECT_EQ(c("հայ"), TokenClass::kOtherScript);      // Armenian
}

TEST(ClassifyBytes, MixedScriptPrecedence) {
  EXPECT_EQ(c("aп"), TokenClass::kCyrillic) << "any non-Latin script outranks Latin";
  EXPECT_EQ(c("abcdeп"), TokenClass::kCyrillic);
  EXPECT_EQ(c("é中"), TokenClass::kHan);
  EXPECT_EQ(c("日本語の"), TokenClass::kHan) << "most code points wins";
  EXPECT_EQ(c("の日本語のの"), TokenClass::kKana);
  EXPECT_EQ(c("の日"), TokenClass::kKana) << "ties go to the script seen first";
  EXPECT_EQ(c("日の"), TokenClass::kHan);
  EXPECT_EQ(c("，中"), TokenClass::kHan) << "Common punctuation is neutral";
  EXPECT_EQ(c(" 2024年"), TokenClass::kHan);
}

TEST(ClassifyBytes, NoLetters) {
  EXPECT_EQ(c("—"), TokenClass::kSymbol);
  EXPECT_EQ(c(" “"), TokenClass::kSymbol);
  EXPECT_EQ(c("。"), TokenClass::kSymbol);
  EXPECT_EQ(c("\xC2\xA0"), TokenClass::kSymbol);  // no-break space
  EXPECT_EQ(c("→"), TokenClass::kSymbol);
  EXPECT_EQ(c("😀"), TokenClass::kEmoji);
  EXPECT_EQ(c("❤️"), TokenClass::kEmoji);
  EXPECT_EQ(c("©"), TokenClass::kEmoji) << "Unicode marks © Extended_Pictographic";
}

TEST(ClassNames, RoundTripAndAreUnique) {
  for (int k = 0; k < kClassCount; ++k) {
    auto tc = static_cast<TokenClass>(k);
    auto name = class_name(tc);
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(class_from_name(name), tc) << name;
  }
  EXPECT_EQ(class_from_name("klingon"), std::nullopt);
  EXPECT_THROW(class_name(static_cast<TokenClass>(kClassCount)), Error);
}

}  // namespace
}  // namespace qwen3::vocab
