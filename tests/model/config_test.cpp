// config.json / generation_config.json: the published Qwen3-4B files, YaRN,
// and a clear refusal (file: field) for everything the engine does not run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/test_paths.h"
#include "qwen3/error.h"
#include "qwen3/model_config.h"

namespace qwen3 {
namespace {

using nlohmann::json;

json qwen3_4b() { return json::parse(read_file(test::shared_dir() / "qwen3-4b" / "config.json")); }

// The message of the Error that parsing `j` throws ("" when it parses).
std::string error_of(const json& j) {
  try {
    ModelConfig::parse(j.dump(), "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, ReadsPublishedQwen3_4B) {
  const ModelConfig c = ModelConfig::load(test::shared_dir() / "qwen3-4b" / "config.json");
  EXPECT_EQ(c.num_hidden_layers, 36);
  EXPECT_EQ(c.hidden_size, 2560);
  EXPECT_EQ(c.num_attention_heads, 32);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.gqa_group(), 4);
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.intermediate_size, 9728);
  EXPECT_EQ(c.vocab_size, 151936);
  EXPECT_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.max_position_embeddings, 40960);
  EXPECT_FALSE(c.rope_scaling.yarn);
  EXPECT_EQ(c.max_context(), 40960);
  // embed 151936*2560 + 36 * (q 2560*4096 + k,v 2*2560*1024 + o 4096*2560
  //   + mlp 3*2560*9728 + norms 2*2560 + 2*128) + final norm 2560
  EXPECT_EQ(c.parameter_count(), 4022468096LL);
}

TEST(ModelConfig, CarriedQwen3_4BIsTheSharedOne) {
  const auto carried = resolve_config("qwen3-4b");
  EXPECT_EQ(carried.filename(), "config.json");
  EXPECT_EQ(read_file(carried), read_file(test::shared_dir() / "qwen3-4b" / "config.json"));
  EXPECT_EQ(read_file(carried.parent_path() / "dummy.json"), read_file(test::shared_dir() / "qwen3-4b" / "dummy.json"));
  EXPECT_EQ(resolve_config(carried.parent_path().string()), carried.parent_path() / "config.json");
  EXPECT_THROW(resolve_config("no-such-model"), Error);
  EXPECT_THROW(resolve_config("/no/such/config.json"), Error);
}

TEST(ModelConfig, YarnBothSpellingsExtendTheContext) {
  for (const char* key : {"rope_type", "type"}) {
    json j = qwen3_4b();
    j["rope_scaling"] = {{key, "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
    const ModelConfig c = ModelConfig::parse(j.dump(), "cfg.json");
    EXPECT_TRUE(c.rope_scaling.yarn);
    EXPECT_EQ(c.rope_scaling.factor, 4.0);
    EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 32768);
    EXPECT_EQ(c.max_context(), 131072);
  }
}

TEST(ModelConfig, RefusesWhatTheEngineDoesNotRun) {
  struct Case {
    const char* field;
    json value;
  };
  const std::vector<Case> cases = {
      {"architectures", json::array({"Qwen3MoeForCausalLM"})},
      {"architectures", json::array({"LlamaForCausalLM"})},
      {"model_type", "qwen3_moe"},
      {"num_experts", 128},
      {"attention_bias", true},
      {"use_sliding_window", true},
      {"hidden_act", "gelu"},
      {"rope_scaling", {{"rope_type", "linear"}, {"factor", 2.0}}},
      {"rope_scaling", {{"rope_type", "yarn"}}},  // no factor
      {"hidden_size", "2560"},
      {"num_key_value_heads", 7},
      {"num_key_value_heads", 64},
      {"head_dim", 127},
      {"rms_norm_eps", -1},
      {"vocab_size", 0},
      {"tie_word_embeddings", "yes"},
  };
  for (const Case& c : cases) {
    json j = qwen3_4b();
    j[c.field] = c.value;
    const std::string e = error_of(j);
    EXPECT_NE(e.find("cfg.json"), std::string::npos) << c.field << ": " << e;
    EXPECT_NE(e.find(c.field), std::string::npos) << c.field << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(ModelConfig, MissingFieldsAndBadJsonAreNamed) {
  for (const char* field :
       {"hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
        "vocab_size", "rope_theta", "rms_norm_eps", "max_position_embeddings", "architectures"}) {
    json j = qwen3_4b();
    j.erase(field);
    const std::string e = error_of(j);
    EXPECT_NE(e.find(std::string(field) + ": missing"), std::string::npos) << e;
  }
  EXPECT_THROW(ModelConfig::parse("{\"hidden_size\": ", "cfg.json"), Error);
  EXPECT_THROW(ModelConfig::parse("[1, 2]", "cfg.json"), Error);
  EXPECT_THROW(ModelConfig::load("/no/such/dir/config.json"), Error);
  // A number beyond a double is the file's JSON error, not nlohmann's out_of_range.
  try {
    ModelConfig::parse(R"({"rope_theta": 1e400})", "cfg.json");
    FAIL() << "1e400 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qwen3
