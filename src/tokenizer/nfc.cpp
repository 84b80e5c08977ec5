#include "tokenizer/nfc.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uniset.h>

#include "qwen3/error.h"

namespace qwen3::tokenizer {

struct Nfc::Impl {
  icu::UnicodeSet unicode9;
  std::unique_ptr<icu::FilteredNormalizer2> nfc;
};

Nfc::Nfc() : impl_(std::make_unique<Impl>()) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* full = icu::Normalizer2::getNFCInstance(status);
  // [:age=9.0:] is every code point assigned in Unicode 9.0 or earlier.
  impl_->unicode9.applyPattern(icu::UnicodeString(u"[:age=9.0:]"), status);
  if (U_FAILURE(status)) throw Error(std::string("ICU NFC set-up failed: ") + u_errorName(status));
  impl_->unicode9.freeze();
  impl_->nfc = std::make_unique<icu::FilteredNormalizer2>(*full, impl_->unicode9);
}

Nfc::~Nfc() = default;
Nfc::Nfc(Nfc&&) noexcept = default;
Nfc& Nfc::operator=(Nfc&&) noexcept = default;

namespace {

// Everything below U+0300 is NFC_Quick_Check=Yes with combining class 0, and
// nothing composes with a preceding character before U+0300, so text made of
// such characters only is already normalized.
bool below_combining_marks(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0xCC) return false;  // a lead byte of U+0300 or above
  }
  return true;
}

}  // namespace

bool Nfc::is_normalized(std::string_view text) const {
  if (below_combining_marks(text)) return true;
  UErrorCode status = U_ZERO_ERROR;
  bool yes = impl_->nfc->isNormalizedUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), status);
  if (U_FAILURE(status)) throw Error(std::string("NFC check failed: ") + u_errorName(status));
  return yes;
}

void Nfc::append_normalized(std::string& out, std::string_view text) const {
  if (is_normalized(text)) {
    out.append(text);
    return;
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::StringByteSink<std::string> sink(&out);
  impl_->nfc->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink, nullptr, status);
  if (U_FAILURE(status)) throw Error(std::string("NFC normalization failed: ") + u_errorName(status));
}

}  // namespace qwen3::tokenizer
