// Classifying one token by its bytes. The rules, in order of precedence:
//  1. bytes that are not valid UTF-8 on their own: partial_utf8;
//  2. all-ASCII tokens: control byte > whitespace only > letters (one optional
//     leading space) > digits (one optional leading space) > punctuation and
//     whitespace without letters or digits > mixed;
//  3. other tokens by the Unicode script of their code points (ICU), where
//     Common and Inherited (punctuation, digits, spaces, combining marks) are
//     neutral: any non-Latin script outranks Latin (" aп" is Cyrillic: the
//     token cannot be English), several non-Latin scripts go to the one with
//     most code points (ties: the first seen); Latin alone is latin;
//  4. no letter of any script: emoji when a code point is Emoji_Presentation
//     or Extended_Pictographic, else symbol.
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>

#include "common/utf8.h"
#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3::vocab {
namespace {

constexpr std::array<std::string_view, kClassCount> kNames = {
    "special",      "unused",        "partial_utf8", "whitespace", "ascii_control", "ascii_punct",
    "ascii_digits", "ascii_letters", "ascii_mixed",  "latin",      "greek",         "cyrillic",
    "arabic",       "hebrew",        "devanagari",   "thai",       "han",           "kana",
    "hangul",       "other_script",  "emoji",        "symbol"};

bool is_ascii_space(unsigned char b) {
  return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r';
}
bool is_ascii_control(unsigned char b) { return (b < 0x20 && !is_ascii_space(b)) || b == 0x7F; }
bool is_ascii_letter(unsigned char b) { return (b | 0x20) >= 'a' && (b | 0x20) <= 'z'; }
bool is_ascii_digit(unsigned char b) { return b >= '0' && b <= '9'; }

TokenClass classify_ascii(std::string_view s) {
  bool all_space = true, any_letter = false, any_digit = false;
  for (unsigned char b : s) {
    if (is_ascii_control(b)) return TokenClass::kAsciiControl;
    all_space = all_space && is_ascii_space(b);
    any_letter = any_letter || is_ascii_letter(b);
    any_digit = any_digit || is_ascii_digit(b);
  }
  if (all_space) return TokenClass::kWhitespace;
  std::string_view body = s.front() == ' ' ? s.substr(1) : s;
  if (!body.empty() && std::all_of(body.begin(), body.end(), [](unsigned char b) { return is_ascii_letter(b); }))
    return TokenClass::kAsciiLetters;
  if (!body.empty() && std::all_of(body.begin(), body.end(), [](unsigned char b) { return is_ascii_digit(b); }))
    return TokenClass::kAsciiDigits;
  if (!any_letter && !any_digit) return TokenClass::kAsciiPunct;
  return TokenClass::kAsciiMixed;
}

// The class a letter's script gives, or nullopt for neutral scripts.
std::optional<TokenClass> script_class(UChar32 cp) {
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(cp, &status);
  if (U_FAILURE(status)) return TokenClass::kOtherScript;
  switch (script) {
    case USCRIPT_COMMON:
    case USCRIPT_INHERITED:
    case USCRIPT_UNKNOWN:
      return std::nullopt;
    case USCRIPT_LATIN:
      return TokenClass::kLatin;
    case USCRIPT_GREEK:
      return TokenClass::kGreek;
    case USCRIPT_CYRILLIC:
      return TokenClass::kCyrillic;
    case USCRIPT_ARABIC:
      return TokenClass::kArabic;
    case USCRIPT_HEBREW:
      return TokenClass::kHebrew;
    case USCRIPT_DEVANAGARI:
      return TokenClass::kDevanagari;
    case USCRIPT_THAI:
      return TokenClass::kThai;
    case USCRIPT_HAN:
      return TokenClass::kHan;
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_KATAKANA_OR_HIRAGANA:
      return TokenClass::kKana;
    case USCRIPT_HANGUL:
      return TokenClass::kHangul;
    default:
      return TokenClass::kOtherScript;
  }
}

bool is_emoji(UChar32 cp) {
  return u_hasBinaryProperty(cp, UCHAR_EMOJI_PRESENTATION) || u_hasBinaryProperty(cp, UCHAR_EXTENDED_PICTOGRAPHIC);
}

TokenClass classify_unicode(std::string_view s) {
  std::array<int, kClassCount> per_class{};
  std::array<int, kClassCount> first_seen{};
  bool emoji = false;
  int order = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int32_t i = 0, n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 cp;
    U8_NEXT(p, i, n, cp);  // input is valid UTF-8: cp is never negative
    if (cp < 0x80) {
      if (is_ascii_letter(static_cast<unsigned char>(cp))) ++per_class[int(TokenClass::kLatin)];
      continue;
    }
    if (auto c = script_class(cp)) {
      int k = static_cast<int>(*c);
      if (per_class[k]++ == 0) first_seen[k] = order++;
    } else if (is_emoji(cp)) {
      emoji = true;
    }
  }
  // The non-Latin script with most code points, ties to the first seen.
  int best = -1;
  for (int k = 0; k < kClassCount; ++k) {
    if (k == int(TokenClass::kLatin) || per_class[k] == 0) continue;
    if (best < 0 || per_class[k] > per_class[best] ||
        (per_class[k] == per_class[best] && first_seen[k] < first_seen[best]))
      best = k;
  }
  if (best >= 0) return static_cast<TokenClass>(best);
  if (per_class[int(TokenClass::kLatin)] > 0) return TokenClass::kLatin;
  return emoji ? TokenClass::kEmoji : TokenClass::kSymbol;
}

}  // namespace

std::string_view class_name(TokenClass c) {
  auto k = static_cast<std::size_t>(c);
  if (k >= kNames.size()) throw Error("vocab: token class " + std::to_string(k) + " out of range");
  return kNames[k];
}

std::optional<TokenClass> class_from_name(std::string_view name) {
  for (std::size_t k = 0; k < kNames.size(); ++k)
    if (kNames[k] == name) return static_cast<TokenClass>(k);
  return std::nullopt;
}

TokenClass classify_bytes(std::string_view bytes) {
  // An empty token does not occur in Qwen3; it stands for nothing, like padding.
  if (bytes.empty()) return TokenClass::kUnused;
  if (!is_valid_utf8(bytes)) return TokenClass::kPartialUtf8;
  if (std::all_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b < 0x80; })) return classify_ascii(bytes);
  return classify_unicode(bytes);
}

}  // namespace qwen3::vocab
