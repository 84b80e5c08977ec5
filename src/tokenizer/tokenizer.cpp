// Encoding and decoding (the pipeline of Hugging Face tokenizers for a
// byte-level BPE tokenizer.json): added tokens are cut out of the raw text,
// the rest is NFC-normalized, split by the pre-tokenizer regex, mapped to
// bytes and merged by BPE rank.
#include <cstdio>
#include <functional>

#include "common/utf8.h"
#include "qwen3/error.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8_lossy.h"

namespace qwen3 {

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

void Tokenizer::Impl::check_id(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= strings.size())
    throw Error("token id " + std::to_string(id) + " is out of range: expected 0 to " +
                std::to_string(strings.size() - 1) + " (" + file.string() + ")");
}

void Tokenizer::Impl::encode_word(std::string_view word, std::vector<TokenId>& ids) const {
  if (word.size() == 1) {  // one byte: nothing to merge
    ids.push_back(byte_ids[static_cast<unsigned char>(word[0])]);
    return;
  }
  const bool cacheable = word.size() <= tokenizer::WordCache::kMaxWordBytes;
  std::size_t hash = 0;
  if (cacheable) {
    hash = std::hash<std::string_view>{}(word);
    if (cache.lookup(word, hash, ids)) return;
  }
  std::size_t before = ids.size();
  tokenizer::bpe_merge(merges, word, byte_ids, ids);
  if (cacheable) cache.insert(word, hash, ids.data() + before, ids.size() - before);
}

void Tokenizer::Impl::encode_text(std::string_view text, std::vector<TokenId>& ids) const {
  std::string normalized;
  if (nfc && !nfc->is_normalized(text)) {
    nfc->append_normalized(normalized, text);
    text = normalized;
  }
  std::vector<tokenizer::Piece> pieces;
  if (regex)
    regex->split(text, pieces);
  else
    tokenizer::qwen2_split(text, pieces);
  for (const auto& p : pieces) encode_word(text.substr(p.begin, p.end - p.begin), ids);
}

std::vector<TokenId> Tokenizer::encode(std::string_view text) const { return encode(text, {}); }

std::vector<TokenId> Tokenizer::encode(std::string_view text, const std::vector<Span>& plain) const {
  std::size_t valid = utf8_valid_prefix(text);
  if (valid != text.size()) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[valid]));
    throw Error("text to encode is not valid UTF-8: byte " + std::string(hex) + " at offset " + std::to_string(valid) +
                " starts no well-formed sequence");
  }
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  // A match may not overlap a plain span (spans sorted: one forward scan).
  std::size_t next = 0;
  auto allowed = [&](std::size_t begin, std::size_t end) {
    while (next < plain.size() && plain[next].end <= begin) ++next;
    return next == plain.size() || plain[next].begin >= end;
  };
  impl_->added_matcher.split(
      text, [&](std::string_view segment) { impl_->encode_text(segment, ids); }, [&](TokenId id) { ids.push_back(id); },
      allowed);
  return ids;
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids, bool skip_special) const {
  // As HF: runs of model tokens are byte-decoded together (then lossily made
  // UTF-8); an added token's content is inserted as it is.
  std::string out, run;
  for (TokenId id : ids) {
    impl_->check_id(id);
    auto kind = impl_->kinds[id];
    if (kind == Impl::kModel) {
      run += impl_->bytes[id];
      continue;
    }
    if (kind == Impl::kAddedSpecial && skip_special) continue;
    tokenizer::append_utf8_lossy(out, run);
    run.clear();
    out += impl_->bytes[id];
  }
  tokenizer::append_utf8_lossy(out, run);
  return out;
}

const std::string& Tokenizer::token_bytes(TokenId id) const {
  impl_->check_id(id);
  return impl_->bytes[id];
}

const std::string& Tokenizer::token_string(TokenId id) const {
  impl_->check_id(id);
  return impl_->strings[id];
}

std::optional<TokenId> Tokenizer::token_to_id(std::string_view token_string) const {
  if (auto it = impl_->added_ids.find(token_string); it != impl_->added_ids.end()) return it->second;
  return impl_->model_ids.find(token_string);
}

std::vector<std::string> Tokenizer::merges() const {
  std::vector<std::string> out;
  for (const auto& [left, right] : impl_->merges.pairs_by_rank())
    out.push_back(impl_->strings[left] + " " + impl_->strings[right]);
  return out;
}

bool Tokenizer::is_added(TokenId id) const {
  impl_->check_id(id);
  return impl_->kinds[id] != Impl::kModel;
}

bool Tokenizer::is_special(TokenId id) const {
  impl_->check_id(id);
  return impl_->kinds[id] == Impl::kAddedSpecial;
}

const std::vector<AddedToken>& Tokenizer::added_tokens() const { return impl_->added; }

int Tokenizer::vocab_size() const { return static_cast<int>(impl_->strings.size()); }

}  // namespace qwen3
