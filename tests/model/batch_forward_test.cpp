// Model::forward_batch: several sequences in one pass give each of them
// exactly (bit for bit) what it gets alone, and what the one-sequence decode
// step gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "common/test_paths.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {

class BatchForward : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RunOptions o;
    o.threads = 2;
    o.ctx = 256;
    model_ = Model::load(test::fixture_dir(), o).release();
  }
  static void TearDownTestSuite() { delete model_; }
  static Model* model_;

  int vocab() const { return static_cast<int>(model_->config().vocab_size); }

  // Prompt i: a run of ids of length 3 + 5 * i (different lengths).
  static std::vector<TokenId> prompt(int i) {
    std::vector<TokenId> p;
    for (int t = 0; t < 3 + 5 * i; ++t) p.push_back(static_cast<TokenId>((1000 + 37 * i + 11 * t) % 151000));
    return p;
  }
  static TokenId argmax(const std::vector<float>& l) {
    return static_cast<TokenId>(std::max_element(l.begin(), l.end()) - l.begin());
  }
  static bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  }
};
Model* BatchForward::model_ = nullptr;

// Greedy decoding of n sequences for `steps` steps, all of them in each
// forward_batch call (together) or each on its own (alone); returns every
// step's logits per sequence.
std::vector<std::vector<std::vector<float>>> decode(const Model& model, int n, int steps, bool together,
                                                    std::vector<std::vector<TokenId>> inputs) {
  const int V = static_cast<int>(model.config().vocab_size);
  std::vector<Session> sessions;
  for (int i = 0; i < n; ++i) sessions.push_back(model.new_session());
  std::vector<std::vector<std::vector<float>>> out(n);
  std::vector<std::vector<float>> logits(n, std::vector<float>(V));
  for (int s = 0; s < steps; ++s) {
    std::vector<BatchEntry> entries;
    for (int i = 0; i < n; ++i) entries.push_back({inputs[i], &sessions[i], logits[i].data(), nullptr});
    if (together) {
      model.forward_batch(entries);
    } else {
      for (const BatchEntry& e : entries) model.forward_batch({&e, 1});
    }
    for (int i = 0; i < n; ++i) {
      out[i].push_back(logits[i]);
      inputs[i] = {static_cast<TokenId>(std::max_element(logits[i].begin(), logits[i].end()) - logits[i].begin())};
    }
  }
  return out;
}

TEST_F(BatchForward, EightSequencesTogetherGiveBitForBitWhatEachGetsAlone) {
  std::vector<std::vector<TokenId>> prompts;
  for (int i = 0; i < 8; ++i) prompts.push_back(prompt(i));
  const auto together = decode(*model_, 8, 6, true, prompts);
  const auto alone = decode(*model_, 8, 6, false, prompts);
  for (int i = 0; i < 8; ++i)
    for (int s = 0; s < 6; ++s)
      EXPECT_TRUE(same_bits(together[i][s], alone[i][s])) << "sequence " << i << " step " << s;
}

TEST_F(BatchForward, DecodeStepsEqualTheOneSequenceDecodePath) {
  // After the same prefill, a decode step through forward_batch (with other
  // sequences beside it) equals Model::forward's one-token step.
  const std::vector<TokenId> p = prompt(3);
  Session a = model_->new_session(), b = model_->new_session(), other = model_->new_session();
  std::vector<float> la(vocab()), lb(vocab()), lo(vocab());
  const BatchEntry prefill{p, &a, la.data(), nullptr};
  model_->forward_batch({&prefill, 1});
  const BatchEntry prefill_b{p, &b, lb.data(), nullptr};
  model_->forward_batch({&prefill_b, 1});
  const std::vector<TokenId> o = prompt(5);
  const BatchEntry prefill_o{o, &other, lo.data(), nullptr};
  model_->forward_batch({&prefill_o, 1});
  for (int s = 0; s < 5; ++s) {
    const TokenId next = argmax(la);
    ASSERT_EQ(next, argmax(lb));
    model_->forward({&next, 1}, a, la.data());
    const TokenId next_o = argmax(lo);
    const std::vector<BatchEntry> step{{{&next, 1}, &b, lb.data(), nullptr},
                                       {{&next_o, 1}, &other, lo.data(), nullptr}};
    model_->forward_batch(step);
    EXPECT_TRUE(same_bits(la, lb)) << "step " << s;
  }
}

TEST_F(BatchForward, PrefillInChunksWithOrWithoutLogitsEqualsOneChunk) {
  const std::vector<TokenId> p = prompt(7);
  Session whole = model_->new_session(), chunked = model_->new_session();
  std::vector<float> lw(vocab()), lc(vocab());
  const BatchEntry w{p, &whole, lw.data(), nullptr};
  model_->forward_batch({&w, 1});
  const std::span<const TokenId> all(p);
  const BatchEntry c1{all.subspan(0, 5), &chunked, nullptr, nullptr};
  model_->forward_batch({&c1, 1});
  const BatchEntry c2{all.subspan(5), &chunked, lc.data(), nullptr};
  model_->forward_batch({&c2, 1});
  EXPECT_EQ(chunked.position(), whole.position());
  EXPECT_TRUE(same_bits(lw, lc));
}

TEST_F(BatchForward, AllowedRowsPerEntry) {
  const std::vector<TokenId> p = prompt(2);
  const std::vector<std::int32_t> rows{5, 77, 1000, 151000};
  Session a = model_->new_session(), b = model_->new_session();
  std::vector<float> la(vocab()), lb(vocab());
  const std::vector<BatchEntry> entries{{p, &a, la.data(), &rows}, {p, &b, lb.data(), nullptr}};
  model_->forward_batch(entries);
  for (int id = 0; id < vocab(); ++id) {
    if (std::find(rows.begin(), rows.end(), id) != rows.end())
      EXPECT_EQ(la[id], lb[id]) << id;
    else
      EXPECT_TRUE(std::isinf(la[id]) && la[id] < 0) << id;
  }
}

// Benchmarks at depth: the context is appended without running it, and the
// model then runs on top of it like any other context.
TEST_F(BatchForward, FillSyntheticAppendsWithoutRunning) {
  std::vector<TokenId> context;
  for (int t = 0; t < 200; ++t) context.push_back(static_cast<TokenId>(100 + t));
  Session synthetic = model_->new_session(), real = model_->new_session();
  model_->fill_synthetic(context, synthetic);
  EXPECT_EQ(synthetic.position(), 200);
  std::vector<float> a(vocab()), b(vocab());
  const std::vector<TokenId> next{42};
  model_->forward(next, synthetic, a.data());
  EXPECT_EQ(synthetic.position(), 201);
  EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](float x) { return std::isfinite(x); }));
  context.push_back(42);
  model_->forward(context, real, b.data());
  EXPECT_FALSE(same_bits(a, b)) << "the synthetic keys and values are not the ones the tokens give";

  // Checked like forward: the session is unchanged after an error.
  const std::vector<TokenId> too_many(60, 7), bad{1, 999999};
  EXPECT_THROW(model_->fill_synthetic(too_many, synthetic), Error);  // 201 + 60 > ctx 256
  EXPECT_THROW(model_->fill_synthetic(bad, synthetic), Error);
  EXPECT_EQ(synthetic.position(), 201);
}

TEST_F(BatchForward, ErrorsLeaveEverySessionUnchanged) {
  const std::vector<TokenId> p = prompt(1), bad{1, 2, 999999};
  Session a = model_->new_session(), b = model_->new_session();
  std::vector<float> la(vocab());
  const std::vector<BatchEntry> entries{{p, &a, la.data(), nullptr}, {bad, &b, nullptr, nullptr}};
  EXPECT_THROW(model_->forward_batch(entries), Error);
  EXPECT_EQ(a.position(), 0);
  EXPECT_EQ(b.position(), 0);
  const std::vector<BatchEntry> shared{{p, &a, la.data(), nullptr}, {p, &a, nullptr, nullptr}};
  EXPECT_THROW(model_->forward_batch(shared), Error);
}

}  // namespace
}  // namespace qwen3
