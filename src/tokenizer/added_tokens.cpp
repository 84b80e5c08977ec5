#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace qwen3::tokenizer {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens) {
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;  // rejected at load; never matches
    by_first_byte_[static_cast<unsigned char>(t.content[0])].push_back({t.content, t.id});
  }
  for (auto& list : by_first_byte_)
    std::stable_sort(list.begin(), list.end(),
                     [](const Candidate& a, const Candidate& b) { return a.content.size() > b.content.size(); });
}

}  // namespace qwen3::tokenizer
