// qwen3 quantize (qwen3/quantize.h). The strongest check: every quantized
// fixture (tiny-qwen3-q layout: config.json, dummy.json and model-<TYPE>.gguf
// made by llama.cpp's llama-quantize from the dummy weights) is reproduced
// from its regenerated checkpoint, tensor by tensor: the same names, ggml
// types, dimensions and bytes, and the same tokenizer and architecture
// metadata. Then: the file reads back (config, tokenizer ids on the golden
// vectors, template), its logits equal the model quantized while loading
// (dtype q8_0 / q4_0), and failures are one-line errors that leave no .tmp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "common/file.h"
#include "common/gguf.h"
#include "common/run_cli.h"
#include "common/test_paths.h"
#include "model/gguf_export.h"
#include "model/gguf_fixtures.h"
#include "model/gguf_model.h"
#include "qwen3/chat.h"
#include "qwen3/error.h"
#include "qwen3/model.h"
#include "qwen3/quantize.h"
#include "qwen3/settings.h"
#include "tokenizer/tokenizer_test_util.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;

// A fresh folder under the temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("qwen3-quantize-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Settings settings_for_model(const fs::path& model) {
  SettingsSources sources;
  sources.environment = {{"HF_HUB_OFFLINE", "1"}};
  Settings s = resolve(sources);
  s.model.value = model.string();
  return s;
}

Settings settings_for_dummy(const fs::path& config_json) {
  Settings s = settings_for_model({});
  s.model_config.value = config_json.string();
  s.dummy_weights.value = true;
  return s;
}

// The quantize type that makes a fixture's model-<TYPE>.gguf, if it is one we write.
std::optional<QuantType> type_of_file(const fs::path& gguf) {
  const std::string stem = gguf.stem().string();  // model-Q4_K_M
  std::string type = stem.substr(stem.find('-') + 1);
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  try {
    return parse_quant_type(type);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Folders under shared/fixtures with a dummy checkpoint's description
// (config.json, dummy.json) and at least one GGUF of a type we write.
struct QuantFixture {
  fs::path dir;
  std::vector<std::pair<QuantType, fs::path>> files;
};
std::vector<QuantFixture> quant_fixtures() {
  std::vector<QuantFixture> out;
  for (const auto& d : fs::directory_iterator(test::shared_dir() / "fixtures")) {
    if (!d.is_directory() || !fs::exists(d.path() / "config.json") || !fs::exists(d.path() / "dummy.json")) continue;
    QuantFixture fx{d.path(), {}};
    for (const auto& f : fs::directory_iterator(d.path()))
      if (f.path().extension() == ".gguf")
        if (auto t = type_of_file(f.path())) fx.files.emplace_back(*t, f.path());
    if (!fx.files.empty()) out.push_back(fx);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.dir < b.dir; });
  return out;
}

// The metadata the writer owns (the architecture, its hyperparameters, the
// tokenizer, the template, the file type), as opposed to llama.cpp's
// descriptive general.* keys (name, size label, sampling defaults).
bool compared_key(const std::string& key) {
  return key.starts_with("qwen3.") || key.starts_with("tokenizer.") || key == "general.architecture" ||
         key == "general.file_type" || key == "general.quantization_version" || key == "general.alignment";
}

void expect_same_value(const gguf::Value& a, const gguf::Value& b, const std::string& where) {
  EXPECT_EQ(a.type, b.type) << where;
  EXPECT_EQ(a.element, b.element) << where;
  EXPECT_EQ(a.integer, b.integer) << where;
  EXPECT_EQ(a.number, b.number) << where;
  EXPECT_EQ(a.string, b.string) << where;
  EXPECT_EQ(a.count, b.count) << where;
  EXPECT_TRUE(a.strings == b.strings) << where;
  EXPECT_TRUE(a.integers == b.integers) << where;
  EXPECT_TRUE(a.numbers == b.numbers) << where;
}

// A checkpoint regenerated from each fixture's config.json and dummy.json,
// made once for the whole suite.
class QuantizeGgufFixtures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixtures_ = new std::vector<QuantFixture>(quant_fixtures());
    temp_ = new TempDir("fixtures");
    for (std::size_t i = 0; i < fixtures_->size(); ++i)
      write_dummy_checkpoint((*fixtures_)[i].dir / "config.json", checkpoint(i));
  }
  static void TearDownTestSuite() {
    delete temp_;
    delete fixtures_;
  }
  static fs::path checkpoint(std::size_t i) { return temp_->path / ("checkpoint-" + std::to_string(i)); }
  static fs::path output(const std::string& name) { return temp_->path / name; }

  static std::vector<QuantFixture>* fixtures_;
  static TempDir* temp_;
};
std::vector<QuantFixture>* QuantizeGgufFixtures::fixtures_ = nullptr;
TempDir* QuantizeGgufFixtures::temp_ = nullptr;

TEST_F(QuantizeGgufFixtures, EveryTensorAndTheMetadataEqualLlamaQuantizesFile) {
  if (fixtures_->empty()) GTEST_SKIP() << "no fixture with config.json, dummy.json and a model-<TYPE>.gguf";
  for (std::size_t i = 0; i < fixtures_->size(); ++i) {
    for (const auto& [type, reference_file] : (*fixtures_)[i].files) {
      const fs::path out = output("made-" + reference_file.filename().string());
      const QuantizeResult r = quantize_model(settings_for_model(checkpoint(i)), type, out);
      EXPECT_EQ(r.bytes, fs::file_size(out));
      EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
      const gguf::File ours(out), reference(reference_file);
      const std::string what = reference_file.string();
      EXPECT_EQ(ours.version(), 3u);
      EXPECT_EQ(ours.alignment(), reference.alignment()) << what;
      EXPECT_EQ(ours.data_offset() % ours.alignment(), 0u);

      ASSERT_EQ(ours.tensors().size(), reference.tensors().size()) << what;
      int identical = 0;
      for (const gguf::Tensor& want : reference.tensors()) {
        const gguf::Tensor* got = ours.tensor(want.name);
        ASSERT_NE(got, nullptr) << what << ": " << want.name;
        EXPECT_EQ(gguf::type_name(got->type), gguf::type_name(want.type)) << what << ": " << want.name;
        EXPECT_EQ(got->ne, want.ne) << what << ": " << want.name;
        ASSERT_EQ(got->bytes, want.bytes) << what << ": " << want.name;
        EXPECT_EQ(got->offset % ours.alignment(), 0u) << want.name;
        const bool same = std::memcmp(got->data, want.data, want.bytes) == 0;
        EXPECT_TRUE(same) << what << ": tensor " << want.name << " differs";
        identical += same;
      }
      std::printf("[ %s ] %d of %zu tensors byte-identical\n", what.c_str(), identical, reference.tensors().size());

      for (const auto& [key, value] : reference.metadata())
        if (compared_key(key)) {
          const gguf::Value* got = ours.find(key);
          ASSERT_NE(got, nullptr) << what << ": metadata " << key;
          expect_same_value(*got, value, what + ": metadata " + key);
        }
      for (const auto& [key, value] : ours.metadata())
        EXPECT_TRUE(reference.find(key) != nullptr) << "we write " << key << ", llama.cpp does not";
    }
  }
}

TEST_F(QuantizeGgufFixtures, DummyWeightsWriteTheSameFileAsTheirCheckpoint) {
  if (fixtures_->empty()) GTEST_SKIP() << "no quantized fixture";
  const QuantFixture& fx = fixtures_->front();
  for (QuantType type : {QuantType::Q8_0, QuantType::Q4_K_M}) {
    const std::string name(quant_type_name(type));
    const fs::path a = output("from-checkpoint-" + name + ".gguf"), b = output("from-dummy-" + name + ".gguf");
    quantize_model(settings_for_model(checkpoint(0)), type, a);
    quantize_model(settings_for_dummy(fx.dir / "config.json"), type, b);
    EXPECT_EQ(read_file(a), read_file(b)) << name;
  }
}

TEST_F(QuantizeGgufFixtures, TheFileReadsBackAsTheSameModelTokenizerAndTemplate) {
  if (fixtures_->empty()) GTEST_SKIP() << "no quantized fixture";
  const fs::path out = output("readback.gguf");
  quantize_model(settings_for_model(checkpoint(0)), QuantType::Q4_K_M, out);

  test::expect_same_config(ModelConfig::load(out), ModelConfig::load(fixtures_->front().dir / "config.json"),
                           out.string());

  const Tokenizer tok = Tokenizer::from_gguf(out);
  const Tokenizer& reference = test::qwen3_tokenizer();
  EXPECT_EQ(tok.vocab_size(), reference.vocab_size());
  EXPECT_EQ(tok.merges(), reference.merges());
  const auto golden = test::read_json(test::shared_dir() / "golden" / "tokenizer_vectors.json");
  ASSERT_FALSE(golden["vectors"].empty());
  for (const auto& v : golden["vectors"]) {
    const auto ids = v["ids"].get<std::vector<TokenId>>();
    EXPECT_EQ(tok.encode(v["text"].get<std::string>()), ids) << v["name"];
    EXPECT_EQ(tok.decode(ids, true), v["decoded_skip_special"].get<std::string>()) << v["name"];
  }
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(out).sha256(), ChatTemplate::kQwen3Sha256);

  RunOptions o;
  o.threads = 2;
  o.ctx = 32;
  EXPECT_EQ(Model::load(out, o)->weight_dtype(), "q4_k+q6_k");
}

std::vector<float> logits(const Model& m) {
  const std::vector<TokenId> tokens = {151644, 872, 198, 9707, 11, 1879, 0, 151645, 198, 151644, 77091};
  Session s = m.new_session();
  std::vector<float> out(tokens.size() * static_cast<std::size_t>(m.config().vocab_size));
  m.forward_all(tokens, s, out.data());
  return out;
}

// A checkpoint quantized to a file and the same checkpoint quantized while
// loading hold the same blocks: the same logits, bit for bit.
TEST(QuantizeGguf, TheFileGivesTheLogitsOfDtypeQuantizedLoading) {
  const fs::path dir = test::fixture_dir();  // tiny-qwen3-a: a BF16 checkpoint with its tokenizer
  TempDir temp("logits");
  for (const auto& [type, dtype] :
       {std::pair{QuantType::Q8_0, WeightDType::Q8_0}, {QuantType::Q4_0, WeightDType::Q4_0}}) {
    const fs::path out = temp.path / (std::string(quant_type_name(type)) + ".gguf");
    quantize_model(settings_for_model(dir), type, out);
    RunOptions o;
    o.threads = 2;
    o.ctx = 32;
    const auto file = Model::load(out, o);
    o.dtype = dtype;
    const auto loaded = Model::load(dir, o);
    EXPECT_EQ(file->weight_dtype(), quant_type_name(type));
    EXPECT_EQ(file->weight_bytes(), loaded->weight_bytes());
    EXPECT_EQ(logits(*file), logits(*loaded)) << quant_type_name(type);
  }
}

TEST(QuantizeGguf, RowsThatAreNotWholeSuperBlocksAreRefusedByTensor) {
  TempDir temp("rows");
  const fs::path out = temp.path / "x.gguf";
  try {
    quantize_model(settings_for_model(test::fixture_dir()), QuantType::Q4_K_M, out);  // hidden size 64
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor model.embed_tokens.weight has rows of 64 values"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(temp.path));
}

TEST(QuantizeGguf, TypesAreNamedAsLlamaCppNamesThem) {
  for (QuantType t : {QuantType::Q8_0, QuantType::Q4_0, QuantType::Q4_K_M})
    EXPECT_EQ(parse_quant_type(quant_type_name(t)), t);
  try {
    parse_quant_type("q5_k_m");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "quantize type \"q5_k_m\" is not supported (expected q8_0, q4_0 or q4_k_m)");
  }
}

// Q4_K_M's mixture on a 36-layer model (Qwen3-4B's depth), as llama-quantize
// chooses it: the more-bits layers of attn_v and ffn_down.
TEST(QuantizeGguf, Q4KMGivesMoreBitsWhereLlamaQuantizeDoes) {
  ModelConfig c = ModelConfig::load(test::fixture_dir() / "config.json");
  c.num_hidden_layers = 36;
  std::vector<int> six;
  for (int l = 0; l < 36; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const auto type = [&](const std::string& n) {
      return model::gguf_tensor_type(QuantType::Q4_K_M, c, {p + n, {256, 256}});
    };
    EXPECT_EQ(type("self_attn.v_proj.weight"), type("mlp.down_proj.weight"));
    EXPECT_EQ(type("self_attn.q_proj.weight"), gguf::kQ4_K);
    if (type("self_attn.v_proj.weight") == gguf::kQ6_K) six.push_back(l);
  }
  EXPECT_EQ(six, (std::vector<int>{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 31, 32, 33, 34, 35}));
  EXPECT_EQ(model::gguf_tensor_type(QuantType::Q4_K_M, c, {"model.embed_tokens.weight", {151936, 256}}), gguf::kQ6_K);
  EXPECT_EQ(model::gguf_tensor_type(QuantType::Q4_K_M, c, {"model.norm.weight", {256}}), gguf::kF32);
  c.tie_word_embeddings = false;
  EXPECT_EQ(model::gguf_tensor_type(QuantType::Q4_K_M, c, {"model.embed_tokens.weight", {151936, 256}}), gguf::kQ4_K);
  EXPECT_EQ(model::gguf_tensor_type(QuantType::Q4_K_M, c, {"lm_head.weight", {151936, 256}}), gguf::kQ6_K);
  EXPECT_EQ(model::gguf_tensor_type(QuantType::Q4_0, c, {"lm_head.weight", {151936, 256}}), gguf::kQ4_0);
}

// A source that fails part of the way through the tensors.
class FailingSource final : public model::FloatSource {
 public:
  void read_rows(const model::TensorSpec& spec, std::int64_t r0, std::int64_t r1, float* out) const override {
    if (spec.name.find("layers.1.") != std::string::npos) throw Error("source failed at " + spec.name);
    std::fill(out, out + (r1 - r0) * spec.shape.back(), 0.5f);
  }
};

TEST(QuantizeGguf, AFailureLeavesNoTmpAndTheOldFileUntouched) {
  TempDir temp("fail");
  const fs::path out = temp.path / "model.gguf";
  { std::ofstream(out) << "old"; }
  const ModelConfig c = ModelConfig::load(test::fixture_dir() / "config.json");
  try {
    gguf::Writer w(out);
    model::add_model_metadata(w, c, QuantType::Q8_0);
    model::write_model_tensors(w, c, FailingSource(), QuantType::Q8_0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "source failed at model.layers.1.input_layernorm.weight");
  }
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
  EXPECT_EQ(read_file(out), "old");
}

TEST(QuantizeGgufCli, BadArgumentsAreOneLineErrors) {
  TempDir temp("cli");
  const std::string model = test::fixture_dir().string();
  const std::string out = (temp.path / "m.gguf").string();
  const std::vector<std::string> env = {"HF_HUB_OFFLINE=1"};
  const auto expect_error = [&](const std::vector<std::string>& args, const std::string& fragment) {
    const test::CliResult r = test::run_qwen3(args, "", env);
    EXPECT_NE(r.status, 0) << fragment;
    EXPECT_TRUE(test::is_one_line_error(r, fragment)) << r.err;
  };
  expect_error({"quantize", "--model", model, "--type", "q3_k", "--out", out},
               "quantize type \"q3_k\" is not supported");
  expect_error({"quantize", "--model", model, "--type", "q8_0"}, "--out");
  expect_error({"quantize", "--model", model, "--type", "q8_0", "--out", temp.path.string()}, "it is a folder");
  expect_error({"quantize", "--model", model, "--type", "q8_0", "--out", (temp.path / "no/such/m.gguf").string()},
               "no folder");
  expect_error({"quantize", "--model", model, "--type", "q8_0", "--out", "/proc/qwen3-test.gguf"},
               "cannot write /proc/qwen3-test.gguf");
  expect_error({"quantize", "--type", "q8_0", "--out", out}, "no model to quantize");
  EXPECT_TRUE(fs::is_empty(temp.path));
  EXPECT_FALSE(fs::exists("/proc/qwen3-test.gguf.tmp"));

  const test::CliResult ok = test::run_qwen3({"quantize", "--model", model, "--type", "q8_0", "--out", out}, "", env);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("q8_0"), std::string::npos) << ok.out;
  EXPECT_EQ(Tokenizer::from_gguf(out).vocab_size(), test::qwen3_tokenizer().vocab_size());
}

}  // namespace
}  // namespace qwen3
