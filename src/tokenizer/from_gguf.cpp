// Tokenizer::from_gguf: the byte-level BPE tokenizer a GGUF file carries
// (llama.cpp's tokenizer.ggml.* keys), built into the same tables as
// tokenizer.json gives, so that encode and decode are the very same code.
#include "common/gguf.h"
#include "qwen3/error.h"
#include "tokenizer/tokenizer_impl.h"

namespace qwen3 {
namespace {

// llama.cpp's token types (llama_token_type).
enum TokenType : std::int64_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

// llama.cpp's converter marks every added token that looks special ("<|...|>")
// as a control token, so a GGUF loses tokenizer.json's special = false of
// Qwen2's code-completion markers; with pre-tokenizer qwen2 they are restored,
// so that decode(skip_special) drops exactly what Hugging Face drops.
bool qwen2_not_special(std::string_view token) {
  for (std::string_view t :
       {"<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"})
    if (token == t) return true;
  return false;
}

}  // namespace

Tokenizer Tokenizer::from_gguf(const std::filesystem::path& path) {
  const gguf::File f(path);
  const auto fail = [&](const std::string& key, const std::string& what) { f.fail("metadata " + key + ": " + what); };
  const std::string_view model = f.string("tokenizer.ggml.model");
  if (model != "gpt2") fail("tokenizer.ggml.model", "\"" + std::string(model) + "\" is not supported (expected gpt2)");
  // The pre-tokenizer names the split regex and normalizer of the original
  // tokenizer.json; Qwen2's (NFC, then the Qwen2 split) is the one Qwen3 uses.
  const std::string_view pre = f.optional_string("tokenizer.ggml.pre").value_or("default");
  if (pre != "qwen2") fail("tokenizer.ggml.pre", "\"" + std::string(pre) + "\" is not supported (expected qwen2)");
  if (auto add_bos = f.find("tokenizer.ggml.add_bos_token"); add_bos && add_bos->integer != 0)
    fail("tokenizer.ggml.add_bos_token", "true is not supported (Qwen3 adds no BOS)");

  const auto& tokens = f.string_array("tokenizer.ggml.tokens");
  const auto& types = f.integer_array("tokenizer.ggml.token_type");
  if (types.size() != tokens.size())
    fail("tokenizer.ggml.token_type",
         std::to_string(types.size()) + " types for " + std::to_string(tokens.size()) + " tokens");
  auto impl = std::make_unique<Impl>();
  impl->file = path;
  impl->nfc.emplace();
  // Normal tokens first (the BPE vocabulary, ids 0..n-1), then added ones;
  // unused padding entries only at the end.
  std::size_t n_model = 0, n_total = 0;
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const std::int64_t type = types[id];
    const std::string where = "token " + std::to_string(id) + " (\"" + std::string(tokens[id]) + "\")";
    if (type == kNormal || type == kByte) {
      if (n_model != id)
        fail("tokenizer.ggml.token_type", where + " is a normal token after added ones (not supported)");
      ++n_model;
    } else if (type == kControl || type == kUserDefined || type == kUnknown) {
      if (n_total != id) fail("tokenizer.ggml.token_type", where + " follows unused entries (not supported)");
      if (tokens[id].empty()) fail("tokenizer.ggml.tokens", where + " is empty");
      const bool special = type != kUserDefined && !qwen2_not_special(tokens[id]);
      impl->added.push_back({static_cast<TokenId>(id), std::string(tokens[id]), special});
    } else if (type != kUnused) {
      fail("tokenizer.ggml.token_type", where + " has type " + std::to_string(type) + " (not supported)");
    }
    if (type != kUnused) n_total = id + 1;
  }
  impl->strings.reserve(n_total);
  impl->strings.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(n_model));
  impl->kinds.assign(n_model, Impl::kModel);
  impl->model_ids.build(&impl->strings, n_model);

  const auto& merges = f.string_array("tokenizer.ggml.merges");
  impl->merges.reserve(merges.size());
  std::string joined;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string_view m = merges[rank];
    const std::size_t space = m.find(' ');
    const std::string where = "tokenizer.ggml.merges[" + std::to_string(rank) + "]";
    if (space == std::string_view::npos || m.find(' ', space + 1) != std::string_view::npos)
      fail(where, "expected two tokens separated by one space");
    const std::string_view left = m.substr(0, space), right = m.substr(space + 1);
    const auto l = impl->model_ids.find(left), r = impl->model_ids.find(right);
    const auto j = impl->model_ids.find(joined.assign(left).append(right));
    if (!l || !r || !j) fail(where, "\"" + std::string(m) + "\" uses a token missing from tokenizer.ggml.tokens");
    if (const auto* earlier = impl->merges.find(*l, *r))
      fail(where, "\"" + std::string(m) + "\" repeats tokenizer.ggml.merges[" + std::to_string(earlier->rank) + "]");
    impl->merges.insert(*l, *r, {static_cast<std::uint32_t>(rank), *j});
  }
  finish_tables(*impl, path.string());
  return Tokenizer(std::move(impl));
}

}  // namespace qwen3
