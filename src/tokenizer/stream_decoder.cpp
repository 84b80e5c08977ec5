// Streaming decode: the concatenation of everything push() and flush() return
// equals decode() of all the ids, and no returned piece ends inside a UTF-8
// sequence that could still be completed by the next token.
#include "qwen3/tokenizer.h"
#include "tokenizer/utf8_lossy.h"

namespace qwen3 {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::push(TokenId id) {
  const std::string& bytes = tokenizer_->token_bytes(id);  // throws for an unknown id
  std::string out;
  if (tokenizer_->is_added(id)) {
    // Skipped special tokens do not interrupt a pending sequence, as in decode().
    if (skip_special_ && tokenizer_->is_special(id)) return out;
    tokenizer::append_utf8_lossy(out, pending_);
    pending_.clear();
    out += bytes;
    return out;
  }
  pending_ += bytes;
  std::size_t ready = pending_.size() - tokenizer::incomplete_utf8_tail(pending_);
  tokenizer::append_utf8_lossy(out, std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  tokenizer::append_utf8_lossy(out, pending_);
  pending_.clear();
  return out;
}

}  // namespace qwen3
