// English-only decoding on the fixture model: restricted rows give the same
// logits as the full projection, and no seed ever yields a disallowed id.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_paths.h"
#include "qwen3/engine.h"
#include "qwen3/vocab.h"

namespace qwen3 {
namespace {

struct Fixture {
  std::unique_ptr<Model> model;
  Tokenizer tokenizer;
  vocab::TokenMask mask;
};

Fixture& english_fixture() {
  static Fixture f = [] {
    RunOptions run;
    run.ctx = 256;
    run.threads = 1;
    auto model = Model::load(test::fixture_dir(), run);
    auto tokenizer = Tokenizer::load(test::fixture_dir());
    auto mask = vocab::build_mask(vocab::VocabTable::classify(tokenizer), vocab::Policy::parse("ascii"));
    return Fixture{std::move(model), std::move(tokenizer), std::move(mask)};
  }();
  return f;
}

std::vector<TokenId> story_prompt() {
  return english_fixture().tokenizer.encode("<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n");
}

TEST(EnglishOnly, RestrictedRowsEqualTheFullProjection) {
  auto& f = english_fixture();
  const int rows = f.model->config().vocab_size;
  std::vector<float> full(rows), restricted(rows);
  Session a = f.model->new_session(), b = f.model->new_session();
  f.model->forward(story_prompt(), a, full.data());
  f.model->forward(story_prompt(), b, restricted.data(), &f.mask.ids());
  int allowed = 0;
  for (int id = 0; id < rows; ++id) {
    if (f.mask.allows(id)) {
      ++allowed;
      EXPECT_EQ(restricted[id], full[id]) << id;  // the same dot products, bit for bit
    } else {
      EXPECT_TRUE(std::isinf(restricted[id]) && restricted[id] < 0) << id;
    }
  }
  EXPECT_EQ(allowed, f.mask.count());
}

TEST(EnglishOnly, NoSeedEverEmitsADisallowedId) {
  auto& f = english_fixture();
  ModelRunner runner(*f.model);
  bool unconstrained_drifts = false;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    GenerationOptions options;
    options.sampling = sampling_preset(SamplingMode::Thinking);
    options.sampling.seed = seed;
    options.sampling.max_new_tokens = 16;
    const auto free_run = generate(runner, f.tokenizer, story_prompt(), options);
    for (auto id : free_run.ids) unconstrained_drifts |= !f.mask.allows(id);
    options.allowed = &f.mask;
    const auto constrained = generate(runner, f.tokenizer, story_prompt(), options);
    for (auto id : constrained.ids) EXPECT_TRUE(f.mask.allows(id)) << "seed " << seed << " id " << id;
  }
  EXPECT_TRUE(unconstrained_drifts) << "the fixture should drift into non-ASCII tokens when free";
}

TEST(EnglishOnly, GreedyPicksTheBestAllowedToken) {
  auto& f = english_fixture();
  std::vector<float> full(f.model->config().vocab_size);
  Session s = f.model->new_session();
  f.model->forward(story_prompt(), s, full.data());
  TokenId best_allowed = -1;
  for (TokenId id = 0; id < f.tokenizer.vocab_size(); ++id)
    if (f.mask.allows(id) && (best_allowed < 0 || full[id] > full[best_allowed])) best_allowed = id;
  ModelRunner runner(*f.model);
  GenerationOptions options;
  options.sampling.temperature = 0;
  options.sampling.max_new_tokens = 1;
  options.allowed = &f.mask;
  const auto r = generate(runner, f.tokenizer, story_prompt(), options);
  ASSERT_EQ(r.ids.size(), 1u);
  EXPECT_EQ(r.ids[0], best_allowed);
}

}  // namespace
}  // namespace qwen3
