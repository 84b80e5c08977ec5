#pragma once
// The Qwen3 tokenizer: byte-level BPE exactly as Hugging Face `tokenizers`
// runs tokenizer.json (added tokens, NFC, the Qwen2 split regex, byte-level
// alphabet, merges by rank; no BOS).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qwen3 {

using TokenId = std::int32_t;

// Ids the rest of the engine refers to by name.
namespace token {
inline constexpr TokenId kEndOfText = 151643;      // <|endoftext|>
inline constexpr TokenId kImStart = 151644;        // <|im_start|>
inline constexpr TokenId kImEnd = 151645;          // <|im_end|>
inline constexpr TokenId kToolCallStart = 151657;  // <tool_call>
inline constexpr TokenId kToolCallEnd = 151658;    // </tool_call>
inline constexpr TokenId kThinkStart = 151667;     // <think>
inline constexpr TokenId kThinkEnd = 151668;       // </think>
}  // namespace token

struct AddedToken {
  TokenId id;
  std::string content;
  bool special;  // special=true tokens are dropped by decode(skip_special=true)
};

class Tokenizer {
 public:
  // Loads DIR/tokenizer.json (DIR may also be the file itself, or a GGUF
  // file: see from_gguf).
  // Throws qwen3::Error naming the file and what was wrong.
  static Tokenizer load(const std::filesystem::path& dir_or_file);
  // The tokenizer a GGUF file carries in its metadata (tokenizer.ggml.model
  // "gpt2" with pre-tokenizer "qwen2": tokens, merges, token types), built
  // to encode and decode exactly as the model's tokenizer.json: normal
  // tokens are the BPE vocabulary, control tokens added special ones,
  // user-defined tokens added non-special ones (except Qwen2's
  // code-completion markers <|fim_prefix|> ... <|file_sep|>, which
  // tokenizer.json marks non-special and llama.cpp's converter makes
  // control tokens); unused padding entries at the end are left out.
  static Tokenizer from_gguf(const std::filesystem::path& gguf_file);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Text must be valid UTF-8 (throws otherwise, naming the offset). Added
  // tokens in the text are matched as single ids, as Hugging Face does with
  // split_special_tokens=false. No BOS/EOS is added. Thread-safe.
  std::vector<TokenId> encode(std::string_view text) const;

  // A byte range [begin, end) of a text.
  struct Span {
    std::size_t begin = 0, end = 0;
  };
  // Like encode(text), but an added token whose text overlaps one of `plain`
  // (sorted, not overlapping) is not matched there: it is encoded as the
  // ordinary text it is, as Hugging Face does with split_special_tokens=true.
  // Used to keep "<|im_start|>" typed inside a message from becoming a real
  // special token (qwen3/chat.h, ChatTemplate::render's content spans).
  std::vector<TokenId> encode(std::string_view text, const std::vector<Span>& plain) const;

  // As HF's decode: bytes of ordinary tokens made valid UTF-8 the way Rust's
  // from_utf8_lossy does (U+FFFD per broken sequence); added tokens as their
  // content; skip_special drops only the added tokens with special=true.
  // Every id-taking member throws qwen3::Error for an id outside [0, vocab_size()).
  std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const;

  // Raw bytes a token stands for (byte-level alphabet mapped back to bytes;
  // for an added token, its content). May be incomplete UTF-8.
  const std::string& token_bytes(TokenId id) const;
  // The token string as written in tokenizer.json (GPT-2 byte alphabet).
  const std::string& token_string(TokenId id) const;
  // Inverse of token_string (also finds added tokens by content).
  std::optional<TokenId> token_to_id(std::string_view token_string) const;

  // The BPE merges, lowest rank first, each as its two token strings joined
  // by a space ("Ġ t"), as tokenizer.json and GGUF's tokenizer.ggml.merges list them.
  std::vector<std::string> merges() const;

  bool is_added(TokenId id) const;
  bool is_special(TokenId id) const;  // added with special=true
  const std::vector<AddedToken>& added_tokens() const;

  int vocab_size() const;                        // 151,669 for Qwen3: BPE entries plus added tokens
  static constexpr int kEmbeddingRows = 151936;  // the model's padded vocabulary

  // Opaque state, defined in src/tokenizer/tokenizer_impl.h (public only so the
  // loader's helpers there can fill it).
  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Turns ids into text one at a time and never emits broken UTF-8: bytes of an
// incomplete sequence are held back until it completes. Everything push() and
// flush() return, concatenated, equals tokenizer.decode(ids, skip_special).
// The tokenizer must outlive the decoder.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);
  // Returns the text that became complete with this id (possibly empty).
  std::string push(TokenId id);
  // Whatever is still held back at the end, with invalid bytes replaced by
  // U+FFFD as decode() does.
  std::string flush();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace qwen3
