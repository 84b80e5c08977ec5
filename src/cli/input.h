#pragma once
// Reading what the user gives a command: token ids and prompt text.
#include <string>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3::cli {

// "1,2,3", "1 2 3" or "[1, 2, 3]" -> {1, 2, 3}; throws qwen3::Error naming
// `source` (a flag, "standard input") on anything else, "1,,2" included.
std::vector<TokenId> parse_ids(const std::string& text, const std::string& source);

// The text of --prompt (or --system): "-" reads standard input; with a file
// (--prompt-file), the file's text. Checked to be UTF-8; errors name `flag`.
std::string read_text_argument(const std::string& value, const std::string& flag);
std::string read_text_file(const std::string& path, const std::string& flag);
// A file's bytes as they are; throws qwen3::Error "PATH: cannot read ...".
std::string read_whole_file(const std::string& path);

}  // namespace qwen3::cli
