// Policy specs: parsing, composition with '+', code point sets, errors.
#include <gtest/gtest.h>

#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3::vocab {
namespace {

bool allows(const Policy& p, std::string_view token) { return p.allows_token(classify_bytes(token), token); }

TEST(Policy, AsciiIsPrintableAsciiTabNewlineReturn) {
  Policy p = Policy::parse("ascii");
  for (char32_t cp = 0; cp < 0x80; ++cp) {
    bool expected = (cp >= 0x20 && cp <= 0x7E) || cp == '\t' || cp == '\n' || cp == '\r';
    EXPECT_EQ(p.allows_code_point(cp), expected) << "U+" << std::hex << unsigned(cp);
  }
  EXPECT_FALSE(p.allows_code_point(0xE9));
  EXPECT_TRUE(allows(p, " the"));
  EXPECT_TRUE(allows(p, "\n\n"));
  EXPECT_FALSE(allows(p, "\v")) << "vertical tab is whitespace but not in the English set";
  EXPECT_FALSE(allows(p, " café"));
  EXPECT_FALSE(allows(p, "\x1b"));
}

TEST(Policy, LatinAddsLatin1AndTypography) {
  Policy p = Policy::parse("latin");
  for (std::string_view t :
       {" café", "naïve", "’s", "“", "”", "—", "–", "…", "•", "€", "™", "£", "°", "×", "ÿ", "\xC2\xA0"})
    EXPECT_TRUE(allows(p, t)) << t;
  for (std::string_view t : {"\xC2\xAD", "ł", "Œ", "→", "中", " привет", "😀", "„"}) EXPECT_FALSE(allows(p, t)) << t;
}

TEST(Policy, NeverAllowsSpecialUnusedOrFragments) {
  for (std::string_view spec : {"ascii", "latin", "latin+emoji+han"}) {
    Policy p = Policy::parse(spec);
    EXPECT_FALSE(p.allows_token(TokenClass::kPartialUtf8, "\xC3"));
    EXPECT_FALSE(p.allows_token(TokenClass::kSpecial, "<|im_end|>")) << "added tokens come only from build_mask";
    EXPECT_FALSE(p.allows_token(TokenClass::kUnused, ""));
  }
}

TEST(Policy, ComposesWithPlus) {
  Policy p = Policy::parse("ascii+emoji");
  EXPECT_TRUE(allows(p, "hello"));
  EXPECT_TRUE(allows(p, "😀"));
  EXPECT_TRUE(allows(p, "❤️")) << "a whole class is allowed even with a variation selector";
  EXPECT_FALSE(allows(p, "é"));

  Policy q = Policy::parse("ascii+U+20AC+U+0370-U+03FF");
  EXPECT_TRUE(allows(q, "€"));
  EXPECT_TRUE(allows(q, "αβ"));
  EXPECT_FALSE(allows(q, "é"));
  EXPECT_TRUE(Policy::parse("u+41").allows_code_point('A'));
  EXPECT_FALSE(Policy::parse("u+41").allows_code_point('B'));
}

TEST(Policy, RangesAreSortedAndMerged) {
  Policy p = Policy::parse("U+0061-U+0063+U+0041+U+0064-U+0066+U+0062");
  ASSERT_EQ(p.code_points().size(), 2u);
  EXPECT_EQ(p.code_points()[0].first, U'A');
  EXPECT_EQ(p.code_points()[1].first, U'a');
  EXPECT_EQ(p.code_points()[1].last, U'f');
  EXPECT_EQ(p.spec(), "U+0061-U+0063+U+0041+U+0064-U+0066+U+0062");
}

TEST(Policy, BuiltinsParseAndAreDocumented) {
  ASSERT_GE(builtin_policies().size(), 2u);
  for (const auto& b : builtin_policies()) {
    EXPECT_NO_THROW(Policy::parse(b.spec)) << b.name;
    EXPECT_FALSE(b.description.empty());
    // The name and its spec define the same set.
    EXPECT_EQ(Policy::parse(b.name).code_points().size(), Policy::parse(b.spec).code_points().size());
  }
}

TEST(Policy, BadSpecsThrowOneLineNamingTheTerm) {
  for (std::string_view spec :
       {"", "+", "ascii+", "ascii++latin", "english", "ascii+klingon", "U+", "U+110000", "U+0041-", "U+0042-U+0041",
        "U+0041x", "special", "partial_utf8", "unused", "U+1234567"}) {
    try {
      Policy::parse(spec);
      ADD_FAILURE() << "accepted \"" << spec << "\"";
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("vocab policy \"" + std::string(spec) + "\""), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace qwen3::vocab
