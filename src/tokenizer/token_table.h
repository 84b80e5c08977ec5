#pragma once
// Token string -> id for the whole vocabulary in one flat open-addressing
// array of (hash, id) slots; the strings themselves stay in the id-indexed
// vector. Building and probing it touches far less memory than a node-based
// std::unordered_map, which dominated load time.
#include <bit>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3::tokenizer {

class TokenTable {
 public:
  // `strings` must outlive the table and not move.
  void build(const std::vector<std::string>* strings, std::size_t count) {
    strings_ = strings;
    std::size_t cap = std::bit_ceil(std::max<std::size_t>(16, count * 2));
    slots_.assign(cap, Slot{0, -1});
    mask_ = cap - 1;
    for (std::size_t id = 0; id < count; ++id) {
      std::string_view s = (*strings)[id];
      std::uint32_t h = hash(s);
      std::size_t i = h & mask_;
      while (slots_[i].id >= 0) {
        if (slots_[i].hash == h && (*strings_)[slots_[i].id] == s) break;  // duplicate: first id wins
        i = (i + 1) & mask_;
      }
      if (slots_[i].id < 0) slots_[i] = {h, static_cast<TokenId>(id)};
    }
  }

  std::optional<TokenId> find(std::string_view s) const {
    if (slots_.empty()) return std::nullopt;
    std::uint32_t h = hash(s);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id < 0) return std::nullopt;
      if (slot.hash == h && (*strings_)[slot.id] == s) return slot.id;
    }
  }

 private:
  struct Slot {
    std::uint32_t hash;
    TokenId id;  // -1: empty
  };
  static std::uint32_t hash(std::string_view s) {
    std::uint64_t h = std::hash<std::string_view>{}(s);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }
  const std::vector<std::string>* strings_ = nullptr;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace qwen3::tokenizer
