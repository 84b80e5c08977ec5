#pragma once
// Byte-pair merging exactly as Hugging Face's BPE model does it (Word::merge_all
// without dropout): repeatedly apply the lowest-ranked merge, the leftmost one
// among equals, until no adjacent pair has a merge.
#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3::tokenizer {

// (left id, right id) -> (rank, merged id) in one flat open-addressing table:
// built once at load time, read by every encode.
class MergeTable {
 public:
  struct Merge {
    std::uint32_t rank;
    TokenId id;
  };

  void reserve(std::size_t merges);
  // Returns false if the pair was already present; like HF's map built from the
  // merges list, the later entry then replaces the earlier one.
  bool insert(TokenId left, TokenId right, Merge merge);
  const Merge* find(TokenId left, TokenId right) const {
    std::uint64_t key = pack(left, right);
    for (std::size_t slot = hash(key) & mask_;; slot = (slot + 1) & mask_) {
      const Slot& s = slots_[slot];
      if (s.key == key) return &s.merge;
      if (s.key == kEmpty) return nullptr;
    }
  }
  std::size_t size() const { return size_; }
  // Every (left, right) pair, lowest rank first.
  std::vector<std::pair<TokenId, TokenId>> pairs_by_rank() const;
  // One more than the largest rank or id inserted.
  std::uint32_t rank_end() const { return rank_end_; }
  std::uint32_t id_end() const { return id_end_; }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t key = kEmpty;
    Merge merge{};
  };
  static std::uint64_t pack(TokenId l, TokenId r) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(l)) << 32) | static_cast<std::uint32_t>(r);
  }
  static std::size_t hash(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<std::size_t>(k);
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0, size_ = 0;
  std::uint32_t rank_end_ = 0, id_end_ = 0;
};

// Short words (nearly all of them) are merged by scanning an array of pair
// ranks, which beats a heap for a few dozen symbols. Longer ones are merged in
// place (bpe_merge_long): 6 bytes per byte of the word, and a tree of the
// lowest rank in each block of 32 bytes finds the next merge in O(log n + 32),
// so a 50 MB word (one letter repeated) costs 300 MB, not the 40 bytes per
// byte of linked lists and a heap of candidates. The heap (O(n log n)) is the
// fallback when ids or ranks do not fit the packed cells. All apply the same
// merges in the same order (tests/tokenizer check that they agree).
inline constexpr std::size_t kBpeScanLimit = 128;
void bpe_merge_by_scan(const MergeTable& merges, std::vector<TokenId>& symbols);  // symbols.size() < kBpeScanLimit
void bpe_merge_by_heap(const MergeTable& merges, std::vector<TokenId>& symbols);
// Appends the ids of `word` (its initial symbol for each byte b is
// byte_ids[b]); false, with nothing appended, when the table's ids or ranks do
// not fit the packed cells (2^23 ids, 2^24 ranks).
bool bpe_merge_long(const MergeTable& merges, std::string_view word, const std::array<TokenId, 256>& byte_ids,
                    std::vector<TokenId>& out);

// Appends the BPE ids of `word`, whose initial symbols are byte_ids[b] for each byte.
void bpe_merge(const MergeTable& merges, std::string_view word, const std::array<TokenId, 256>& byte_ids,
               std::vector<TokenId>& out);

}  // namespace qwen3::tokenizer
