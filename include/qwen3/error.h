#pragma once
// Every failure the library reports to a user is a qwen3::Error whose what()
// is one line naming the file, field or parameter and what was expected.
#include <stdexcept>
#include <string>

namespace qwen3 {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace qwen3
