// Validation against known English: a dictionary word list and GPT-2's
// vocabulary. The figures land in docs/english-tokens.md through
// scripts/english-tokens.sh.
#include "qwen3/vocab_reports.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <unordered_set>

#include "common/file.h"
#include "common/utf8.h"
#include "qwen3/error.h"
#include "vocab/percent.h"

namespace qwen3::vocab {
namespace {

bool policy_covers_text(const Policy& policy, std::string_view text) {
  // A word is in a policy's scope when every code point is allowed; the class
  // does not matter here, so ask as an ordinary letter token would.
  return policy.allows_token(TokenClass::kLatin, text);
}

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// All suffixes of "\n"-joined words, sorted: a string (without '\n') is a
// substring of some word iff some suffix starts with it.
class SubstringIndex {
 public:
  explicit SubstringIndex(const std::vector<std::string>& words) {
    for (const auto& w : words) text_ += w + "\n";
    suffixes_.reserve(text_.size());
    for (std::size_t i = 0; i < text_.size(); ++i)
      if (text_[i] != '\n') suffixes_.push_back(static_cast<std::uint32_t>(i));
    std::sort(suffixes_.begin(), suffixes_.end(),
              [&](std::uint32_t a, std::uint32_t b) { return suffix(a) < suffix(b); });
  }
  bool contains(std::string_view piece) const {
    auto it = std::lower_bound(suffixes_.begin(), suffixes_.end(), piece,
                               [&](std::uint32_t a, std::string_view p) { return suffix(a) < p; });
    return it != suffixes_.end() && suffix(*it).starts_with(piece);
  }

 private:
  std::string_view suffix(std::uint32_t i) const { return std::string_view(text_).substr(i); }
  std::string text_;
  std::vector<std::uint32_t> suffixes_;
};

}  // namespace

std::vector<std::string> read_word_list(const std::filesystem::path& path) {
  std::string text = read_file(path);
  std::vector<std::string> words;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!is_valid_utf8(line)) throw Error(path.string() + ": line " + std::to_string(number) + " is not valid UTF-8");
    words.push_back(line);
  }
  if (words.empty()) throw Error(path.string() + ": no words (expected one word per line)");
  return words;
}

DictionaryReport check_dictionary(const Tokenizer& tokenizer, const VocabTable& table,
                                  const std::vector<std::string>& words) {
  DictionaryReport report;
  report.words = static_cast<int>(words.size());
  for (const auto& builtin : builtin_policies()) {
    Policy policy = Policy::parse(builtin.spec);
    TokenMask mask = build_mask(table, policy);
    WordCheck check;
    check.policy = std::string(builtin.name);
    for (const auto& word : words) {
      if (!policy_covers_text(policy, word)) continue;
      ++check.words;
      bool inside = true;
      for (const auto& text : {word, " " + word})
        for (TokenId id : tokenizer.encode(text)) inside = inside && mask.allows(id);
      if (inside)
        ++check.encoded_inside;
      else
        check.failures.push_back(word);
    }
    report.checks.push_back(std::move(check));
  }

  std::vector<std::string> lowered;
  std::unordered_set<std::string> whole;
  for (const auto& w : words) {
    lowered.push_back(lower_ascii(w));
    whole.insert(lowered.back());
  }
  SubstringIndex index(lowered);
  for (TokenId id = 0; id < table.rows(); ++id) {
    if (table.class_of(id) != TokenClass::kAsciiLetters) continue;
    std::string body = table.bytes_of(id);
    if (body.front() == ' ') body.erase(0, 1);
    body = lower_ascii(body);
    ++report.letter_tokens;
    if (whole.count(body)) ++report.letter_tokens_words;
    if (index.contains(body)) ++report.letter_tokens_pieces;
  }
  return report;
}

std::vector<std::string> read_vocab_strings(const std::filesystem::path& path) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not JSON (" + std::string(e.what()) + ")");
  }
  const nlohmann::json* vocab = &doc;
  if (doc.is_object() && doc.contains("model") && doc["model"].is_object() && doc["model"].contains("vocab"))
    vocab = &doc["model"]["vocab"];
  if (!vocab->is_object() || vocab->empty())
    throw Error(path.string() +
                ": expected a JSON object of token strings to ids (encoder.json) "
                "or a tokenizer.json with model.vocab");
  std::vector<std::string> strings;
  for (auto it = vocab->begin(); it != vocab->end(); ++it) strings.push_back(it.key());
  return strings;
}

VocabComparison compare_vocab(const Tokenizer& tokenizer, const VocabTable& table,
                              const std::vector<std::string>& token_strings) {
  VocabComparison out;
  out.tokens = static_cast<int>(token_strings.size());
  std::vector<TokenId> shared;
  for (const auto& s : token_strings)
    if (auto id = tokenizer.token_to_id(s)) shared.push_back(*id);
  out.in_qwen3 = static_cast<int>(shared.size());
  for (const auto& builtin : builtin_policies()) {
    TokenMask mask = build_mask(table, Policy::parse(builtin.spec));
    int allowed =
        static_cast<int>(std::count_if(shared.begin(), shared.end(), [&](TokenId id) { return mask.allows(id); }));
    out.allowed.emplace_back(std::string(builtin.name), allowed);
  }
  return out;
}

ClosureReport check_closure(const Tokenizer& tokenizer, const VocabTable& table, std::string_view policy_spec,
                            int random_strings) {
  const Policy policy = Policy::parse(policy_spec);
  const TokenMask mask = build_mask(table, policy);
  ClosureReport report;
  report.policy = std::string(policy_spec);
  std::vector<std::string> chars;
  for (auto r : policy.code_points()) {
    if (r.last - r.first >= 100000 || chars.size() + (r.last - r.first) >= 100000)
      throw Error("vocab policy \"" + report.policy + "\": too many code points for a closure check (limit 100000)");
    for (char32_t cp = r.first; cp <= r.last; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;  // surrogates are not characters
      char buf[4];
      int32_t n = 0;
      U8_APPEND_UNSAFE(buf, n, static_cast<UChar32>(cp));
      chars.emplace_back(buf, static_cast<std::size_t>(n));
    }
  }
  report.characters = static_cast<int>(chars.size());
  auto inside = [&](const std::string& text) {
    bool ok = true;
    for (TokenId id : tokenizer.encode(text)) {
      if (mask.allows(id)) continue;
      ok = false;
      if (table.class_of(id) == TokenClass::kPartialUtf8)
        ++report.outside_ids_fragments;
      else
        ++report.outside_ids_other;
    }
    return ok;
  };
  for (const auto& c : chars) {
    if (inside(c))
      ++report.alone_inside;
    else
      report.alone_outside.push_back(c);
    bool all = true;
    for (const std::string& text : {" " + c, "a" + c, c + "a", c + c})
      if (!inside(text)) {
        all = false;
        report.context_outside.push_back(text);
      }
    report.contexts_inside += all;
  }
  if (!chars.empty()) {
    std::mt19937 rng(20260101);
    std::uniform_int_distribution<std::size_t> pick(0, chars.size() - 1);
    std::uniform_int_distribution<int> length(1, 40);
    for (int n = 0; n < random_strings; ++n) {
      std::string text;
      for (int i = length(rng); i > 0; --i) text += chars[pick(rng)];
      ++report.random_strings;
      report.random_inside += inside(text);
    }
  }
  return report;
}

std::string format_closure_report(const ClosureReport& r) {
  std::ostringstream out;
  char line[320];
  std::snprintf(line, sizeof line, "Closure of %s: %d characters; alone, %d (%.2f%%) encode into allowed ids%s\n",
                r.policy.c_str(), r.characters, r.alone_inside, percent(r.alone_inside, r.characters),
                r.alone_inside == r.characters ? ", so any text of the set can be produced" : "");
  out << line;
  std::snprintf(line, sizeof line,
                "  canonical encoding stays inside after a space, after/before a letter and doubled: %d (%.2f%%) "
                "characters\n",
                r.contexts_inside, percent(r.contexts_inside, r.characters));
  out << line;
  std::snprintf(line, sizeof line,
                "  canonical encoding of %d random strings (1-40 characters) stays inside: %d (%.2f%%)\n",
                r.random_strings, r.random_inside, percent(r.random_inside, r.random_strings));
  out << line;
  std::snprintf(line, sizeof line, "  disallowed ids met: %d partial UTF-8 fragments, %d other\n",
                r.outside_ids_fragments, r.outside_ids_other);
  out << line;
  if (!r.context_outside.empty()) {
    out << "  e.g.";
    for (std::size_t i = 0; i < r.context_outside.size() && i < 12; ++i) out << " \"" << r.context_outside[i] << "\"";
    out << "\n";
  }
  return out.str();
}

std::string format_dictionary_report(const DictionaryReport& r) {
  std::ostringstream out;
  char line[256];
  out << "Dictionary: " << r.words << " words\n";
  for (const auto& c : r.checks) {
    std::snprintf(line, sizeof line,
                  "  %-6s %6d words in its character set, %6d (%.2f%%) encode only into allowed tokens\n",
                  c.policy.c_str(), c.words, c.encoded_inside, percent(c.encoded_inside, c.words));
    out << line;
    for (std::size_t i = 0; i < c.failures.size() && i < 10; ++i)
      out << "         needs a disallowed token: " << c.failures[i] << "\n";
  }
  std::snprintf(
      line, sizeof line,
      "  ascii_letters tokens: %d; a whole dictionary word: %d (%.2f%%); a word or a piece of one: %d (%.2f%%)\n",
      r.letter_tokens, r.letter_tokens_words, percent(r.letter_tokens_words, r.letter_tokens), r.letter_tokens_pieces,
      percent(r.letter_tokens_pieces, r.letter_tokens));
  out << line;
  return out.str();
}

std::string format_vocab_comparison(const VocabComparison& c) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "Other vocabulary: %d tokens, %d (%.2f%%) are also Qwen3 tokens\n", c.tokens,
                c.in_qwen3, percent(c.in_qwen3, c.tokens));
  out << line;
  for (const auto& [policy, allowed] : c.allowed) {
    std::snprintf(line, sizeof line,
                  "  %-6s allows %6d of them (%.2f%% of the shared tokens): %.2f%% of the other vocabulary\n",
                  policy.c_str(), allowed, percent(allowed, c.in_qwen3), percent(allowed, c.tokens));
    out << line;
  }
  return out.str();
}

}  // namespace qwen3::vocab
