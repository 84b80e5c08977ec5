// Broken inputs, each written here into a temporary folder: a clear one-line
// qwen3::Error naming the file, tensor, field or option, never a crash.
#include <gtest/gtest.h>

#include <functional>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/test_paths.h"
#include "model/dummy_weights.h"
#include "model/memory.h"
#include "model/safetensors.h"
#include "model/tensor_specs.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

json small_config() {
  json j = json::parse(read_file(test::fixture_dir() / "config.json"));
  j["vocab_size"] = 512;
  j["hidden_size"] = 32;
  j["intermediate_size"] = 48;
  j["num_hidden_layers"] = 2;
  j["num_attention_heads"] = 4;
  j["num_key_value_heads"] = 2;
  j["head_dim"] = 8;
  return j;
}

class Broken : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qwen3-broken-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    manifest_ = DummyManifest::load(test::fixture_dir() / "dummy.json");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_config(const json& j) { std::ofstream(dir_ / "config.json") << j.dump(2); }

  // The tensors of `config`, possibly edited, as dummy bf16 data.
  std::vector<model::TensorToWrite> tensors(const json& config) {
    std::vector<model::TensorToWrite> out;
    const ModelConfig c = ModelConfig::parse(config.dump(), "config.json");
    for (const auto& spec : model::qwen3_tensor_specs(c)) out.push_back(tensor(spec.name, spec.shape, "BF16"));
    return out;
  }
  model::TensorToWrite tensor(const std::string& name, std::vector<std::int64_t> shape, const std::string& dtype) {
    model::TensorToWrite t{name, dtype, shape, nullptr};
    const std::size_t bytes = t.bytes();
    t.fill = [bytes](std::byte* out) { std::fill(out, out + bytes, std::byte{0x3c}); };
    return t;
  }

  // Loading throws an Error whose one-line message contains every `needle`.
  void expect_error(const std::vector<std::string>& needles, RunOptions o = small_options()) {
    try {
      Model::load(dir_, o);
      FAIL() << "loading succeeded";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      for (const auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "'" << n << "' not in: " << m;
    }
  }
  static RunOptions small_options() {
    RunOptions o;
    o.ctx = 64;
    o.threads = 1;
    return o;
  }

  fs::path dir_;
  DummyManifest manifest_;
};

TEST_F(Broken, ASoundSmallCheckpointLoads) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  auto m = Model::load(dir_, small_options());
  EXPECT_EQ(m->config().vocab_size, 512);
  std::vector<float> logits(512);
  Session s = m->new_session();
  const std::vector<TokenId> ids = {1, 2, 3};
  m->forward(ids, s, logits.data());
  EXPECT_EQ(s.position(), 3);
}

TEST_F(Broken, ShardedCheckpointLoadsLikeOneFile) {
  write_config(small_config());
  const auto files = model::write_checkpoint(dir_, tensors(small_config()), 40000);
  ASSERT_GT(files.size(), 2u);
  EXPECT_TRUE(fs::exists(dir_ / "model.safetensors.index.json"));
  auto sharded = Model::load(dir_, small_options());
  fs::path single = dir_ / "single";
  fs::create_directories(single);
  fs::copy_file(dir_ / "config.json", single / "config.json");
  model::write_checkpoint(single, tensors(small_config()), 1 << 30);
  auto one = Model::load(single, small_options());
  std::vector<float> a(512), b(512);
  Session s1 = sharded->new_session(), s2 = one->new_session();
  const std::vector<TokenId> ids = {5, 6, 7, 8};
  sharded->forward(ids, s1, a.data());
  one->forward(ids, s2, b.data());
  EXPECT_EQ(a, b);
}

// As transformers does, model.safetensors is the checkpoint even beside an
// index: a stale or broken index there is not read.
TEST_F(Broken, OneFileWinsOverAnIndexBesideIt) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  auto expected = Model::load(dir_, small_options());
  for (const std::string index :
       {"{ not json", R"({"weight_map": {"model.embed_tokens.weight": "gone.safetensors"}})"}) {
    std::ofstream(dir_ / "model.safetensors.index.json") << index;
    auto m = Model::load(dir_, small_options());
    std::vector<float> a(512), b(512);
    Session s1 = m->new_session(), s2 = expected->new_session();
    const std::vector<TokenId> ids = {5, 6, 7, 8};
    m->forward(ids, s1, a.data());
    expected->forward(ids, s2, b.data());
    EXPECT_EQ(a, b) << index;
  }
  fs::remove(dir_ / "model.safetensors");  // without the one file, the index is read: its shard is missing
  expect_error({"gone.safetensors"});
}

TEST_F(Broken, MissingConfig) {
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  expect_error({"config.json"});
}

TEST_F(Broken, MissingFolder) {
  dir_ /= "absent";
  expect_error({"absent"});
}

TEST_F(Broken, MissingWeights) {
  write_config(small_config());
  expect_error({"no weights", "model.safetensors"});
}

TEST_F(Broken, MissingTensor) {
  write_config(small_config());
  auto t = tensors(small_config());
  t.erase(t.begin() + 3);
  const std::string name = tensors(small_config())[3].name;
  model::write_checkpoint(dir_, std::move(t), 1 << 30);
  expect_error({"missing tensor", name});
}

TEST_F(Broken, MissingShardOfAnIndex) {
  write_config(small_config());
  const auto files = model::write_checkpoint(dir_, tensors(small_config()), 40000);
  ASSERT_GT(files.size(), 2u);
  fs::remove(files[1]);
  expect_error({files[1].filename().string()});
}

TEST_F(Broken, WrongShape) {
  write_config(small_config());
  auto t = tensors(small_config());
  for (auto& x : t)
    if (x.name == "model.layers.1.mlp.up_proj.weight") x = tensor(x.name, {48, 31}, "BF16");
  model::write_checkpoint(dir_, std::move(t), 1 << 30);
  expect_error({"model.layers.1.mlp.up_proj.weight", "[48, 31]", "[48, 32]"});
}

TEST_F(Broken, WrongDtype) {
  write_config(small_config());
  auto t = tensors(small_config());
  for (auto& x : t)
    if (x.name == "model.layers.0.self_attn.k_proj.weight") x = tensor(x.name, x.shape, "I32");
  model::write_checkpoint(dir_, std::move(t), 1 << 30);
  expect_error({"model.layers.0.self_attn.k_proj.weight", "I32"});
}

TEST_F(Broken, UnexpectedTensorMeansAnotherConfig) {
  write_config(small_config());
  auto t = tensors(small_config());
  t.push_back(tensor("model.layers.2.mlp.up_proj.weight", {48, 32}, "BF16"));
  model::write_checkpoint(dir_, std::move(t), 1 << 30);
  expect_error({"model.layers.2.mlp.up_proj.weight", "not part of"});
}

TEST_F(Broken, UntiedNeedsLmHead) {
  json c = small_config();
  c["tie_word_embeddings"] = false;
  write_config(c);
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);  // written tied: no lm_head
  expect_error({"missing tensor lm_head.weight"});
}

TEST_F(Broken, TruncatedFile) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  fs::resize_file(dir_ / "model.safetensors", fs::file_size(dir_ / "model.safetensors") - 100);
  expect_error({"model.safetensors", "truncated"});
  fs::resize_file(dir_ / "model.safetensors", 5);
  expect_error({"model.safetensors", "truncated"});
}

TEST_F(Broken, CorruptHeader) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  std::string bytes = read_file(dir_ / "model.safetensors");
  bytes[8] = '#';  // the JSON's opening brace
  std::ofstream(dir_ / "model.safetensors", std::ios::binary) << bytes;
  expect_error({"model.safetensors", "JSON"});
  std::uint64_t huge = 1ull << 40;
  std::memcpy(bytes.data(), &huge, 8);
  std::ofstream(dir_ / "model.safetensors", std::ios::binary) << bytes;
  expect_error({"model.safetensors", "header length"});
}

// The safetensors file with its header replaced by `edit(header)`'s text and
// `extra` bytes appended to the data.
void rewrite_header(const fs::path& file, const std::function<std::string(std::string)>& edit,
                    const std::string& extra = "") {
  const std::string bytes = read_file(file);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  const std::string header = edit(bytes.substr(8, n));
  std::string out(8, '\0');
  const std::uint64_t m = header.size();
  std::memcpy(out.data(), &m, 8);
  out += header + bytes.substr(8 + n) + extra;
  std::ofstream(file, std::ios::binary | std::ios::trunc) << out;
}

TEST_F(Broken, OffsetsThatLieAreNamedForWhatTheyAre) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  const fs::path file = dir_ / "model.safetensors";
  const std::string original = read_file(file);
  auto restore = [&] { std::ofstream(file, std::ios::binary | std::ios::trunc) << original; };
  // The first tensor's offsets "[0,N]" written the other way round.
  rewrite_header(file, [](std::string h) {
    const auto at = h.find("\"data_offsets\":[0,");
    const auto comma = h.find(',', at + 16), close = h.find(']', at);
    const std::string end = h.substr(comma + 1, close - comma - 1);
    return h.replace(at + 16, close - at - 16, end + ",0");
  });
  expect_error({"model.safetensors", "reversed"});
  restore();
  rewrite_header(file, [](std::string h) {
    const auto at = h.find("\"data_offsets\":[0,");
    return h.replace(at + 16, 1, "18446744073709551616");
  });
  expect_error({"model.safetensors", "expected two integers", "beyond 2^64-1"});
  restore();
  rewrite_header(
      file, [](std::string h) { return h; }, std::string(16, 'x'));  // bytes no tensor owns
  expect_error({"model.safetensors", "belong to no tensor"});
  fs::remove(file);
  fs::create_directory(file);
  expect_error({"model.safetensors", "is a folder"});
}

// NaN or Inf weights: a norm is refused at load, naming the tensor; a
// matrix (too large to scan at load) at the first non-finite logit, naming
// the checkpoint.
TEST_F(Broken, NonFiniteWeightsAreNamed) {
  write_config(small_config());
  auto poisoned = [&](const std::string& name) {
    auto t = tensors(small_config());
    for (auto& x : t)
      if (x.name == name) {
        const std::size_t bytes = x.bytes();
        x.fill = [bytes](std::byte* out) { std::fill(out, out + bytes, std::byte{0xff}); };  // bf16 NaN
      }
    fs::remove(dir_ / "model.safetensors");
    model::write_checkpoint(dir_, std::move(t), 1 << 30);
  };
  poisoned("model.layers.1.post_attention_layernorm.weight");
  expect_error({dir_.string(), "model.layers.1.post_attention_layernorm.weight", "NaN"});
  poisoned("model.layers.0.mlp.down_proj.weight");
  const auto model = Model::load(dir_, small_options());
  Session session = model->new_session();
  std::vector<float> logits(static_cast<std::size_t>(model->config().vocab_size));
  const std::vector<TokenId> ids = {1, 2, 3};
  try {
    model->forward(ids, session, logits.data());
    FAIL() << "NaN logits accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(dir_.string()), std::string::npos) << m;
    EXPECT_NE(m.find("NaN"), std::string::npos) << m;
  }
}

TEST_F(Broken, SizeDisagreesWithShape) {
  write_config(small_config());
  auto t = tensors(small_config());
  model::write_checkpoint(dir_, std::move(t), 1 << 30);
  std::string bytes = read_file(dir_ / "model.safetensors");
  const std::string from = "\"shape\":[32]";  // a norm weight claims 33 elements in 64 bytes
  const auto at = bytes.find(from);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, from.size(), "\"shape\":[33]");
  std::ofstream(dir_ / "model.safetensors", std::ios::binary) << bytes;
  expect_error({"model.safetensors", "do not match"});
}

TEST_F(Broken, ContextDeviceThreadsAreChecked) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  RunOptions o = small_options();
  o.ctx = 40961;
  expect_error({"ctx = 40961", "40960", "max_position_embeddings"}, o);
  o = small_options();
  o.ctx = 0;
  expect_error({"ctx = 0"}, o);
  o = small_options();
  o.device = "cuda";
  expect_error({"device = cuda", "cpu"}, o);
  o = small_options();
  o.threads = -2;
  expect_error({"threads = -2"}, o);
}

TEST_F(Broken, TooLittleMemoryIsRefusedBeforeAllocating) {
  json j = small_config();
  j["num_hidden_layers"] = 1024;
  j["hidden_size"] = 16384;
  j["intermediate_size"] = 1 << 20;  // some 100 TB of weights
  const ModelConfig c = ModelConfig::parse(j.dump(), "config.json");
  try {
    Model::dummy(c, manifest_, small_options());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not enough memory"), std::string::npos) << e.what();
  }
}

// The KV cache is checked as it grows, Model::kKvCheckTokens at a time: a
// step that does not fit names the context reached and what it needs; an
// unknown amount of memory (0) checks nothing.
TEST(KvMemory, GrowthBeyondTheAvailableMemoryIsNamed) {
  EXPECT_NO_THROW(model::check_kv_growth(1 << 20, 2 << 20, 4096, 8192, 32768));
  EXPECT_NO_THROW(model::check_kv_growth(1 << 20, 0, 4096, 8192, 32768));
  try {
    model::check_kv_growth(std::uint64_t{3} << 30, std::uint64_t{1} << 30, 4096, 8192, 32768);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    for (const char* s : {"not enough memory for the KV cache beyond 4096 tokens", "to 8192 tokens needs 3.00 GiB",
                          "only 1.00 GiB is available", "ctx = 32768"})
      EXPECT_NE(m.find(s), std::string::npos) << s << " not in " << m;
  }
}

// A session holds its cache in the run's kv_dtype; the bytes follow it.
TEST_F(Broken, SessionsHoldTheKvDtype) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  for (KvDType t : {KvDType::BF16, KvDType::F32}) {
    RunOptions o = small_options();
    o.kv_dtype = t;
    auto m = Model::load(dir_, o);
    Session s = m->new_session();
    EXPECT_EQ(s.kv_dtype(), t);
    std::vector<float> logits(512);
    const std::vector<TokenId> ids = {1, 2, 3};
    m->forward(ids, s, logits.data());
    EXPECT_EQ(Model::kv_cache_bytes(m->config(), 10, t), 2u * 2 * 2 * 10 * 8 * (t == KvDType::F32 ? 4 : 2));
  }
}

TEST_F(Broken, ForwardRefusesBadTokensAndAFullCache) {
  write_config(small_config());
  model::write_checkpoint(dir_, tensors(small_config()), 1 << 30);
  RunOptions o = small_options();
  o.ctx = 4;
  auto m = Model::load(dir_, o);
  std::vector<float> logits(512);
  Session s = m->new_session();
  const std::vector<TokenId> bad = {1, 512};
  EXPECT_THROW(m->forward(bad, s, logits.data()), Error);
  EXPECT_EQ(s.position(), 0);
  const std::vector<TokenId> five = {1, 2, 3, 4, 5};
  EXPECT_THROW(m->forward(five, s, logits.data()), Error);
  const std::vector<TokenId> four = {1, 2, 3, 4};
  m->forward(four, s, logits.data());
  EXPECT_THROW(m->forward({four.data(), 1}, s, logits.data()), Error);
  const std::vector<std::int32_t> rows = {0, 600};
  s.reset();
  EXPECT_THROW(m->forward(four, s, logits.data(), &rows), Error);
}

}  // namespace
}  // namespace qwen3
