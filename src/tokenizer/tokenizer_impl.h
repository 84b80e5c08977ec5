#pragma once
// The state behind qwen3::Tokenizer, filled by load.cpp from tokenizer.json
// and read (never written, except for the word cache) by encode and decode.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qwen3/tokenizer.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/nfc.h"
#include "tokenizer/qwen2_split.h"
#include "tokenizer/regex_split.h"
#include "tokenizer/token_table.h"
#include "tokenizer/word_cache.h"

namespace qwen3 {

struct Tokenizer::Impl {
  enum Kind : std::uint8_t { kModel = 0, kAdded = 1, kAddedSpecial = 2 };

  std::filesystem::path file;
  std::vector<std::string> strings;  // by id: token as written in tokenizer.json
  std::vector<std::string> bytes;    // by id: the bytes it decodes to
  std::vector<Kind> kinds;           // by id
  std::vector<AddedToken> added;
  tokenizer::TokenTable model_ids;                          // model tokens only, over `strings`
  std::unordered_map<std::string_view, TokenId> added_ids;  // views into `added`
  tokenizer::MergeTable merges;
  std::array<TokenId, 256> byte_ids{};            // the id of each single-byte token
  std::optional<tokenizer::Nfc> nfc;              // set when the normalizer is NFC
  std::optional<tokenizer::RegexSplitter> regex;  // set unless the pattern is Qwen2's
  tokenizer::AddedTokenMatcher added_matcher;
  tokenizer::WordCache cache;

  void check_id(TokenId id) const;
  void encode_text(std::string_view text, std::vector<TokenId>& ids) const;
  void encode_word(std::string_view word, std::vector<TokenId>& ids) const;
};

// After strings (model tokens, then room for the added ones), kinds,
// model_ids, merges and `added` are filled: places the added tokens at their
// ids (contiguous after the model's), the bytes of every token, the added-token
// matcher and the single-byte ids. Throws "SOURCE: field: what".
void finish_tables(Tokenizer::Impl& t, const std::string& source);

}  // namespace qwen3
