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

std::vector<std::pair<TokenId, TokenId>> MergeTable::pairs_by_rank() const {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> ranked;
  ranked.reserve(size_);
  for (const Slot& s : slots_)
    if (s.key != kEmpty) ranked.emplace_back(s.merge.rank, s.key);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::pair<TokenId, TokenId>> out;
  out.reserve(ranked.size());
  for (const auto& [rank, key] : ranked)
    out.emplace_back(static_cast<TokenId>(key >> 32), static_cast<TokenId>(key & 0xFFFFFFFF));
  return out;
}

bool MergeTable::insert(TokenId left, TokenId right, Merge merge) {
  if ((size_ + 1) * 3 > slots_.size() * 2) {  // grow (only if reserve() was too small)
    std::vector<Slot> old = std::move(slots_);
    reserve(old.size());
    for (const Slot& s : old)
      if (s.key != kEmpty) insert(static_cast<TokenId>(s.key >> 32), static_cast<TokenId>(s.key & 0xFFFFFFFF), s.merge);
  }
  rank_end_ = std::max(rank_end_, merge.rank + 1);
  for (TokenId id : {left, right, merge.id}) id_end_ = std::max(id_end_, static_cast<std::uint32_t>(id) + 1);
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

namespace {

// One 48-bit cell per byte of the word. A live cell starts a symbol: its id
// (23 bits) and the rank of the pair it forms with the next symbol (24 bits,
// kNoRank when that pair has no merge). The other cells are dead (top bit
// set) and hold a byte offset: in a symbol spanning [s, e) with e - s > 2, cell
// s+1 holds e and cell e-1 holds s; when e - s == 2, cell s+1 holds s. So the
// neighbours of a symbol are found in O(1) without linked lists.
class Cells {
 public:
  static constexpr std::uint32_t kNoRank = (1u << 24) - 1;
  static constexpr std::uint32_t kIdEnd = (1u << 23) - 1;

  explicit Cells(std::size_t n) : v_(3 * n) {}
  bool live(std::size_t i) const { return !(v_[3 * i + 2] & 0x8000); }
  TokenId id(std::size_t i) const { return static_cast<TokenId>(get(i) & kIdEnd); }
  std::uint32_t rank(std::size_t i) const { return live(i) ? static_cast<std::uint32_t>(get(i) >> 23) : kNoRank; }
  std::size_t offset(std::size_t i) const { return static_cast<std::size_t>(get(i) & ~(std::uint64_t{1} << 47)); }
  void set_live(std::size_t i, TokenId id, std::uint32_t rank) {
    put(i, static_cast<std::uint64_t>(id) | static_cast<std::uint64_t>(rank) << 23);
  }
  void set_dead(std::size_t i, std::size_t offset) { put(i, offset | std::uint64_t{1} << 47); }

 private:
  std::uint64_t get(std::size_t i) const {
    return v_[3 * i] | static_cast<std::uint64_t>(v_[3 * i + 1]) << 16 |
           static_cast<std::uint64_t>(v_[3 * i + 2]) << 32;
  }
  void put(std::size_t i, std::uint64_t x) {
    v_[3 * i] = static_cast<std::uint16_t>(x);
    v_[3 * i + 1] = static_cast<std::uint16_t>(x >> 16);
    v_[3 * i + 2] = static_cast<std::uint16_t>(x >> 32);
  }
  std::vector<std::uint16_t> v_;
};

}  // namespace

bool bpe_merge_long(const MergeTable& merges, std::string_view word, const std::array<TokenId, 256>& byte_ids,
                    std::vector<TokenId>& out) {
  constexpr std::uint32_t kNoRank = Cells::kNoRank;
  if (merges.rank_end() > kNoRank || merges.id_end() > Cells::kIdEnd) return false;
  for (TokenId b : byte_ids)
    if (b < 0 || static_cast<std::uint32_t>(b) >= Cells::kIdEnd) return false;
  const std::size_t n = word.size();
  if (n == 0) return true;
  auto rank_of = [&](TokenId l, TokenId r) {
    const MergeTable::Merge* m = merges.find(l, r);
    return m ? m->rank : kNoRank;
  };
  Cells cells(n);
  for (std::size_t i = 0; i < n; ++i) {
    TokenId id = byte_ids[static_cast<unsigned char>(word[i])];
    cells.set_live(i, id, i + 1 < n ? rank_of(id, byte_ids[static_cast<unsigned char>(word[i + 1])]) : kNoRank);
  }
  auto next = [&](std::size_t s) -> std::size_t {  // start of the following symbol (n at the end)
    if (s + 1 >= n || cells.live(s + 1)) return s + 1;
    std::size_t e = cells.offset(s + 1);
    return e == s ? s + 2 : e;
  };
  auto prev = [&](std::size_t s) { return cells.live(s - 1) ? s - 1 : cells.offset(s - 1); };  // s > 0

  // tree[leaves + b]: the lowest rank in block b; tree[k]: the lower of its children.
  constexpr std::size_t kBlock = 32;
  const std::size_t blocks = (n + kBlock - 1) / kBlock, leaves = std::bit_ceil(blocks);
  std::vector<std::uint32_t> tree(2 * leaves, kNoRank);
  auto block_min = [&](std::size_t b) {
    std::uint32_t r = kNoRank;
    for (std::size_t i = b * kBlock, end = std::min(n, i + kBlock); i < end; ++i) r = std::min(r, cells.rank(i));
    return r;
  };
  for (std::size_t b = 0; b < blocks; ++b) tree[leaves + b] = block_min(b);
  for (std::size_t k = leaves - 1; k > 0; --k) tree[k] = std::min(tree[2 * k], tree[2 * k + 1]);
  auto refresh = [&](std::size_t cell) {
    std::size_t k = leaves + cell / kBlock;
    tree[k] = block_min(cell / kBlock);
    for (k /= 2; k > 0; k /= 2) {
      std::uint32_t r = std::min(tree[2 * k], tree[2 * k + 1]);
      if (tree[k] == r) break;
      tree[k] = r;
    }
  };

  while (tree[1] != kNoRank) {
    // The leftmost pair of the lowest rank: the leftmost block holding it, then its cell.
    const std::uint32_t best = tree[1];
    std::size_t k = 1;
    while (k < leaves) k = tree[2 * k] == best ? 2 * k : 2 * k + 1;
    std::size_t s = (k - leaves) * kBlock;
    while (cells.rank(s) != best) ++s;
    const std::size_t m = next(s), e = next(m);
    const TokenId merged = merges.find(cells.id(s), cells.id(m))->id;
    cells.set_live(s, merged, e < n ? rank_of(merged, cells.id(e)) : kNoRank);
    if (e - s == 2) {
      cells.set_dead(s + 1, s);
    } else {
      cells.set_dead(m, 0);  // now inside the symbol (unless it is s+1 or e-1, set next)
      cells.set_dead(s + 1, e);
      cells.set_dead(e - 1, s);
    }
    refresh(s);
    if (m / kBlock != s / kBlock) refresh(m);
    if (s > 0) {
      const std::size_t p = prev(s);
      cells.set_live(p, cells.id(p), rank_of(cells.id(p), merged));
      if (p / kBlock != s / kBlock)
        refresh(p);
      else
        refresh(s);
    }
  }
  for (std::size_t s = 0; s < n; s = next(s)) out.push_back(cells.id(s));
  return true;
}

void bpe_merge(const MergeTable& merges, std::string_view word, const std::array<TokenId, 256>& byte_ids,
               std::vector<TokenId>& out) {
  if (word.size() >= kBpeScanLimit && bpe_merge_long(merges, word, byte_ids, out)) return;
  thread_local std::vector<TokenId> symbols;  // < kBpeScanLimit ids (or the rare fallback)
  symbols.clear();
  for (unsigned char b : word) symbols.push_back(byte_ids[b]);
  if (symbols.size() < kBpeScanLimit)
    bpe_merge_by_scan(merges, symbols);
  else
    bpe_merge_by_heap(merges, symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
  if (symbols.capacity() > 4 * kBpeScanLimit) std::vector<TokenId>().swap(symbols);
}

}  // namespace qwen3::tokenizer
