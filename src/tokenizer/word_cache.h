#pragma once
// Remembers the BPE ids of words already seen, so repeated words (most of any
// text) skip merging. encode() is const and may run on several threads at
// once, so the cache is split into shards, each behind its own mutex; a shard
// that fills up is simply cleared (bounded memory, no eviction bookkeeping).
#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3::tokenizer {

class WordCache {
 public:
  static constexpr std::size_t kMaxWordBytes = 64;  // longer words are rare: not cached
  static constexpr std::size_t kShards = 32;
  static constexpr std::size_t kMaxPerShard = 8192;

  // Appends the cached ids of `word` to `out`; false when absent.
  bool lookup(std::string_view word, std::size_t hash, std::vector<TokenId>& out) const {
    Shard& s = shards_[hash % kShards];
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(word);
    if (it == s.map.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }

  void insert(std::string_view word, std::size_t hash, const TokenId* ids, std::size_t count) const {
    Shard& s = shards_[hash % kShards];
    std::lock_guard lock(s.mutex);
    if (s.map.size() >= kMaxPerShard) s.map.clear();
    s.map.try_emplace(std::string(word), ids, ids + count);
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<TokenId>, Hash, std::equal_to<>> map;
  };
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace qwen3::tokenizer
