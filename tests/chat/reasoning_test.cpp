// The reasoning parser on the real Qwen3 tokenizer: batch rules, the
// streaming parser's incremental output, and a property test that both give
// the same reasoning, content and state for random id sequences.
#include <gtest/gtest.h>

#include <random>

#include "common/test_paths.h"
#include "common/utf8.h"
#include "qwen3/error.h"
#include "qwen3/reasoning.h"

namespace qwen3 {
namespace {

const Tokenizer& tok() {
  static const Tokenizer t = Tokenizer::load(test::tokenizer_dir());
  return t;
}

std::vector<TokenId> ids_of(std::string_view text) { return tok().encode(text); }

std::vector<TokenId> cat(std::initializer_list<std::vector<TokenId>> parts) {
  std::vector<TokenId> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Streams `ids` and returns the concatenated parts plus every piece.
struct Streamed {
  ParsedReply reply;
  std::vector<ReplyPiece> pieces;
};
Streamed stream(std::span<const TokenId> ids, ReasoningOptions options = {}) {
  Streamed s;
  ReasoningStream parser(tok(), options);
  auto take = [&](std::vector<ReplyPiece> pieces) {
    for (auto& p : pieces) {
      (p.kind == PieceKind::Reasoning ? s.reply.reasoning : s.reply.content) += p.text;
      s.pieces.push_back(std::move(p));
    }
  };
  for (TokenId id : ids) take(parser.push(id));
  take(parser.finish());
  s.reply.state = parser.state();
  return s;
}

const TokenId kThink = token::kThinkStart, kEnd = token::kThinkEnd, kImEnd = token::kImEnd;

TEST(ReasoningParser, ThinkingModeOutput) {
  // What the model emits after "<|im_start|>assistant\n" in thinking mode.
  const auto ids = cat({ids_of("<think>\nLet me think. 你好 😀\n</think>\n\nThe answer is 42."), {kImEnd}});
  ASSERT_EQ(std::count(ids.begin(), ids.end(), kEnd), 1);
  const ParsedReply r = parse_reply(tok(), ids);
  EXPECT_EQ(r.state, ThinkingState::Complete);
  EXPECT_EQ(r.reasoning, "Let me think. 你好 😀");
  EXPECT_EQ(r.content, "The answer is 42.");
}

TEST(ReasoningParser, NonThinkingModeHasNoReasoningAndNoStrayTags) {
  // With enable_thinking=false the prompt already holds the empty think
  // block; the model answers directly.
  const auto ids = cat({ids_of("Paris is the capital of France."), {kImEnd}});
  const ParsedReply r = parse_reply(tok(), ids);
  EXPECT_EQ(r.state, ThinkingState::NoThinking);
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "Paris is the capital of France.");
  // /no_think in thinking mode: the model writes an empty block itself.
  const ParsedReply e = parse_reply(tok(), cat({ids_of("<think>\n\n</think>\n\nHi!"), {kImEnd}}));
  EXPECT_EQ(e.state, ThinkingState::Complete);
  EXPECT_EQ(e.reasoning, "");
  EXPECT_EQ(e.content, "Hi!");
}

TEST(ReasoningParser, CutOffWhileThinkingIsUnterminated) {
  const ParsedReply r = parse_reply(tok(), ids_of("<think>\nFirst, consider\n"));
  EXPECT_EQ(r.state, ThinkingState::Unterminated);
  EXPECT_EQ(r.reasoning, "First, consider");
  EXPECT_EQ(r.content, "");
  EXPECT_EQ(parse_reply(tok(), std::vector<TokenId>{kThink}).state, ThinkingState::Unterminated);
  EXPECT_EQ(parse_reply(tok(), std::vector<TokenId>{}).state, ThinkingState::NoThinking);
  // Names for logs and JSON output.
  EXPECT_EQ(thinking_state_name(ThinkingState::NoThinking), "no_thinking");
  EXPECT_EQ(thinking_state_name(ThinkingState::Unterminated), "unterminated");
  EXPECT_EQ(thinking_state_name(ThinkingState::Complete), "complete");
}

TEST(ReasoningParser, FirstCloseTagSplitsAndTagsNeverReachText) {
  const auto ids = ids_of("<think>a</think>b\n</think>\nc<think>d");
  const ParsedReply r = parse_reply(tok(), ids);
  EXPECT_EQ(r.state, ThinkingState::Complete);
  EXPECT_EQ(r.reasoning, "a");
  EXPECT_EQ(r.content,
            "b\n\nc"
            "d");
  EXPECT_EQ(stream(ids).reply.content, r.content);
}

TEST(ReasoningParser, CloseTagWithoutOpenTagAndPromptOpenedThink) {
  // A model (or a budget that forced </think>) closing without opening.
  const ParsedReply r = parse_reply(tok(), ids_of("\n</think>\n\nanswer"));
  EXPECT_EQ(r.state, ThinkingState::Complete);
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "answer");
  // Text before a </think> is reasoning only when the prompt opened the block.
  const auto ids = ids_of("pondering\n</think>\n\nanswer");
  EXPECT_EQ(parse_reply(tok(), ids).state, ThinkingState::NoThinking);
  EXPECT_EQ(parse_reply(tok(), ids).content, "pondering\n\n\nanswer");  // the tag itself is dropped
  const ParsedReply p = parse_reply(tok(), ids, {.prompt_opened_think = true});
  EXPECT_EQ(p.state, ThinkingState::Complete);
  EXPECT_EQ(p.reasoning, "pondering");
  EXPECT_EQ(p.content, "answer");
  EXPECT_EQ(parse_reply(tok(), std::vector<TokenId>{}, {.prompt_opened_think = true}).state,
            ThinkingState::Unterminated);
}

TEST(ReasoningParser, PromptOpensThinkLooksAtTheLastTurnOnly) {
  EXPECT_TRUE(prompt_opens_think(ids_of("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\n")));
  EXPECT_FALSE(prompt_opens_think(ids_of("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n")));
  EXPECT_FALSE(prompt_opens_think(ids_of("<|im_start|>assistant\n<think>\n\n</think>\n\n")));
  // A literal <think> in the user's text is not the assistant's block.
  EXPECT_FALSE(prompt_opens_think(ids_of("<|im_start|>user\nwhat is <think>?<|im_end|>\n<|im_start|>assistant\n")));
}

// The model card: index after the last </think>, decode with
// skip_special_tokens=True (which keeps <think>/</think>: they are not
// special in Qwen3), strip("\n"). Same as ours once the tags are removed
// when the output has one think block opened by <think>.
TEST(ReasoningParser, AgreesWithTheModelCardOnSingleBlockOutputs) {
  for (const char* text : {"<think>\nstep 1\nstep 2\n</think>\n\nDone.", "<think>\n\n</think>\n\nNo thoughts.",
                           "<think>混合 text ✓</think>答案\n", "<think>\n</think>"}) {
    SCOPED_TRACE(text);
    const auto ids = cat({ids_of(text), {kImEnd}});
    const std::size_t index = std::find(ids.rbegin(), ids.rend(), kEnd).base() - ids.begin();
    auto strip = [](std::string s) {
      s.erase(0, s.find_first_not_of('\n'));
      s.erase(s.find_last_not_of('\n') + 1);
      return s;
    };
    std::string card_thinking = strip(tok().decode({ids.begin(), ids.begin() + index}, true));
    const std::string card_content = strip(tok().decode({ids.begin() + index, ids.end()}, true));
    ASSERT_EQ(card_thinking.rfind("<think>", 0), 0u);
    ASSERT_EQ(card_thinking.substr(card_thinking.size() - 8), "</think>");
    card_thinking = strip(card_thinking.substr(7, card_thinking.size() - 15));
    const ParsedReply r = parse_reply(tok(), ids);
    EXPECT_EQ(r.reasoning, card_thinking);
    EXPECT_EQ(r.content, card_content);
  }
}

TEST(ReasoningStream, EmitsReasoningAsItArrivesAndHoldsOnlyTrailingNewlines) {
  ReasoningStream s(tok());
  EXPECT_TRUE(s.push(kThink).empty());
  EXPECT_TRUE(s.in_reasoning());
  EXPECT_TRUE(s.push(ids_of("\n")[0]).empty());  // leading newline: stripped
  auto p = s.push(ids_of("Hello")[0]);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].kind, PieceKind::Reasoning);
  EXPECT_EQ(p[0].text, "Hello");
  EXPECT_TRUE(s.push(ids_of("\n")[0]).empty());  // maybe trailing: held
  p = s.push(ids_of("world")[0]);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "\nworld");
  EXPECT_TRUE(s.push(ids_of("\n")[0]).empty());
  EXPECT_TRUE(s.push(kEnd).empty());  // the held newline was trailing: dropped
  EXPECT_FALSE(s.in_reasoning());
  EXPECT_EQ(s.state(), ThinkingState::Complete);
  EXPECT_EQ(s.reasoning_tokens(), 5);  // newline, Hello, newline, world, newline
  EXPECT_TRUE(s.push(ids_of("\n\n")[0]).empty());
  p = s.push(ids_of("Hi")[0]);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].kind, PieceKind::Content);
  EXPECT_EQ(p[0].text, "Hi");
  EXPECT_TRUE(s.push(kImEnd).empty());
  EXPECT_TRUE(s.finish().empty());
}

// Byte-level tokens, one per byte: how a character split across tokens looks.
std::vector<TokenId> byte_tokens(std::string_view text) {
  static const std::vector<TokenId> by_byte = [] {
    std::vector<TokenId> m(256, -1);
    for (TokenId id = 0; id < 151643; ++id) {
      const std::string& b = tok().token_bytes(id);
      if (b.size() == 1) m[static_cast<unsigned char>(b[0])] = id;
    }
    return m;
  }();
  std::vector<TokenId> out;
  for (unsigned char c : text) out.push_back(by_byte.at(c));
  return out;
}

TEST(ReasoningStream, CharactersSplitAcrossTokensComeOutWhole) {
  ReasoningStream s(tok());
  s.push(kThink);
  const auto emoji = byte_tokens("😀");
  ASSERT_EQ(emoji.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(s.push(emoji[i]).empty());
  auto p = s.push(emoji[3]);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "😀");
  // Cut inside a character at </think>: the reasoning gets U+FFFD, as
  // decode() of the reasoning part would give.
  s.push(emoji[0]);
  s.push(emoji[1]);
  p = s.push(kEnd);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].text, "\xEF\xBF\xBD");
  const auto ids = cat({{kThink}, emoji, {emoji[0], emoji[1], kEnd}});
  EXPECT_EQ(parse_reply(tok(), ids).reasoning, "😀\xEF\xBF\xBD");
}

TEST(ReasoningStream, UnknownIdsAreRejected) {
  ReasoningStream s(tok());
  EXPECT_THROW(s.push(-1), Error);
  EXPECT_THROW(s.push(151669), Error);
  EXPECT_THROW(parse_reply(tok(), std::vector<TokenId>{kThink, 200000}), Error);
}

// Property: for random sequences mixing words, newlines, bytes of multi-byte
// characters, <think>, </think> (several), special and non-special added
// tokens, streaming equals batch exactly, and every piece is non-empty,
// valid UTF-8 and free of think tags.
TEST(ReasoningStream, PropertyStreamingEqualsBatch) {
  std::vector<std::vector<TokenId>> atoms = {
      {kThink},
      {kEnd},
      {kImEnd},
      {token::kToolCallStart},
      {token::kEndOfText},
      ids_of("\n"),
      ids_of("\n\n"),
      ids_of("\n\n\n"),
      ids_of("Hello"),
      ids_of(" world"),
      ids_of("."),
      ids_of("你好"),
      ids_of(" café"),
      byte_tokens("😀"),
      byte_tokens("漢"),
      byte_tokens("é"),
      {byte_tokens("😀")[0]},
      {byte_tokens("😀")[1]},
      {byte_tokens("漢")[2]},
      byte_tokens("\n"),
  };
  std::mt19937 rng(20261128);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<TokenId> ids;
    // Mostly realistic starts (<think> first), sometimes anything.
    if (rng() % 3 != 0) ids.push_back(kThink);
    const int n = static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) {
      const auto& atom = atoms[rng() % atoms.size()];
      ids.insert(ids.end(), atom.begin(), atom.end());
    }
    const ReasoningOptions options{.prompt_opened_think = rng() % 5 == 0};
    SCOPED_TRACE(testing::Message() << "trial " << trial << " prompt_opened_think=" << options.prompt_opened_think);
    const ParsedReply batch = parse_reply(tok(), ids, options);
    const Streamed s = stream(ids, options);
    ASSERT_EQ(s.reply.reasoning, batch.reasoning);
    ASSERT_EQ(s.reply.content, batch.content);
    ASSERT_EQ(s.reply.state, batch.state);
    for (const auto& p : s.pieces) {
      ASSERT_FALSE(p.text.empty());
      ASSERT_TRUE(is_valid_utf8(p.text));
      ASSERT_EQ(p.text.find("think>"), std::string::npos);
    }
    for (const std::string* part : {&batch.reasoning, &batch.content}) {
      if (part->empty()) continue;
      ASSERT_NE(part->front(), '\n');
      ASSERT_NE(part->back(), '\n');
    }
  }
}

}  // namespace
}  // namespace qwen3
