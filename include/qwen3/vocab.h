#pragma once
// Which Qwen3 tokens are English: every id of the model's 151,936-row
// vocabulary gets one class from the bytes it stands for, and a policy (a set
// of allowed code points plus whole classes) turns the classes into a mask of
// allowed ids. Decoding restricted to the mask can never drift into another
// script, and computes only the mask's rows of the output projection.
// The method and the figures are in docs/english-tokens.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3::vocab {

// Classes in the order the statistics print them. Precedence for tokens that
// mix is documented in docs/english-tokens.md and implemented in classify_bytes.
enum class TokenClass : std::uint8_t {
  kSpecial,       // one of the 26 added tokens (<|im_end|>, <think>, ...)
  kUnused,        // padding rows 151,669..151,935: no token at all
  kPartialUtf8,   // bytes that are not valid UTF-8 on their own (a piece of a character)
  kWhitespace,    // only ASCII spaces, tabs, newlines (\t \n \v \f \r and ' ')
  kAsciiControl,  // contains an ASCII control byte other than whitespace (0x00-0x08, 0x0E-0x1F, 0x7F)
  kAsciiPunct,    // ASCII punctuation/symbols, possibly with whitespace; no letter or digit
  kAsciiDigits,   // ASCII digits with at most one leading space
  kAsciiLetters,  // ASCII letters with at most one leading space
  kAsciiMixed,    // any other all-ASCII token (letters with digits/punctuation, inner spaces, ...)
  kLatin,         // non-ASCII, Latin script (é, ß, ł, ...), possibly with ASCII
  kGreek,
  kCyrillic,
  kArabic,
  kHebrew,
  kDevanagari,
  kThai,
  kHan,
  kKana,  // Hiragana and Katakana
  kHangul,
  kOtherScript,  // any other script (Armenian, Georgian, Tamil, Bengali, ...)
  kEmoji,        // no letters; an Emoji_Presentation or Extended_Pictographic code point
  kSymbol,       // no letters; other non-ASCII punctuation, symbols, spaces, marks
};
inline constexpr int kClassCount = static_cast<int>(TokenClass::kSymbol) + 1;

// Stable lower-case names ("ascii_letters", "han", ...) used by the CLI, the
// JSON output and policy specs.
std::string_view class_name(TokenClass c);
std::optional<TokenClass> class_from_name(std::string_view name);

// The class of a regular (non-added, non-padding) token from its bytes alone.
TokenClass classify_bytes(std::string_view bytes);

// Every row of the model's vocabulary with its bytes and class.
class VocabTable {
 public:
  // Rows = Tokenizer::kEmbeddingRows; ids >= tokenizer.vocab_size() are kUnused.
  static VocabTable classify(const Tokenizer& tokenizer);
  // The same from plain data (tests, other vocabularies): token_bytes[i] is id
  // i's bytes, ids in `added` are kSpecial, ids token_bytes.size()..rows-1 kUnused.
  static VocabTable classify(std::vector<std::string> token_bytes, const std::vector<TokenId>& added, int rows);

  int rows() const { return static_cast<int>(classes_.size()); }
  TokenClass class_of(TokenId id) const;          // throws qwen3::Error out of range
  const std::string& bytes_of(TokenId id) const;  // empty for kUnused rows
  std::array<int, kClassCount> class_counts() const;

 private:
  std::vector<std::string> bytes_;
  std::vector<TokenClass> classes_;
};

// A policy: tokens made only of allowed code points, plus whole allowed
// classes. Special, unused and partial-UTF-8 tokens are never allowed by it
// (the chat-format ids are added by build_mask).
struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
};

class Policy {
 public:
  // A spec is terms joined by '+': a built-in name ("ascii", "latin"), a class
  // name ("emoji", "greek", ...: the whole class), a code point "U+20AC" or a
  // range "U+0370-U+03FF". Examples: "latin", "ascii+emoji", "ascii+U+20AC".
  // Throws qwen3::Error naming the bad term and listing what is accepted.
  static Policy parse(std::string_view spec);

  const std::string& spec() const { return spec_; }
  bool allows_code_point(char32_t cp) const;
  bool allows_class(TokenClass c) const { return classes_[static_cast<int>(c)]; }
  // Whether a token of this class with these bytes is allowed (see above).
  bool allows_token(TokenClass c, std::string_view bytes) const;
  const std::vector<CodePointRange>& code_points() const { return ranges_; }  // sorted, merged

 private:
  std::string spec_;
  std::vector<CodePointRange> ranges_;
  std::array<bool, kClassCount> classes_{};
};

// Built-in policies: name and spec, in the order documented.
struct BuiltinPolicy {
  std::string_view name;
  std::string_view spec;
  std::string_view description;
};
const std::vector<BuiltinPolicy>& builtin_policies();

struct MaskOptions {
  // <tool_call> and </tool_call> (151657, 151658): allow when tools are given.
  bool allow_tool_calls = false;
};

// The ids a model may produce under a policy: one byte per row for O(1)
// look-up and the sorted list of allowed ids, which are the rows of the
// output projection computed during restricted decoding. Always contains
// <|endoftext|>, <|im_end|>, <think>, </think>.
class TokenMask {
 public:
  TokenMask() = default;
  TokenMask(std::vector<std::uint8_t> allowed, std::vector<TokenId> ids)
      : allowed_(std::move(allowed)), ids_(std::move(ids)) {}
  bool allows(TokenId id) const { return id >= 0 && id < static_cast<TokenId>(allowed_.size()) && allowed_[id]; }
  int rows() const { return static_cast<int>(allowed_.size()); }
  int count() const { return static_cast<int>(ids_.size()); }
  const std::vector<TokenId>& ids() const { return ids_; }
  const std::vector<std::uint8_t>& allowed() const { return allowed_; }

 private:
  std::vector<std::uint8_t> allowed_;
  std::vector<TokenId> ids_;
};

// The chat-format ids every mask keeps, and the tool-call pair.
const std::vector<TokenId>& chat_token_ids();
const std::vector<TokenId>& tool_call_token_ids();

TokenMask build_mask(const VocabTable& table, const Policy& policy, const MaskOptions& options = {});
// Convenience for generation: classify + parse + build_mask in one call
// (about 25 ms). Throws qwen3::Error for a bad spec.
TokenMask make_mask(const Tokenizer& tokenizer, std::string_view policy_spec, const MaskOptions& options = {});
// The same, only the sorted allowed ids.
std::vector<TokenId> allowed_ids(const Tokenizer& tokenizer, std::string_view policy_spec,
                                 bool allow_tool_calls = false);

// The statistics table `qwen3 vocab --stats` prints (and docs/english-tokens.md
// shows): count and share of every class, then each built-in policy's size.
std::string format_stats(const VocabTable& table);
std::string format_stats_json(const VocabTable& table);  // same figures as one JSON object

}  // namespace qwen3::vocab
