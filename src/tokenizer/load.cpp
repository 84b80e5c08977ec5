// Tokenizer::load: reads tokenizer.json (simdjson), checks that every setting
// is one this implementation reproduces exactly, and builds the flat tables
// encode and decode use. Anything else is rejected with the field named.
#include <simdjson.h>

#include <string>

#include "common/file.h"
#include "common/gguf.h"
#include "common/utf8.h"
#include "qwen3/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_impl.h"

namespace qwen3 {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

class JsonReader {
 public:
  explicit JsonReader(const std::filesystem::path& file) : file_(file.string()) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    // One line whatever the file holds (a key with a line break, bytes that
    // are not UTF-8): the fields and values quoted come from the file.
    throw Error(file_ + ": " + one_line(field) + ": " + one_line(what));
  }

  // The member, or a null element pointer when absent.
  std::optional<element> member(object obj, std::string_view key) const {
    element e;
    if (obj[key].get(e) != simdjson::SUCCESS) return std::nullopt;
    return e;
  }
  element required(object obj, std::string_view key, const std::string& field) const {
    auto e = member(obj, key);
    if (!e) fail(field, "missing");
    return *e;
  }
  object as_object(element e, const std::string& field) const {
    object o;
    if (e.get(o) != simdjson::SUCCESS) fail(field, "expected an object");
    return o;
  }
  array as_array(element e, const std::string& field) const {
    array a;
    if (e.get(a) != simdjson::SUCCESS) fail(field, "expected an array");
    return a;
  }
  std::string_view as_string(element e, const std::string& field) const {
    std::string_view s;
    if (e.get(s) != simdjson::SUCCESS) fail(field, "expected a string");
    return s;
  }
  bool as_bool(element e, const std::string& field) const {
    bool b;
    if (e.get(b) != simdjson::SUCCESS) fail(field, "expected true or false");
    return b;
  }
  std::int64_t as_int(element e, const std::string& field) const {
    std::int64_t v;
    if (e.get(v) != simdjson::SUCCESS) fail(field, "expected an integer");
    return v;
  }
  std::string_view type_of(object obj, const std::string& field) const {
    return as_string(required(obj, "type", field + ".type"), field + ".type");
  }
  // Optional flag that must have the given value (absent counts as that value).
  void expect_flag(object obj, std::string_view key, bool value, const std::string& field) const {
    auto e = member(obj, key);
    if (!e || e->is_null()) return;
    if (as_bool(*e, field + "." + std::string(key)) != value)
      fail(field + "." + std::string(key), std::string("only ") + (value ? "true" : "false") + " is supported");
  }
  // Optional string that must be empty (or null/absent).
  void expect_empty(object obj, std::string_view key, const std::string& field) const {
    auto e = member(obj, key);
    if (!e || e->is_null()) return;
    if (!as_string(*e, field + "." + std::string(key)).empty())
      fail(field + "." + std::string(key), "only an empty string is supported");
  }
  void expect_null(object obj, std::string_view key, const std::string& what) const {
    auto e = member(obj, key);
    if (e && !e->is_null()) fail(std::string(key), "expected null (" + what + " is not supported)");
  }

 private:
  std::string file_;
};

void read_model(const JsonReader& r, object model, Tokenizer::Impl& t) {
  std::string_view type = r.type_of(model, "model");
  if (type != "BPE") r.fail("model.type", "expected \"BPE\", found \"" + std::string(type) + "\"");
  if (auto d = r.member(model, "dropout"); d && !d->is_null())
    r.fail("model.dropout", "expected null (BPE dropout is not supported)");
  r.expect_flag(model, "byte_fallback", false, "model");
  r.expect_flag(model, "ignore_merges", false, "model");
  r.expect_empty(model, "continuing_subword_prefix", "model");
  r.expect_empty(model, "end_of_word_suffix", "model");

  object vocab = r.as_object(r.required(model, "vocab", "model.vocab"), "model.vocab");
  std::size_t n = vocab.size();
  // Room for the added tokens too (read before the model): one allocation.
  std::size_t total = n;
  for (const AddedToken& a : t.added) total = std::max(total, static_cast<std::size_t>(a.id) + 1);
  t.strings.reserve(std::min(total, n + t.added.size()));
  t.strings.assign(n, std::string());
  t.kinds.assign(n, Tokenizer::Impl::kModel);
  std::vector<bool> seen(n, false);
  for (auto [key, value] : vocab) {
    std::int64_t id;
    if (value.get(id) != simdjson::SUCCESS || id < 0 || id >= static_cast<std::int64_t>(n))
      r.fail("model.vocab",
             "the id of \"" + std::string(key) + "\" is not an integer in [0, " + std::to_string(n) + ")");
    if (seen[id]) r.fail("model.vocab", "id " + std::to_string(id) + " is used twice");
    seen[id] = true;
    t.strings[id] = key;
  }
  if (total > n + t.added.size())  // refused before allocating for a huge stray id
    r.fail("added_tokens", "id " + std::to_string(total - 1) + " leaves ids without a token (ids must be contiguous)");
  t.model_ids.build(&t.strings, n);

  array merges = r.as_array(r.required(model, "merges", "model.merges"), "model.merges");
  t.merges.reserve(merges.size());
  std::uint32_t rank = 0;
  std::string joined;
  for (element m : merges) {
    std::string_view left, right;
    std::string_view text;
    array pair;
    if (m.get(text) == simdjson::SUCCESS) {  // older format: "left right"
      std::size_t space = text.find(' ');
      if (space == std::string_view::npos || text.find(' ', space + 1) != std::string_view::npos)
        r.fail("model.merges[" + std::to_string(rank) + "]", "expected two tokens separated by one space");
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else if (m.get(pair) == simdjson::SUCCESS && pair.size() == 2 && pair.at(0).get(left) == simdjson::SUCCESS &&
               pair.at(1).get(right) == simdjson::SUCCESS) {
    } else {
      r.fail("model.merges[" + std::to_string(rank) + "]", "expected [\"left\", \"right\"] or \"left right\"");
    }
    auto l = t.model_ids.find(left), rt = t.model_ids.find(right);
    // Trained BPE vocabularies list the 256 bytes, then each merge's result in
    // merge order, so the merged token is usually id 256 + rank: checking that
    // one string first skips a third of the hash lookups.
    std::optional<TokenId> j;
    if (std::size_t guess = 256 + rank; guess < n) {
      std::string_view s = t.strings[guess];
      if (s.size() == left.size() + right.size() && s.starts_with(left) && s.ends_with(right))
        j = static_cast<TokenId>(guess);
    }
    if (!j) j = t.model_ids.find(joined.assign(left).append(right));
    if (!l || !rt || !j)
      r.fail("model.merges[" + std::to_string(rank) + "]",
             "\"" + std::string(left) + "\" + \"" + std::string(right) + "\" uses a token missing from model.vocab");
    if (const auto* earlier = t.merges.find(*l, *rt))
      r.fail("model.merges[" + std::to_string(rank) + "]", "\"" + std::string(left) + "\" + \"" + std::string(right) +
                                                               "\" repeats model.merges[" +
                                                               std::to_string(earlier->rank) + "]");
    t.merges.insert(*l, *rt, {rank, *j});
    ++rank;
  }
}

void read_added_tokens(const JsonReader& r, array tokens, Tokenizer::Impl& t) {
  std::size_t i = 0;
  for (element e : tokens) {
    std::string field = "added_tokens[" + std::to_string(i++) + "]";
    object o = r.as_object(e, field);
    std::int64_t id = r.as_int(r.required(o, "id", field + ".id"), field + ".id");
    std::string_view content = r.as_string(r.required(o, "content", field + ".content"), field + ".content");
    if (id < 0 || id > 100'000'000) r.fail(field + ".id", "expected an id in [0, 100000000)");
    if (content.empty()) r.fail(field + ".content", "expected a non-empty string");
    bool special = false;
    if (auto s = r.member(o, "special")) special = r.as_bool(*s, field + ".special");
    r.expect_flag(o, "lstrip", false, field);
    r.expect_flag(o, "rstrip", false, field);
    r.expect_flag(o, "single_word", false, field);
    r.expect_flag(o, "normalized", false, field);
    t.added.push_back({static_cast<TokenId>(id), std::string(content), special});
  }
}

void read_normalizer(const JsonReader& r, element e, Tokenizer::Impl& t) {
  if (e.is_null()) return;
  std::string_view type = r.type_of(r.as_object(e, "normalizer"), "normalizer");
  if (type != "NFC")
    r.fail("normalizer.type", "expected \"NFC\" or a null normalizer, found \"" + std::string(type) + "\"");
  t.nfc.emplace();
}

void read_pre_tokenizer(const JsonReader& r, element e, Tokenizer::Impl& t) {
  const std::string expected = "expected a Sequence of Split (Regex, Isolated) then ByteLevel (use_regex=false)";
  if (e.is_null()) r.fail("pre_tokenizer", expected);
  object seq = r.as_object(e, "pre_tokenizer");
  if (r.type_of(seq, "pre_tokenizer") != "Sequence") r.fail("pre_tokenizer.type", expected);
  array steps =
      r.as_array(r.required(seq, "pretokenizers", "pre_tokenizer.pretokenizers"), "pre_tokenizer.pretokenizers");
  if (steps.size() != 2) r.fail("pre_tokenizer.pretokenizers", expected);

  const std::string split_field = "pre_tokenizer.pretokenizers[0]";
  object split = r.as_object(steps.at(0).value_unsafe(), split_field);
  if (r.type_of(split, split_field) != "Split") r.fail(split_field + ".type", expected);
  object pattern = r.as_object(r.required(split, "pattern", split_field + ".pattern"), split_field + ".pattern");
  auto regex = r.member(pattern, "Regex");
  if (!regex) r.fail(split_field + ".pattern", "expected {\"Regex\": ...} (String patterns are not supported)");
  std::string_view behavior =
      r.as_string(r.required(split, "behavior", split_field + ".behavior"), split_field + ".behavior");
  if (behavior != "Isolated")
    r.fail(split_field + ".behavior", "expected \"Isolated\", found \"" + std::string(behavior) + "\"");
  r.expect_flag(split, "invert", false, split_field);
  std::string_view pat = r.as_string(*regex, split_field + ".pattern.Regex");
  if (pat != tokenizer::kQwen2SplitPattern) {
    try {
      t.regex.emplace(pat);
    } catch (const Error& err) {
      r.fail(split_field + ".pattern.Regex", err.what());
    }
  }

  const std::string bl_field = "pre_tokenizer.pretokenizers[1]";
  object bl = r.as_object(steps.at(1).value_unsafe(), bl_field);
  if (r.type_of(bl, bl_field) != "ByteLevel") r.fail(bl_field + ".type", expected);
  r.expect_flag(bl, "add_prefix_space", false, bl_field);
  r.expect_flag(bl, "use_regex", false, bl_field);
}

void read_decoder(const JsonReader& r, element e) {
  if (e.is_null()) r.fail("decoder", "expected a ByteLevel decoder, found null");
  object d = r.as_object(e, "decoder");
  std::string_view type = r.type_of(d, "decoder");
  if (type != "ByteLevel") r.fail("decoder.type", "expected \"ByteLevel\", found \"" + std::string(type) + "\"");
}

void read_post_processor(const JsonReader& r, element e) {
  if (e.is_null()) return;
  std::string_view type = r.type_of(r.as_object(e, "post_processor"), "post_processor");
  // ByteLevel post-processing only adjusts offsets; anything else would add ids.
  if (type != "ByteLevel")
    r.fail("post_processor.type", "expected \"ByteLevel\" or null, found \"" + std::string(type) + "\"");
}

}  // namespace

// Ids: the model's 0..n-1, then added tokens; every id below the total must
// be assigned so that id -> token is a plain array.
void finish_tables(Tokenizer::Impl& t, const std::string& source) {
  const auto fail = [&](const std::string& field, const std::string& what) {
    throw Error(source + ": " + field + ": " + what);
  };
  const auto& alphabet = tokenizer::byte_level_alphabet();
  std::size_t total = t.strings.size();
  for (const AddedToken& a : t.added) total = std::max(total, static_cast<std::size_t>(a.id) + 1);
  std::size_t model_size = t.strings.size();
  t.strings.resize(total);
  t.kinds.resize(total, Tokenizer::Impl::kModel);
  std::vector<bool> assigned(total, false);
  std::fill(assigned.begin(), assigned.begin() + static_cast<std::ptrdiff_t>(model_size), true);
  t.bytes.resize(total);
  for (std::size_t id = 0; id < model_size; ++id) {
    // Characters outside the byte alphabet pass through as their UTF-8, as HF's ByteLevel decoder does.
    auto b = alphabet.to_bytes(t.strings[id]);
    t.bytes[id] = b ? std::move(*b) : t.strings[id];
  }
  t.added_ids.reserve(t.added.size());
  for (const AddedToken& a : t.added) {
    std::size_t id = static_cast<std::size_t>(a.id);
    if (id < model_size && t.strings[id] != a.content)
      fail("added_tokens",
           "id " + std::to_string(id) + " (\"" + a.content + "\") is already model.vocab's \"" + t.strings[id] + "\"");
    if (id >= model_size && assigned[id]) fail("added_tokens", "id " + std::to_string(id) + " is used twice");
    assigned[id] = true;
    t.strings[id] = a.content;
    t.bytes[id] = a.content;
    t.kinds[id] = a.special ? Tokenizer::Impl::kAddedSpecial : Tokenizer::Impl::kAdded;
  }
  for (std::size_t id = model_size; id < total; ++id)
    if (!assigned[id]) fail("added_tokens", "id " + std::to_string(id) + " has no token (ids must be contiguous)");
  for (const AddedToken& a : t.added) t.added_ids.emplace(a.content, a.id);  // after `added` stops growing
  t.added_matcher = tokenizer::AddedTokenMatcher(t.added);

  for (int b = 0; b < 256; ++b) {
    auto id = t.model_ids.find(alphabet.char_for(static_cast<std::uint8_t>(b)));
    if (!id)
      fail("model.vocab",
           "the single-byte token \"" + alphabet.char_for(static_cast<std::uint8_t>(b)) + "\" is missing");
    t.byte_ids[b] = *id;
  }
}

Tokenizer Tokenizer::load(const std::filesystem::path& dir_or_file) {
  if (gguf::is_gguf_file(dir_or_file)) return from_gguf(dir_or_file);
  std::filesystem::path file = dir_or_file;
  std::error_code ec;
  if (std::filesystem::is_directory(dir_or_file, ec)) file /= "tokenizer.json";
  std::string text = read_file(file);  // throws "cannot read PATH: ..."
  simdjson::padded_string json(text);
  text = std::string();

  JsonReader r(file);
  simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json).get(root); err)
    throw Error(file.string() + ": not valid JSON (" + simdjson::error_message(err) + ")");
  object top = r.as_object(root, "top level");

  auto impl = std::make_unique<Impl>();
  impl->file = file;
  r.expect_null(top, "truncation", "truncation");
  r.expect_null(top, "padding", "padding");
  if (auto added = r.member(top, "added_tokens"); added && !added->is_null())
    read_added_tokens(r, r.as_array(*added, "added_tokens"), *impl);
  read_model(r, r.as_object(r.required(top, "model", "model"), "model"), *impl);
  if (auto n = r.member(top, "normalizer")) read_normalizer(r, *n, *impl);
  read_pre_tokenizer(r, r.required(top, "pre_tokenizer", "pre_tokenizer"), *impl);
  read_decoder(r, r.required(top, "decoder", "decoder"));
  if (auto p = r.member(top, "post_processor")) read_post_processor(r, *p);
  finish_tables(*impl, file.string());
  return Tokenizer(std::move(impl));
}

}  // namespace qwen3
