#include "engine/stop_strings.h"

#include <algorithm>
#include <utility>

#include "common/utf8.h"

namespace qwen3 {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) {
  for (auto& s : stops)
    if (!s.empty()) stops_.push_back(std::move(s));
}

std::string StopStringMatcher::push(std::string_view text) {
  if (stopped_) return {};
  if (stops_.empty()) return std::string(text);
  held_ += text;
  // Earliest complete stop string wins.
  std::size_t cut = std::string::npos;
  for (const auto& s : stops_) cut = std::min(cut, held_.find(s));
  if (cut != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, cut);
    held_.clear();
    return out;
  }
  // Hold back the longest suffix that is a proper prefix of some stop string.
  std::size_t keep = 0;
  for (const auto& s : stops_) {
    for (std::size_t n = std::min(s.size() - 1, held_.size()); n > keep; --n) {
      if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
        keep = n;
        break;
      }
    }
  }
  // Never split a UTF-8 sequence between what is emitted and what is held.
  std::size_t emit = held_.size() - keep;
  while (emit > 0 && emit < held_.size() && (static_cast<unsigned char>(held_[emit]) & 0xC0) == 0x80) --emit;
  std::string out = held_.substr(0, emit);
  held_.erase(0, emit);
  return out;
}

std::string StopStringMatcher::flush() {
  if (stopped_) return {};
  return std::exchange(held_, {});
}

}  // namespace qwen3
