#include "tokenizer/bpe.h"

#include <algorithm>
#include <bit>
#include <queue>

namespace qwen3::tokenizer {

void MergeTable::reserve(std::size_t merges) {
  // Load factor at most 2/3: linear probing stays short, and the table (the
  // part of load time that is cache misses) stays small: 4 MB for Qwen3.
  std::size_t cap = std::bit_ceil(std::max<std::size_t>(16, merges + merges / 2));
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  size_ = 0;
}

bool MergeTable::insert(TokenId left, TokenId right, Merge merge) {
  if ((size_ + 1) * 3 > slots_.size() * 2) {  // grow (only if reserve() was too small)
    std::vector<Slot> old = std::move(slots_);
    reserve(old.size());
    for (const Slot& s : old)
      if (s.key != kEmpty) insert(static_cast<TokenId>(s.key >> 32), static_cast<TokenId>(s.key & 0xFFFFFFFF), s.merge);
  }
  std::uint64_t key = pack(left, right);
  for (std::size_t slot = hash(key) & mask_;; slot = (slot + 1) & mask_) {
    Slot& s = slots_[slot];
    if (s.key == key) {
      s.merge = merge;
      return false;
    }
    if (s.key == kEmpty) {
      s.key = key;
      s.merge = merge;
      ++size_;
      return true;
    }
  }
}

void bpe_merge_by_scan(const MergeTable& merges, std::vector<TokenId>& sym) {
  // rank[i] / merged[i]: the merge of the pair (sym[i], sym[i+1]), if any.
  // After a merge only the two pairs touching the new symbol are looked up again.
  constexpr std::uint32_t kNone = UINT32_MAX;
  std::size_t n = sym.size();
  std::uint32_t rank[kBpeScanLimit];
  TokenId merged[kBpeScanLimit];
  auto look = [&](std::size_t i) {
    const MergeTable::Merge* m = merges.find(sym[i], sym[i + 1]);
    rank[i] = m ? m->rank : kNone;
    merged[i] = m ? m->id : 0;
  };
  for (std::size_t i = 0; i + 1 < n; ++i) look(i);
  while (n > 1) {
    std::size_t best = 0;
    for (std::size_t i = 1; i + 1 < n; ++i)
      if (rank[i] < rank[best]) best = i;  // strict: the leftmost of equal ranks
    if (rank[best] == kNone) break;
    sym[best] = merged[best];
    for (std::size_t i = best + 1; i + 1 < n; ++i) {
      sym[i] = sym[i + 1];
      rank[i] = rank[i + 1];
      merged[i] = merged[i + 1];
    }
    --n;
    if (best + 1 < n)
      look(best);
    else
      rank[best] = kNone;
    if (best > 0) look(best - 1);
  }
  sym.resize(n);
}

void bpe_merge_by_heap(const MergeTable& merges, std::vector<TokenId>& sym) {
  const std::size_t n = sym.size();
  std::vector<std::int64_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (std::size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<std::int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<std::int64_t>(i) + 1 : -1;
  }
  struct Candidate {
    std::uint32_t rank;
    std::size_t pos;
    TokenId id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  for (std::size_t i = 0; i + 1 < n; ++i)
    if (const auto* m = merges.find(sym[i], sym[i + 1])) queue.push({m->rank, i, m->id});
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    std::size_t right = static_cast<std::size_t>(next[top.pos]);
    // Stale entry: one side has changed since it was queued.
    const auto* m = merges.find(sym[top.pos], sym[right]);
    if (!m || m->rank != top.rank || m->id != top.id) continue;
    sym[top.pos] = top.id;
    alive[right] = false;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[static_cast<std::size_t>(next[right])] = static_cast<std::int64_t>(top.pos);
    if (prev[top.pos] >= 0) {
      std::size_t p = static_cast<std::size_t>(prev[top.pos]);
      if (const auto* pm = merges.find(sym[p], sym[top.pos])) queue.push({pm->rank, p, pm->id});
    }
    if (next[top.pos] >= 0) {
      std::size_t q = static_cast<std::size_t>(next[top.pos]);
      if (const auto* nm = merges.find(sym[top.pos], sym[q])) queue.push({nm->rank, top.pos, nm->id});
    }
  }
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (alive[i]) sym[w++] = sym[i];
  sym.resize(w);
}

void bpe_merge(const MergeTable& merges, std::vector<TokenId>& symbols, std::vector<TokenId>& out) {
  if (symbols.size() < kBpeScanLimit)
    bpe_merge_by_scan(merges, symbols);
  else
    bpe_merge_by_heap(merges, symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

}  // namespace qwen3::tokenizer
