// The model commands of the qwen3 program, run as a user runs them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/file.h"
#include "common/run_cli.h"
#include "common/test_paths.h"
#include "model/reference_data.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

using Result = test::CliResult;

// Runs qwen3 with space-separated arguments (no argument here contains a space).
Result qwen3_cli(const std::string& args) {
  std::vector<std::string> argv;
  std::istringstream words(args);
  for (std::string w; words >> w;) argv.push_back(w);
  return test::run_qwen3(argv);
}

std::string csv(const std::vector<std::int32_t>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s;
}

TEST(Cli, InfoDescribesQwen3_4B) {
  const Result r = qwen3_cli("info --model-config qwen3-4b --dummy-weights --ctx 32768");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* s : {"Qwen3ForCausalLM", "4.02 B (4022468096)", "layers            36",
                        "32 query, 8 key/value (GQA 4:1), head_dim 128", "151936", "40960 native", "bf16", "7.49 GiB",
                        "9.00 GiB at ctx 32768 in f32", "4.50 GiB in bf16", "288 KiB per token"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " not in\n" << r.out;
  const Result bf16 = qwen3_cli("info --model-config qwen3-4b --dummy-weights --ctx 4096 --kv-dtype bf16");
  ASSERT_EQ(bf16.status, 0) << bf16.err;
  EXPECT_NE(bf16.out.find("0.56 GiB at ctx 4096 in bf16 (kv_dtype; 1.12 GiB in f32), 144 KiB per token"),
            std::string::npos)
      << bf16.out;
}

TEST(Cli, InfoOfACheckpoint) {
  const json c = json::parse(read_file(test::fixture_dir() / "config.json"));
  const Result r = qwen3_cli("info --model " + test::fixture_arg() + " --dtype f32 --ctx 100");
  ASSERT_EQ(r.status, 0) << r.err;
  const int heads = c["num_attention_heads"], kv = c["num_key_value_heads"];
  const std::string layers = "layers            " + std::to_string(c["num_hidden_layers"].get<int>()) + "\n";
  const std::string attention = std::to_string(heads) + " query, " + std::to_string(kv) + " key/value (GQA " +
                                std::to_string(heads / kv) + ":1), head_dim " +
                                std::to_string(c["head_dim"].get<int>());
  for (const std::string& s : {layers, attention, std::string("f32"), std::string("at ctx 100")})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " not in\n" << r.out;
}

TEST(Cli, LogitsJsonMatchesTheReference) {
  const auto ref = test::fixture_dir() / "reference";
  const auto p = test::reference_prompts(ref).front();
  const Result r = qwen3_cli("logits --model " + test::fixture_arg() + " --ids " + csv(p.tokens) + " --top-k 5 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto ids = test::read_array<std::int32_t>(ref / (p.name + ".top20_ids.i32"));
  const auto values = test::read_array<float>(ref / (p.name + ".top20_logits.f32"));
  std::istringstream lines(r.out);
  std::string line;
  std::size_t pos = 0;
  for (; std::getline(lines, line); ++pos) {
    const json j = json::parse(line);
    EXPECT_EQ(j["pos"], pos);
    ASSERT_EQ(j["top"].size(), 5u);
    for (int k = 0; k < 5; ++k) {
      // Ranks agree with the reference up to swaps of near-equal logits.
      EXPECT_NEAR(j["top"][k][1].get<float>(), values[pos * 20 + k], test::kLogitTolerance);
      if (k > 0) {
        EXPECT_GE(j["top"][k - 1][1].get<float>(), j["top"][k][1].get<float>());
      }
    }
    // The same top id, unless the reference's first two are closer than the tolerance.
    if (j["top"][0][0] != ids[pos * 20]) {
      EXPECT_LT(values[pos * 20] - values[pos * 20 + 1], test::kLogitTolerance) << "pos " << pos;
    }
  }
  EXPECT_EQ(pos, p.tokens.size());
}

TEST(Cli, GenerateGreedyJsonMatchesTheReference) {
  const auto p = test::reference_prompts(test::fixture_dir() / "reference")[2];
  const Result r = qwen3_cli("generate --model " + test::fixture_arg() + " --prompt-ids " + csv(p.tokens) +
                             " --max-new-tokens 10 --greedy --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::int32_t> expected(p.greedy.begin(), p.greedy.begin() + 10);
  EXPECT_EQ(json::parse(r.out)["ids"].get<std::vector<std::int32_t>>(), expected);
}

TEST(Cli, MakeDummyWritesLoadableCheckpoints) {
  const fs::path out = fs::temp_directory_path() / ("qwen3-make-dummy-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string cfg = (test::fixture_dir() / "config.json").string();
  // The manifest beside the config (the fixture's dummy.json) makes the weights.
  Result r = qwen3_cli("make-dummy --model-config " + cfg + " --out " + (out / "one").string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(read_file(out / "one" / "model.safetensors") == read_file(test::fixture_dir() / "model.safetensors"));
  EXPECT_TRUE(fs::exists(out / "one" / "config.json"));
  // A second run into the same folder is refused unless --force.
  const std::string again = "make-dummy --model-config " + cfg + " --out " + (out / "one").string();
  r = qwen3_cli(again);
  EXPECT_TRUE(test::is_one_line_error(r, "not empty")) << r.err;
  r = qwen3_cli(again + " --force");
  ASSERT_EQ(r.status, 0) << r.err;
  r = qwen3_cli("make-dummy --model-config " + cfg + " --out " + (out / "sharded").string() + " --max-shard-size " +
                std::to_string(fs::file_size(test::fixture_dir() / "model.safetensors") / 3));
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(fs::exists(out / "sharded" / "model.safetensors.index.json"));
  const json index = json::parse(read_file(out / "sharded" / "model.safetensors.index.json"));
  std::set<std::string> shards;
  for (const auto& [name, file] : index["weight_map"].items()) shards.insert(file.get<std::string>());
  EXPECT_GE(shards.size(), 2u);
  for (const auto& f : shards) EXPECT_TRUE(fs::exists(out / "sharded" / f)) << f;
  const std::string gen = " --prompt-ids 1,2,3,4 --max-new-tokens 4 --greedy --seed 1 --json";
  const Result a = qwen3_cli("generate --model " + (out / "sharded").string() + gen);
  const Result b = qwen3_cli("generate --model " + test::fixture_arg() + gen);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  fs::remove_all(out);
}

TEST(Cli, BenchReportsEveryFigure) {
  const Result r =
      qwen3_cli("bench --model " + test::fixture_arg() + " --prompt-tokens 16 --gen-tokens 4 --threads 1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  for (const char* k : {"prefill_tokens_per_s", "decode_tokens_per_s", "time_to_first_token_s", "decode_bandwidth_gbs",
                        "machine_read_bandwidth_gbs", "peak_rss_gib", "prefill_gflops", "decode_kv_bytes_per_token"})
    EXPECT_GT(j[k].get<double>(), 0.0) << k;
  EXPECT_GE(j["machine_bf16_peak_gflops"].get<double>(), 0.0);  // 0 on a CPU without AVX512_BF16
}

TEST(Cli, BenchRepeatsAndMeasuresAtDepth) {
  const Result r =
      qwen3_cli("bench --model " + test::fixture_arg() + " --depth 40 --gen-tokens 4 --repeat 3 --threads 1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["prompt_tokens"], 40);
  EXPECT_EQ(j["repeat"], 3);
  for (const char* k : {"prefill_tokens_per_s", "decode_tokens_per_s", "machine_read_bandwidth_gbs"}) {
    const json& s = j["spread"][k];
    EXPECT_LE(s["min"].get<double>(), s["median"].get<double>()) << k;
    EXPECT_LE(s["median"].get<double>(), s["max"].get<double>()) << k;
  }
  // Decode reads the cache of the whole context: about 40 tokens' worth.
  const json c = json::parse(read_file(test::fixture_dir() / "config.json"));
  const double per_token =
      2.0 * c["num_hidden_layers"].get<int>() * c["num_key_value_heads"].get<int>() * c["head_dim"].get<int>();
  EXPECT_GE(j["decode_kv_bytes_per_token"].get<double>(), 40 * per_token * 2);  // at least bf16
}

// --synthetic-depth: the context's cache is filled, not prefilled; decode is
// measured at that depth and no prefill figure is given.
TEST(Cli, BenchAtSyntheticDepth) {
  const Result r = qwen3_cli("bench --model " + test::fixture_arg() +
                             " --depth 200 --synthetic-depth --gen-tokens 3 --threads 1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["prompt_tokens"], 200);
  EXPECT_TRUE(j["synthetic_context"].get<bool>());
  EXPECT_EQ(j["prefill_tokens_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["decode_tokens_per_s"].get<double>(), 0.0);
  const json c = json::parse(read_file(test::fixture_dir() / "config.json"));
  const double per_token =
      2.0 * c["num_hidden_layers"].get<int>() * c["num_key_value_heads"].get<int>() * c["head_dim"].get<int>();
  EXPECT_GE(j["decode_kv_bytes_per_token"].get<double>(), 200 * per_token * 2);
  const Result text =
      qwen3_cli("bench --model " + test::fixture_arg() + " --depth 50 --synthetic-depth --gen-tokens 2 --threads 1");
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("not measured: the 50 tokens of context are synthetic"), std::string::npos) << text.out;
  const Result no_depth = qwen3_cli("bench --model " + test::fixture_arg() + " --synthetic-depth --gen-tokens 2");
  EXPECT_EQ(no_depth.status, 1);
  EXPECT_NE(no_depth.err.find("synthetic_context"), std::string::npos) << no_depth.err;
}

TEST(Cli, ErrorsAreOneLineAndExitNonZero) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"info --model /no/such/model", "/no/such/model"},
      {"logits --model " + test::fixture_arg() + " --ids 1,2 --ctx 50000", "ctx = 50000"},
      {"logits --model " + test::fixture_arg() + " --ids 1,2 --device cuda", "--device: device = \"cuda\""},
      {"logits --model " + test::fixture_arg() + " --ids 1,x", "--ids"},
      {"logits --model " + test::fixture_arg() + " --ids 1,999999", "999999"},
      {"generate --model " + test::fixture_arg() + " --max-new-tokens 2", "--prompt"},
      {"generate --model-config qwen3-4b --prompt-ids 1 --greedy", "dummy_weights"},
      {"info --model-config no-such-model --dummy-weights", "no-such-model"},
      {"info --model-config qwen3-4b --dummy-weights --ctx -5", "--ctx: ctx = -5"},
      {"info --model-config qwen3-4b --dummy-weights --ctx 999999", "ctx = 999999"},
      {"info --model-config qwen3-4b --dummy-weights --device gpu", "--device: device = \"gpu\""},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = qwen3_cli(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_EQ(r.err.rfind("qwen3: error: ", 0), 0u) << args << ": " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace qwen3
