#pragma once
// Parsing JSON text with a one-line qwen3::Error on failure.
#include <string_view>

#include "qwen3/chat.h"

namespace qwen3::chat_detail {

// Throws qwen3::Error "<prefix> not valid JSON: <nlohmann's position and reason>".
OrderedJson parse_json(std::string_view text, std::string_view prefix);

}  // namespace qwen3::chat_detail
