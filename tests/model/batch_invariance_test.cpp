// Batch invariance of the whole forward pass on fixture tiny-qwen3-a: the
// logits of a prompt's last position are the same bits whether the prompt is
// prefilled in one batch, in chunks of any size, or one token at a time, on 1
// or 2 threads, with f32 and bf16 activations (RunOptions::activations); and forward_all's row for every
// position equals the logits of a token-by-token run at that position. (The
// server batches many requests' decode steps: a request's result must not
// depend on its neighbours.)
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/test_paths.h"
#include "model/reference_data.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {

std::unique_ptr<Model> load(ActivationDType activations, int threads, KvDType kv_dtype = KvDType::F32) {
  RunOptions o;
  o.threads = threads;
  o.ctx = 512;
  o.kv_dtype = kv_dtype;
  o.activations = activations;
  return Model::load(test::fixture_dir(), o);
}

// The last position's logits after feeding `tokens` in chunks of `chunk`.
std::vector<float> last_logits(const Model& m, const std::vector<TokenId>& tokens, std::size_t chunk) {
  std::vector<float> logits(m.config().vocab_size);
  Session s = m.new_session();
  for (std::size_t b = 0; b < tokens.size(); b += chunk) {
    const std::size_t n = std::min(chunk, tokens.size() - b);
    m.forward(std::span<const TokenId>(tokens).subspan(b, n), s, logits.data());
  }
  return logits;
}

::testing::AssertionResult same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " and " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "logit " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

class ModelBatchInvariance : public ::testing::TestWithParam<ActivationDType> {
 protected:
  std::unique_ptr<Model> load(int threads, KvDType kv_dtype = KvDType::F32) const {
    return qwen3::load(GetParam(), threads, kv_dtype);
  }

  // The first reference prompt (P1) followed by its greedy continuation.
  std::vector<TokenId> prompt() const {
    const auto prompts = test::reference_prompts(test::fixture_dir() / "reference");
    std::vector<TokenId> ids = prompts.at(0).tokens;
    ids.insert(ids.end(), prompts.at(0).greedy.begin(), prompts.at(0).greedy.end());
    return ids;
  }
};

TEST_P(ModelBatchInvariance, LastLogitsSameForOneBatchChunksAndTokenByToken) {
  const std::vector<TokenId> ids = prompt();
  ASSERT_GE(ids.size(), 20u);
  for (KvDType kv : {KvDType::F32, KvDType::BF16}) {
    const auto one_thread = load(1, kv);
    const std::vector<float> want = last_logits(*one_thread, ids, ids.size());
    for (int threads : {1, 2}) {
      const auto model = threads == 1 ? nullptr : load(threads, kv);
      const Model& m = threads == 1 ? *one_thread : *model;
      for (std::size_t chunk : {ids.size(), std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{7},
                                std::size_t{8}, std::size_t{13}, ids.size() - 1})
        EXPECT_TRUE(same_bits(want, last_logits(m, ids, chunk)))
            << "chunks of " << chunk << ", " << threads << " threads, kv_dtype "
            << (kv == KvDType::F32 ? "f32" : "bf16");
    }
  }
}

// A prompt longer than two attention tiles (kernels::kAttentionTile = 128
// positions): chunks that start and end inside tiles give the same bits.
TEST_P(ModelBatchInvariance, LongPromptAcrossAttentionTiles) {
  const std::vector<TokenId> base = prompt();
  std::vector<TokenId> ids;
  while (ids.size() < 300) ids.insert(ids.end(), base.begin(), base.end());
  ids.resize(300);
  for (KvDType kv : {KvDType::F32, KvDType::BF16}) {
    const auto one = load(1, kv), two = load(2, kv);
    const std::vector<float> want = last_logits(*one, ids, ids.size());
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{100}, std::size_t{128}, std::size_t{299}})
      EXPECT_TRUE(same_bits(want, last_logits(*two, ids, chunk)))
          << "chunks of " << chunk << ", kv_dtype " << (kv == KvDType::F32 ? "f32" : "bf16");
  }
}

TEST_P(ModelBatchInvariance, EveryRowOfForwardAllEqualsTokenByToken) {
  const std::vector<TokenId> ids = prompt();
  const auto model = load(2);
  const std::size_t V = model->config().vocab_size;
  std::vector<float> all(ids.size() * V);
  Session batched = model->new_session();
  model->forward_all(ids, batched, all.data());
  Session stepped = model->new_session();
  std::vector<float> step(V);
  for (std::size_t t = 0; t < ids.size(); ++t) {
    model->forward(std::span<const TokenId>(ids).subspan(t, 1), stepped, step.data());
    ASSERT_TRUE(same_bits(std::vector<float>(all.begin() + t * V, all.begin() + (t + 1) * V), step))
        << "position " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(BothPrecisions, ModelBatchInvariance,
                         ::testing::Values(ActivationDType::F32, ActivationDType::BF16), [](const auto& info) {
                           return std::string(info.param == ActivationDType::F32 ? "Exact" : "Bf16Activations");
                         });

// The activations option reaches the kernels: bf16 activations move the
// logits (they are rounded before every product), and a model with f32
// activations loaded beside one with bf16 still computes its own.
TEST(ModelActivations, Bf16RoundsAndEachModelKeepsItsOwn) {
  const auto ids = test::reference_prompts(test::fixture_dir() / "reference").at(0).tokens;
  const auto exact = load(ActivationDType::F32, 2);
  const std::vector<float> before = last_logits(*exact, ids, ids.size());
  const auto rounded = load(ActivationDType::BF16, 2);
  const std::vector<float> bf16 = last_logits(*rounded, ids, ids.size());
  EXPECT_FALSE(same_bits(before, bf16));
  EXPECT_TRUE(same_bits(before, last_logits(*exact, ids, ids.size())));
  EXPECT_TRUE(same_bits(bf16, last_logits(*rounded, ids, ids.size())));
}

}  // namespace
}  // namespace qwen3
