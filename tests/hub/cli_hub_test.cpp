// The program with hub names, against the local hub-like server: HF_ENDPOINT
// points at it and HF_HUB_CACHE at a fresh folder. `chat --model OWNER/NAME`
// downloads and answers as with the checkpoint folder; pull, list and rm
// manage the cache; offline runs use it alone.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/run_cli.h"
#include "common/test_paths.h"
#include "hub/hub_server.h"
#include "qwen3/hub.h"

namespace qwen3 {
namespace {

namespace fs = std::filesystem;
using test::is_one_line_error;
using test::run_qwen3;

constexpr const char* kRepo = "test/tiny-qwen3-a";

class HubCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    cache_ = fs::temp_directory_path() / ("qwen3-hubcli-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(cache_);
    server_.add(test::HubRepo::from_folder(kRepo, test::fixture_dir()));
    server_.start();
  }
  void TearDown() override {
    server_.stop();
    fs::remove_all(cache_);
  }

  // The program with the test hub and cache, and no token or settings from
  // this machine; `env` comes after those (the last assignment wins).
  test::CliResult run(const std::vector<std::string>& args, const std::string& input = "",
                      std::vector<std::string> env = {}) {
    env.insert(env.begin(), {"HF_ENDPOINT=" + server_.endpoint(), "HF_HUB_CACHE=" + cache_.string(),
                             "HF_TOKEN=", "HF_TOKEN_PATH=" + (cache_ / "no-token").string(), "HF_HUB_OFFLINE=",
                             "QWEN3_MODEL=", "QWEN3_CONFIG=", "XDG_CONFIG_HOME=" + (cache_ / "no-config").string()});
    return run_qwen3(args, input, env);
  }

  fs::path cache_;
  test::HubServer server_;
};

TEST_F(HubCli, ChatWithAHubModelAnswersAsWithItsFolder) {
  const std::vector<std::string> flags = {"--seed", "7", "--max-new-tokens", "12", "--threads", "2", "--ctx", "256"};
  auto args = std::vector<std::string>{"chat", "--model", kRepo};
  args.insert(args.end(), flags.begin(), flags.end());
  const auto hub = run(args, "Hello there\n");
  ASSERT_EQ(hub.status, 0) << hub.err;
  EXPECT_NE(hub.err.find("qwen3: downloaded test/tiny-qwen3-a model.safetensors"), std::string::npos) << hub.err;

  args[2] = test::fixture_dir().string();
  const auto local = run(args, "Hello there\n");
  ASSERT_EQ(local.status, 0) << local.err;
  EXPECT_EQ(hub.out, local.out);
  EXPECT_FALSE(hub.out.empty());

  // The second run finds everything in the cache.
  args[2] = kRepo;
  const auto again = run(args, "Hello there\n");
  EXPECT_EQ(again.out, local.out);
  EXPECT_EQ(again.err.find("downloaded"), std::string::npos) << again.err;
  EXPECT_EQ(server_.body_gets("model.safetensors"), 1);
}

TEST_F(HubCli, EveryCommandTakesAHubName) {
  const auto tok = run({"tokenize", "--model", kRepo, "--json"}, "Hello world");
  ASSERT_EQ(tok.status, 0) << tok.err;
  EXPECT_EQ(tok.out, "[9707,1879]\n");
  EXPECT_EQ(server_.body_gets("model.safetensors"), 0);  // the tokenizer needs no weights

  const auto info = run({"info", "--model", kRepo});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("layers            3"), std::string::npos) << info.out;

  // generation_config.json of the hub model is a source of the settings, as a folder's is.
  const auto show = run({"config", "show", "--model", kRepo, "--json"});
  ASSERT_EQ(show.status, 0) << show.err;
  const auto j = nlohmann::json::parse(show.out);
  EXPECT_EQ(j["sampling"]["thinking"]["top_k"]["source"], "generation_config");
  EXPECT_NE(j["generation_config"].get<std::string>().find("snapshots"), std::string::npos);
}

TEST_F(HubCli, PullListRm) {
  const auto pull = run({"pull", kRepo, "--only", "tokenizer"});
  ASSERT_EQ(pull.status, 0) << pull.err;
  const std::string folder = pull.out.substr(0, pull.out.size() - 1);
  EXPECT_TRUE(fs::exists(fs::path(folder) / "tokenizer.json")) << pull.out;
  EXPECT_FALSE(fs::exists(fs::path(folder) / "model.safetensors"));

  ASSERT_EQ(run({"pull", kRepo}).status, 0);
  EXPECT_TRUE(fs::exists(fs::path(folder) / "model.safetensors"));

  const auto list = run({"list"});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("test/tiny-qwen3-a"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("31.3 MB"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("main ("), std::string::npos) << list.out;
  const auto json = nlohmann::json::parse(run({"list", "--json"}).out);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["model"], kRepo);
  EXPECT_EQ(json[0]["revisions"][0]["refs"][0], "main");
  EXPECT_EQ(json[0]["revisions"][0]["complete"], true);

  const auto rm = run({"rm", kRepo});
  ASSERT_EQ(rm.status, 0) << rm.err;
  EXPECT_NE(rm.out.find("removed test/tiny-qwen3-a"), std::string::npos);
  EXPECT_NE(run({"list"}).out.find("no models in"), std::string::npos);
  EXPECT_TRUE(is_one_line_error(run({"rm", kRepo}), "test/tiny-qwen3-a is not in the cache"));
}

TEST_F(HubCli, OfflineUsesTheCacheAlone) {
  auto r = run({"info", "--model", kRepo, "--offline"});
  EXPECT_TRUE(is_one_line_error(r, "test/tiny-qwen3-a is not in the cache")) << r.err;
  EXPECT_EQ(server_.requests(), 0);
  ASSERT_EQ(run({"pull", kRepo}).status, 0);
  const int before = server_.requests();
  r = run({"info", "--model", kRepo, "--offline"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run({"info", "--model", kRepo}, "", {"HF_HUB_OFFLINE=1"});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run({"info", "--model", kRepo}, "", {"QWEN3_OFFLINE=true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(server_.requests(), before);
}

TEST_F(HubCli, HubErrorsAreOneLine) {
  auto r = run({"generate", "--model", "test/nope", "--prompt", "hi"});
  EXPECT_TRUE(is_one_line_error(r, "test/nope: repository not found on " + server_.endpoint())) << r.err;
  EXPECT_NE(r.err.find("HF_TOKEN"), std::string::npos);
  r = run({"pull", "test/tiny-qwen3-a@nope"});
  EXPECT_TRUE(is_one_line_error(r, "revision nope not found")) << r.err;
  r = run({"pull", "./not-a-name"});
  EXPECT_TRUE(is_one_line_error(r, "not a hub name")) << r.err;
  server_.stop();  // the hub is gone: nothing cached, so nothing to fall back to
  r = run({"info", "--model", kRepo});
  EXPECT_TRUE(is_one_line_error(r, "cannot reach " + server_.endpoint())) << r.err;
}

// scripts/fetch-tokenizer.sh pulls Qwen/Qwen3-4B's tokenizer with the program
// and checks its sha256 (npm, the fallback, is replaced by a failing stand-in
// here, so nothing leaves the machine).
TEST_F(HubCli, TheTokenizerScriptPullsWithTheProgramAndChecksTheSha256) {
  test::HubRepo qwen;
  qwen.id = "Qwen/Qwen3-4B";
  qwen.commit = std::string(40, 'b');
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) qwen.add(f, read_file(test::tokenizer_dir() / f));
  server_.add(qwen);
  const fs::path bin = cache_ / "bin";
  fs::create_directories(bin);
  std::ofstream(bin / "npm") << "#!/bin/sh\necho 'npm: not in this test' >&2\nexit 1\n";
  fs::permissions(bin / "npm", fs::perms::owner_all);

  auto script = [&](const fs::path& dir) {
    const std::string cmd = "cd " + test::shell_quote(test::source_dir().string()) +
                            " && env PATH=" + test::shell_quote(bin.string() + ":/usr/bin:/bin") +
                            " QWEN3_TOKENIZER_DIR=" + test::shell_quote(dir.string()) +
                            " QWEN3_BIN=" + test::shell_quote(test::qwen3_bin().string()) +
                            " HF_ENDPOINT=" + server_.endpoint() +
                            " HF_HUB_CACHE=" + test::shell_quote((cache_ / "hub").string()) +
                            " HF_TOKEN= HF_HUB_OFFLINE= QWEN3_CONFIG= QWEN3_MODEL= ./scripts/fetch-tokenizer.sh 2>&1";
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int status = ::pclose(p);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  };
  const auto [status, out] = script(cache_ / "tok");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("fetch-tokenizer: hub -> " + (cache_ / "tok").string() + " (sha256 verified)"), std::string::npos)
      << out;
  EXPECT_EQ(read_file(cache_ / "tok" / "tokenizer.json"), read_file(test::tokenizer_dir() / "tokenizer.json"));
  EXPECT_TRUE(fs::exists(cache_ / "hub" / "models--Qwen--Qwen3-4B" / "snapshots" / qwen.commit / "tokenizer.json"));

  // Other bytes than Qwen3's: refused.
  qwen.id = "Qwen/Qwen3-4B";
  qwen.files.clear();
  qwen.commit = std::string(40, 'd');
  qwen.add("tokenizer.json", read_file(test::tokenizer_dir() / "tokenizer.json"));
  qwen.add("tokenizer_config.json", "{}");
  server_.add(qwen);
  const auto [bad_status, bad_out] = script(cache_ / "tok2");
  EXPECT_EQ(bad_status, 1) << bad_out;
  EXPECT_NE(bad_out.find("fetch-tokenizer: error: tokenizer_config.json from hub has sha256"), std::string::npos)
      << bad_out;
  EXPECT_FALSE(fs::exists(cache_ / "tok2" / "tokenizer.json"));  // nothing of a refused pair is kept
}

}  // namespace
}  // namespace qwen3
