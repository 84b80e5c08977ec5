#pragma once
// User stop strings over streamed text. Text that could still turn out to be
// the start of a stop string is held back, so a stop string never reaches the
// output, not even in part, while streaming.
#include <string>
#include <string_view>
#include <vector>

namespace qwen3 {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  // Feeds newly decoded text; returns the text that is now safe to emit.
  // After a stop string is found, stopped() is true and everything from the
  // stop string on is dropped.
  std::string push(std::string_view text);
  // End of generation: releases what was held back (nothing after a stop).
  std::string flush();
  bool stopped() const { return stopped_; }
  bool empty() const { return stops_.empty(); }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace qwen3
