// Hub names, the options huggingface_hub's variables give, and the choice of
// files (safetensors shards, a GGUF quantization): no server needed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hub/files.h"
#include "qwen3/error.h"
#include "qwen3/hub.h"

namespace qwen3::hub {
namespace {

namespace fs = std::filesystem;

TEST(ModelNames, OwnerNameRevisionAndQuant) {
  auto n = parse_model_name("Qwen/Qwen3-4B");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->repo, "Qwen/Qwen3-4B");
  EXPECT_EQ(n->revision, "");
  EXPECT_EQ(n->ref(), "main");
  EXPECT_EQ(n->quant, "");
  EXPECT_FALSE(n->gguf());

  n = parse_model_name("Qwen/Qwen3-4B@v1.0");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->repo, "Qwen/Qwen3-4B");
  EXPECT_EQ(n->ref(), "v1.0");

  n = parse_model_name("Qwen/Qwen3-4B-GGUF:Q4_K_M");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->repo, "Qwen/Qwen3-4B-GGUF");
  EXPECT_EQ(n->quant, "Q4_K_M");
  EXPECT_TRUE(n->gguf());
  EXPECT_EQ(n->to_string(), "Qwen/Qwen3-4B-GGUF:Q4_K_M");

  n = parse_model_name("unsloth/Qwen3-4B-GGUF@0123456789abcdef0123456789abcdef01234567:q8_0");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->revision, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(n->quant, "q8_0");
  EXPECT_TRUE(parse_model_name("Qwen/Qwen3-4B-GGUF")->gguf());  // a GGUF repository without a quantization
  EXPECT_EQ(parse_model_name("a.b/c_d-e@refs/pr/1")->revision, "refs/pr/1");
}

TEST(ModelNames, PathsAndOtherTextAreNotHubNames) {
  for (const char* text :
       {"", "Qwen3-4B", "/models/Qwen3-4B", "./Qwen/Qwen3-4B", "a/b/c", "~/x", "Qwen/", "/Qwen", "Qwen//x", "Qw--en/x",
        "Qwen/x..y", "-Qwen/x", "Qwen/x.", "Qwen/x@", "Qwen/x:", "Qwen/x y", "Qwen/x@a b", "Qwen/x@a..b"})
    EXPECT_FALSE(parse_model_name(text)) << text;
}

TEST(ModelNames, AnExistingPathWinsOverTheHubReading) {
  const fs::path dir = fs::temp_directory_path() / ("qwen3-hub-names-" + std::to_string(::getpid()));
  fs::create_directories(dir / "Owner" / "Model");
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  EXPECT_FALSE(hub_model("Owner/Model"));  // the local folder
  EXPECT_TRUE(hub_model("Owner/Other"));   // no such path: the hub
  fs::current_path(cwd);
  fs::remove_all(dir);
}

TEST(ModelNames, CacheFolderAsHuggingfaceHubNamesIt) {
  EXPECT_EQ(repo_folder_name("Qwen/Qwen3-4B"), "models--Qwen--Qwen3-4B");
}

TEST(HubOptions, VariablesAsHuggingfaceHubReadsThem) {
  const fs::path home = fs::temp_directory_path() / ("qwen3-hub-home-" + std::to_string(::getpid()));
  fs::create_directories(home / ".cache" / "huggingface");
  std::ofstream(home / ".cache" / "huggingface" / "token") << "hf_fromfile\n";

  auto o = options_from_environment({{"HOME", home.string()}});
  EXPECT_EQ(o.cache_dir, home / ".cache" / "huggingface" / "hub");
  EXPECT_EQ(o.endpoint, std::string(kDefaultEndpoint));
  EXPECT_EQ(o.token, "hf_fromfile");  // what huggingface-cli login writes
  EXPECT_FALSE(o.offline);

  o = options_from_environment({{"HOME", home.string()}, {"XDG_CACHE_HOME", "/xdg"}});
  EXPECT_EQ(o.cache_dir, fs::path("/xdg/huggingface/hub"));
  o = options_from_environment({{"HOME", home.string()}, {"XDG_CACHE_HOME", "/xdg"}, {"HF_HOME", "/hf"}});
  EXPECT_EQ(o.cache_dir, fs::path("/hf/hub"));
  EXPECT_EQ(o.token, "");  // $HF_HOME/token: none there
  o = options_from_environment({{"HOME", home.string()}, {"HF_HOME", "~/hf"}, {"HF_HUB_CACHE", "/hub"}});
  EXPECT_EQ(o.cache_dir, fs::path("/hub"));
  o = options_from_environment({{"HOME", home.string()}, {"HUGGINGFACE_HUB_CACHE", "~/old"}});
  EXPECT_EQ(o.cache_dir, home / "old");

  o = options_from_environment({{"HOME", home.string()}, {"HF_TOKEN", " hf_env "}, {"HF_ENDPOINT", "http://mirror/"}});
  EXPECT_EQ(o.token, "hf_env");
  EXPECT_EQ(o.endpoint, "http://mirror");
  o = options_from_environment({{"HOME", home.string()}, {"HF_TOKEN_PATH", (home / "t").string()}});
  EXPECT_EQ(o.token, "");

  for (const char* yes : {"1", "ON", "yes", "True"})
    EXPECT_TRUE(options_from_environment({{"HF_HUB_OFFLINE", yes}}).offline) << yes;
  for (const char* no : {"0", "", "off", "2"})
    EXPECT_FALSE(options_from_environment({{"HF_HUB_OFFLINE", no}}).offline) << no;
  EXPECT_TRUE(options_from_environment({{"TRANSFORMERS_OFFLINE", "1"}}).offline);
  fs::remove_all(home);
}

TEST(HubFiles, ShardsOfASafetensorsIndex) {
  const std::string index = R"({"metadata": {"total_size": 1},
    "weight_map": {"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
                   "c": "model-00001-of-00002.safetensors"}})";
  EXPECT_EQ(detail::index_shards(index, "index.json"),
            (std::vector<std::string>{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}));
  EXPECT_THROW(detail::index_shards("{}", "index.json"), Error);
  EXPECT_THROW(detail::index_shards(R"({"weight_map": {"a": "../../etc/passwd"}})", "index.json"), Error);
}

TEST(HubFiles, AQuantizationPicksItsGgufFile) {
  const std::vector<std::string> files = {"README.md",
                                          "Qwen3-4B-Q4_K_S.gguf",
                                          "Qwen3-4B-Q4_K_M.gguf",
                                          "Qwen3-4B-Q8_0.gguf",
                                          "mmproj-Q8_0.gguf",
                                          "Qwen3-4B-BF16.gguf",
                                          "params"};
  using detail::choose_gguf;
  EXPECT_EQ(choose_gguf(files, "Q8_0", "m"), std::vector<std::string>{"Qwen3-4B-Q8_0.gguf"});
  EXPECT_EQ(choose_gguf(files, "q4_k_m", "m"), std::vector<std::string>{"Qwen3-4B-Q4_K_M.gguf"});
  EXPECT_EQ(choose_gguf(files, "", "m"), std::vector<std::string>{"Qwen3-4B-Q4_K_M.gguf"});  // llama-cli's default
  EXPECT_EQ(choose_gguf({"b-Q8_0.gguf", "a-F16.gguf"}, "", "m"), std::vector<std::string>{"a-F16.gguf"});
  try {
    choose_gguf(files, "Q4_K", "Qwen/Qwen3-4B-GGUF:Q4_K");  // not Q4_K_M or Q4_K_S
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("available: BF16, Q4_K_M, Q4_K_S, Q8_0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(choose_gguf({"README.md"}, "", "m"), Error);
}

TEST(HubFiles, ASplitGgufComesWithEveryPart) {
  const std::vector<std::string> files = {"Q8_0/Qwen3-Q8_0-00002-of-00002.gguf", "Q8_0/Qwen3-Q8_0-00001-of-00002.gguf",
                                          "Qwen3-Q4_K_M.gguf"};
  EXPECT_EQ(detail::choose_gguf(files, "Q8_0", "m"),
            (std::vector<std::string>{"Q8_0/Qwen3-Q8_0-00001-of-00002.gguf", "Q8_0/Qwen3-Q8_0-00002-of-00002.gguf"}));
  EXPECT_THROW(detail::choose_gguf({"Qwen3-Q8_0-00001-of-00002.gguf"}, "Q8_0", "m"), Error);  // a part missing
}

}  // namespace
}  // namespace qwen3::hub
