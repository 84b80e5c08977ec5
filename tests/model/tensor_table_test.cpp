// The one tensor table: every tensor of a Qwen3 checkpoint bound to exactly
// one distinct place in detail::Weights, norms to f32 vectors.
#include <gtest/gtest.h>

#include <set>

#include "common/test_paths.h"
#include "model/tensor_specs.h"
#include "model/weights.h"

namespace qwen3 {
namespace {

ModelConfig qwen3_4b_config() { return ModelConfig::load(test::shared_dir() / "qwen3-4b" / "config.json"); }

TEST(TensorTable, EverySlotOnceAndOnlyNormsAreVectors) {
  const ModelConfig c = qwen3_4b_config();
  detail::Weights w;
  std::set<const void*> slots;
  std::set<std::string> names;
  model::for_each_tensor(c, w, [&](const model::TensorSpec& spec, model::TensorSlot slot) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_TRUE(slots.insert(std::visit([](auto* p) -> const void* { return p; }, slot)).second) << spec.name;
    EXPECT_EQ(model::is_norm(slot), spec.shape.size() == 1) << spec.name;
  });
  ASSERT_EQ(w.layers.size(), 36u);
  // Tied (Qwen3-4B): every field but lm_head, which is embed_tokens itself.
  EXPECT_EQ(slots.size(), 2 + 36 * 11u);
  EXPECT_FALSE(slots.count(&w.lm_head));
  EXPECT_TRUE(slots.count(&w.embed_tokens) && slots.count(&w.norm));
  for (const detail::LayerWeights& L : w.layers)
    for (const void* p : {static_cast<const void*>(&L.q_proj), static_cast<const void*>(&L.down_proj),
                          static_cast<const void*>(&L.input_layernorm), static_cast<const void*>(&L.k_norm)})
      EXPECT_TRUE(slots.count(p));
}

TEST(TensorTable, UntiedHasLmHeadAndSpecsFollowTheTable) {
  ModelConfig c = qwen3_4b_config();
  c.tie_word_embeddings = false;
  detail::Weights w;
  std::vector<std::string> order;
  model::for_each_tensor(c, w, [&](const model::TensorSpec& spec, model::TensorSlot slot) {
    order.push_back(spec.name);
    if (spec.name == "lm_head.weight") {
      EXPECT_EQ(std::get<kernels::Matrix*>(slot), &w.lm_head);
      EXPECT_EQ(spec.shape, (std::vector<std::int64_t>{151936, 2560}));
    }
  });
  const auto specs = model::qwen3_tensor_specs(c);
  ASSERT_EQ(specs.size(), order.size());
  for (std::size_t k = 0; k < specs.size(); ++k) EXPECT_EQ(specs[k].name, order[k]);
  EXPECT_EQ(order.back(), "lm_head.weight");
}

// The layers' matrices of a type with a packed layout are packed at load;
// the embedding table (and an untied lm_head) keep their rows, which are
// looked up and read as row lists.
TEST(TensorTable, OnlyTheLayersMatricesArePacked) {
  const kernels::Matrix q4_k{nullptr, kernels::WeightType::Q4_K, 9728, 2560};
  const kernels::Matrix q8_0{nullptr, kernels::WeightType::Q8_0, 9728, 2560};
  const bool packable = kernels::packed_bytes(q4_k) > 0;  // a VNNI build
  EXPECT_EQ(detail::packs_at_load("model.layers.3.mlp.up_proj.weight", q4_k), packable);
  EXPECT_FALSE(detail::packs_at_load("model.embed_tokens.weight", q4_k));
  EXPECT_FALSE(detail::packs_at_load("lm_head.weight", q4_k));
  EXPECT_FALSE(detail::packs_at_load("model.layers.3.mlp.up_proj.weight", q8_0));
}

}  // namespace
}  // namespace qwen3
