#pragma once
// Validation figures for docs/english-tokens.md: how the English policies
// treat a known English word list and another, English-trained vocabulary
// (GPT-2's). Used by `qwen3 vocab --words FILE --compare-vocab FILE`.
#include <filesystem>
#include <string>
#include <vector>

#include "qwen3/tokenizer.h"
#include "qwen3/vocab.h"

namespace qwen3::vocab {

// One word per line (e.g. /usr/share/dict/american-english); empty lines are
// skipped. Throws qwen3::Error naming the file and line for invalid UTF-8.
std::vector<std::string> read_word_list(const std::filesystem::path& path);

struct WordCheck {
  std::string policy;
  int words = 0;                      // words made only of the policy's code points
  int encoded_inside = 0;             // of those, words whose encodings (bare and after a space) use only allowed ids
  std::vector<std::string> failures;  // words that needed a disallowed id (all of them)
};

struct DictionaryReport {
  int words = 0;
  std::vector<WordCheck> checks;  // one per built-in policy
  // ascii_letters tokens: spelled (leading space dropped, lower-cased) as a
  // whole dictionary word, or as a piece (a substring) of some word, words included.
  int letter_tokens = 0;
  int letter_tokens_words = 0;
  int letter_tokens_pieces = 0;
};

DictionaryReport check_dictionary(const Tokenizer& tokenizer, const VocabTable& table,
                                  const std::vector<std::string>& words);

// Another vocabulary given as token strings in GPT-2's byte alphabet (the keys
// of GPT-2's encoder.json, or model.vocab of a tokenizer.json).
std::vector<std::string> read_vocab_strings(const std::filesystem::path& path);

struct VocabComparison {
  int tokens = 0;                                    // tokens of the other vocabulary
  int in_qwen3 = 0;                                  // the same string is a Qwen3 token
  std::vector<std::pair<std::string, int>> allowed;  // per built-in policy: shared tokens it allows
};

VocabComparison compare_vocab(const Tokenizer& tokenizer, const VocabTable& table,
                              const std::vector<std::string>& token_strings);

// Closure: can text made of the policy's characters still be written? Every
// character alone must encode into allowed ids (then any text is producible,
// character by character); and how often the tokenizer's own (canonical)
// encoding in context stays inside, which decides whether the model's usual
// spelling survives the mask.
struct ClosureReport {
  std::string policy;
  int characters = 0;    // code points in the policy's set
  int alone_inside = 0;  // characters whose encoding alone uses only allowed ids
  std::vector<std::string> alone_outside;
  int contexts_inside = 0;  // characters whose encodings after a space, a letter, before a letter stay inside
  std::vector<std::string> context_outside;  // the texts that needed a disallowed id
  int random_strings = 0;                    // random strings of 1-40 characters of the set (fixed seed)
  int random_inside = 0;
  int outside_ids_fragments = 0;  // disallowed ids seen in all these encodings that are partial UTF-8
  int outside_ids_other = 0;      // ... that are not (expected 0: complete tokens of the set are allowed)
};

// Throws qwen3::Error when the policy has more than 100,000 code points.
ClosureReport check_closure(const Tokenizer& tokenizer, const VocabTable& table, std::string_view policy_spec,
                            int random_strings = 2000);

std::string format_closure_report(const ClosureReport& report);
std::string format_dictionary_report(const DictionaryReport& report);
std::string format_vocab_comparison(const VocabComparison& comparison);

}  // namespace qwen3::vocab
