#pragma once
// Every failure the library reports to a user is a qwen3::Error whose what()
// is one line naming the file, field or parameter and what was expected.
#include <stdexcept>
#include <string>

namespace qwen3 {

class Error : public std::runtime_error {
 public:
  // The message is kept on one line whatever it quotes: line breaks, other
  // control characters and bytes that are not UTF-8 (a name from a hostile
  // file, a path, a request field) come out escaped as \n, \r, \t, \xNN.
  explicit Error(const std::string& message);
  explicit Error(const char* message);
};

}  // namespace qwen3
