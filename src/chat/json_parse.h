#pragma once
// Parsing JSON text with a one-line qwen3::Error on failure.
#include <string_view>

#include "qwen3/chat.h"

namespace qwen3::chat_detail {

// Tools and tool-call arguments are printed recursively; deeper nesting is
// refused (Python's json.dumps, which the reference uses, stops near 1000).
inline constexpr int kMaxJsonDepth = 256;
// Whether `value` nests arrays/objects more than `limit` levels deep (it
// looks at most limit+1 levels down, so it cannot overflow the stack itself).
bool nests_deeper_than(const OrderedJson& value, int limit);

// Throws qwen3::Error "<prefix> not valid JSON: <nlohmann's position and reason>".
OrderedJson parse_json(std::string_view text, std::string_view prefix);

}  // namespace qwen3::chat_detail
