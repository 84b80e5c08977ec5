// write_dummy_checkpoint: where it refuses to write, what `force` replaces,
// which manifest it uses, and that its checkpoint loads as Model::dummy.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/file.h"
#include "common/test_paths.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

class DummyCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("qwen3-dummy-checkpoint-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "src");
    fs::copy_file(test::fixture_dir() / "config.json", config());
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path config() const { return root_ / "src" / "config.json"; }
  fs::path out() const { return root_ / "out"; }

  // The fixture's manifest with another seed, as src/dummy.json.
  void write_manifest_beside(std::uint64_t seed) {
    json m = json::parse(read_file(test::fixture_dir() / "dummy.json"));
    m["seed"] = seed;
    std::ofstream(root_ / "src" / "dummy.json") << m.dump(2);
  }

  // write_dummy_checkpoint throws an Error whose one line contains every needle.
  void expect_refused(const fs::path& dir, const DummyCheckpointOptions& o, const std::vector<std::string>& needles) {
    try {
      write_dummy_checkpoint(config(), dir, o);
      FAIL() << "writing succeeded";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      for (const auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "'" << n << "' not in: " << m;
    }
  }

  static std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
  }

  static RunOptions small_options() {
    RunOptions o;
    o.ctx = 64;
    o.threads = 1;
    return o;
  }

  // Logits of every position of a short prompt.
  static std::vector<float> logits(const Model& m) {
    const std::vector<TokenId> ids = {1, 2, 3, 4, 5};
    std::vector<float> out(ids.size() * m.config().vocab_size);
    Session s = m.new_session();
    m.forward_all(ids, s, out.data());
    return out;
  }

  fs::path root_;
};

TEST_F(DummyCheckpoint, RefusesANonEmptyFolder) {
  fs::create_directories(out());
  std::ofstream(out() / "notes.txt") << "mine";
  expect_refused(out(), {},
                 {"out_dir " + out().string(), "is not empty", "expected an empty or new folder", "force to replace"});
  EXPECT_EQ(names_in(out()), std::set<std::string>{"notes.txt"});
}

TEST_F(DummyCheckpoint, RefusesTheConfigsFolderEvenWithForce) {
  DummyCheckpointOptions o;
  o.force = true;
  expect_refused(root_ / "src", o, {"out_dir", "is the folder of", config().string()});
  expect_refused(root_ / "src" / ".", o, {"is the folder of"});
  EXPECT_EQ(names_in(root_ / "src"), std::set<std::string>{"config.json"});
}

TEST_F(DummyCheckpoint, ForceReplacesAndLeavesNoStaleShards) {
  fs::copy_file(test::fixture_dir() / "dummy.json", root_ / "src" / "dummy.json");
  fs::copy_file(test::fixture_dir() / "generation_config.json", root_ / "src" / "generation_config.json");
  DummyCheckpointOptions sharded;
  sharded.max_shard_bytes = fs::file_size(test::fixture_dir() / "model.safetensors") / 3;
  const auto files = write_dummy_checkpoint(config(), out(), sharded);
  ASSERT_TRUE(fs::exists(out() / "model.safetensors.index.json"));
  ASSERT_GE(files.size(), 6u);  // >= 3 shards, the index, config.json, generation_config.json, dummy.json
  for (const auto& f : files) EXPECT_TRUE(fs::exists(f)) << f;
  std::ofstream(out() / "notes.txt") << "mine";  // not part of a checkpoint: stays

  fs::remove(root_ / "src" / "generation_config.json");
  expect_refused(out(), {}, {"is not empty"});
  DummyCheckpointOptions one;
  one.force = true;
  const auto written = write_dummy_checkpoint(config(), out(), one);
  EXPECT_EQ(written, (std::vector<fs::path>{out() / "model.safetensors", out() / "config.json", out() / "dummy.json"}));
  EXPECT_EQ(names_in(out()), (std::set<std::string>{"model.safetensors", "config.json", "dummy.json", "notes.txt"}));
  EXPECT_TRUE(read_file(out() / "model.safetensors") == read_file(test::fixture_dir() / "model.safetensors"));
}

TEST_F(DummyCheckpoint, UsesTheManifestBesideTheConfigAndLoadsAsModelDummy) {
  write_manifest_beside(12345);
  EXPECT_EQ(DummyManifest::file_for_config(config()), root_ / "src" / "dummy.json");
  write_dummy_checkpoint(config(), out());
  EXPECT_EQ(read_file(out() / "dummy.json"), read_file(root_ / "src" / "dummy.json"));
  EXPECT_EQ(read_file(out() / "config.json"), read_file(config()));

  const auto loaded = Model::load(out(), small_options());
  const auto dummy = Model::dummy(ModelConfig::load(config()), DummyManifest::for_config(config()), small_options());
  EXPECT_EQ(logits(*loaded), logits(*dummy));
  // ... and not the fixture's weights (seed 91): the manifest beside the config decided.
  const auto fixture = Model::load(test::fixture_dir(), small_options());
  EXPECT_NE(logits(*loaded), logits(*fixture));
}

TEST_F(DummyCheckpoint, WithoutAManifestBesideTheConfigUsesTheCarriedOne) {
  const fs::path carried = data_dir() / "models" / "qwen3-4b" / "dummy.json";
  EXPECT_EQ(DummyManifest::file_for_config(config()), carried);
  write_dummy_checkpoint(config(), out());
  EXPECT_EQ(read_file(out() / "dummy.json"), read_file(carried));
}

TEST_F(DummyCheckpoint, AGivenManifestWins) {
  write_manifest_beside(12345);
  DummyCheckpointOptions o;
  o.manifest = test::fixture_dir() / "dummy.json";
  write_dummy_checkpoint(config(), out(), o);
  EXPECT_TRUE(read_file(out() / "model.safetensors") == read_file(test::fixture_dir() / "model.safetensors"));
  EXPECT_EQ(read_file(out() / "dummy.json"), read_file(test::fixture_dir() / "dummy.json"));
}

TEST_F(DummyCheckpoint, BadInputsAreNamedBeforeAnythingIsWritten) {
  DummyCheckpointOptions o;
  o.max_shard_bytes = 0;
  expect_refused(out(), o, {"max_shard_bytes = 0"});
  std::ofstream(root_ / "src" / "dummy.json") << R"({"generator": "qwen3-dummy-v1", "seed": 1, "kinds": {}})";
  expect_refused(out(), {}, {(root_ / "src" / "dummy.json").string(), "kinds: missing"});
  EXPECT_FALSE(fs::exists(out()));
}

}  // namespace
}  // namespace qwen3
