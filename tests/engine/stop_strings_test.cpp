#include "engine/stop_strings.h"

#include <gtest/gtest.h>

#include <random>

using qwen3::StopStringMatcher;

namespace {
// Feeds `text` in pieces split at `cuts` and returns everything emitted.
std::string run(StopStringMatcher m, const std::string& text, std::size_t piece) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += piece) out += m.push(text.substr(i, piece));
  out += m.flush();
  return out;
}
}  // namespace

TEST(StopStrings, NoStopsPassesThrough) {
  StopStringMatcher m({});
  EXPECT_EQ(m.push("abc"), "abc");
  EXPECT_FALSE(m.stopped());
}

TEST(StopStrings, CutsAtStopAndNeverEmitsItEvenPartly) {
  for (std::size_t piece = 1; piece <= 7; ++piece) {
    StopStringMatcher m({"END"});
    std::string out;
    bool saw_partial = false;
    std::string text = "hello EN world END tail";
    for (std::size_t i = 0; i < text.size(); i += piece) {
      std::string got = m.push(text.substr(i, piece));
      out += got;
      if (out.size() >= 2 && out.substr(out.size() - 2) == "EN" && out.find("world") != std::string::npos)
        saw_partial = true;
    }
    out += m.flush();
    EXPECT_EQ(out, "hello EN world ") << "piece " << piece;
    EXPECT_FALSE(saw_partial);
  }
}

TEST(StopStrings, EarliestOfSeveralWins) {
  StopStringMatcher m({"xyz", "b"});
  EXPECT_EQ(run(m, "aaxyzb", 100), "aa");
  StopStringMatcher m2({"xyz", "b"});
  EXPECT_EQ(run(m2, "abxyz", 1), "a");
}

TEST(StopStrings, HeldPrefixReleasedAtEnd) {
  StopStringMatcher m({"STOP"});
  EXPECT_EQ(m.push("abcST"), "abc");
  EXPECT_EQ(m.flush(), "ST");
}

TEST(StopStrings, RandomSplitsAgreeWithWholeText) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab\xC3\xA9";  // includes a 2-byte character
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    for (int i = 0; i < 30; ++i)
      text += (rng() % 3 == 2) ? std::string("\xC3\xA9") : std::string(1, alphabet[rng() % 2]);
    std::vector<std::string> stops = {
        "ab\xC3\xA9"
        "a",
        "bbb"};
    std::size_t cut = std::string::npos;
    for (auto& s : stops) cut = std::min(cut, text.find(s));
    std::string expected = text.substr(0, cut);
    for (std::size_t piece : {1, 2, 3, 5}) EXPECT_EQ(run(StopStringMatcher(stops), text, piece), expected);
  }
}
