// fetch() against the local hub-like server (hub_server.h): the cache it
// fills is laid out as huggingface_hub lays it out, downloads resume after a
// cut connection, corrupt bytes are refused, the offline mode and an
// unreachable hub use the cache, two downloads of one model take turns, the
// hub's error answers become one-line errors, and what was downloaded loads
// and matches the fixture's reference logits.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "common/file.h"
#include "common/test_paths.h"
#include "hub/hub_server.h"
#include "model/reference_data.h"
#include "qwen3/error.h"
#include "qwen3/hub.h"
#include "qwen3/model.h"

namespace qwen3::hub {
namespace {

namespace fs = std::filesystem;
using test::HubRepo;
using test::HubServer;

constexpr const char* kRepo = "test/tiny-qwen3-a";

// What fetch() told its observer.
struct Recorder : Observer {
  std::vector<std::string> started, done, notes;
  void on_start(const FileEvent& f) override { started.push_back(f.file); }
  void on_done(const FileEvent& f) override { done.push_back(f.file); }
  void on_note(std::string_view m) override { notes.emplace_back(m); }
  bool noted(const std::string& fragment) const {
    return std::any_of(notes.begin(), notes.end(),
                       [&](const auto& n) { return n.find(fragment) != std::string::npos; });
  }
};

const HubRepo& fixture_repo() {
  static const HubRepo repo = HubRepo::from_folder(kRepo, test::fixture_dir());
  return repo;
}

// A port on 127.0.0.1 where nothing listens.
int closed_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class Hub : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    cache_ = fs::temp_directory_path() / ("qwen3-hub-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(cache_);
    server_.add(fixture_repo());
    server_.start();
    options_ = make_options();
  }
  void TearDown() override {
    server_.stop();
    fs::remove_all(cache_);
  }

  HubOptions make_options(Observer* observer = nullptr) {
    HubOptions o;
    o.cache_dir = cache_;
    o.endpoint = server_.endpoint();
    o.observer = observer ? observer : &recorder_;
    o.retries = 2;
    o.connect_timeout_s = 5;
    o.stall_timeout_s = 10;
    return o;
  }

  Snapshot fetch(const std::string& name, Files what = Files::Model) {
    const auto n = parse_model_name(name);
    if (!n) throw std::runtime_error("not a hub name: " + name);
    return hub::fetch(*n, what, options_);
  }

  fs::path repo_dir(const std::string& repo = kRepo) const { return cache_ / repo_folder_name(repo); }
  fs::path blob(const std::string& file, const HubRepo& repo = fixture_repo()) const {
    return repo_dir(repo.id) / "blobs" / repo.find(file)->etag();
  }

  fs::path cache_;
  HubServer server_;
  Recorder recorder_;
  HubOptions options_;
};

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// The layout huggingface_hub writes: refs/main holds the commit, every
// snapshot file is a relative link ../../blobs/ETAG, the blobs are named by
// their ETag (sha256 for LFS files, git's sha1 otherwise), a lock per blob.
TEST_F(Hub, AFreshCacheHasHuggingfaceHubsLayout) {
  const auto& repo = fixture_repo();
  const Snapshot s = fetch(kRepo);
  EXPECT_EQ(s.commit, repo.commit);
  EXPECT_EQ(s.folder, repo_dir() / "snapshots" / repo.commit);
  EXPECT_EQ(read_file(repo_dir() / "refs" / "main"), repo.commit);  // no newline, as huggingface_hub writes
  EXPECT_EQ(names_in(repo_dir()), (std::set<std::string>{"blobs", "refs", "snapshots"}));

  const std::vector<std::string> expected = {"config.json", "generation_config.json", "tokenizer.json",
                                             "tokenizer_config.json", "model.safetensors"};
  EXPECT_EQ(s.files, expected);
  std::set<std::string> etags;
  for (const auto& name : expected) {
    const auto* file = repo.find(name);
    const fs::path pointer = s.folder / name;
    ASSERT_TRUE(fs::is_symlink(pointer)) << name;
    EXPECT_EQ(fs::read_symlink(pointer), fs::path("../../blobs") / file->etag()) << name;
    EXPECT_EQ(read_file(pointer), *file->content) << name;
    EXPECT_EQ(file->etag().size(), file->lfs ? 64u : 40u) << name;
    EXPECT_TRUE(fs::exists(cache_ / ".locks" / repo_folder_name(kRepo) / (file->etag() + ".lock"))) << name;
    etags.insert(file->etag());
  }
  EXPECT_EQ(names_in(repo_dir() / "blobs"), etags);  // nothing else: no .incomplete, no temporary file
  EXPECT_EQ(names_in(s.folder).size(), expected.size());
  EXPECT_EQ(recorder_.done, expected);
}

TEST_F(Hub, TheDownloadedModelMatchesTheReferenceLogits) {
  const Snapshot s = fetch(kRepo);
  RunOptions run;
  run.threads = 2;
  run.ctx = 1024;
  const auto model = Model::load(s.folder, run);
  const int V = model->config().vocab_size;
  const fs::path ref = test::fixture_dir() / "reference";
  for (const auto& p : test::reference_prompts(ref)) {
    std::vector<float> logits(p.tokens.size() * V);
    Session session = model->new_session();
    model->forward_all(p.tokens, session, logits.data());
    const auto last = test::read_array<float>(ref / (p.name + ".last_logits.f32"));
    EXPECT_LE(test::max_abs_diff(&logits[(p.tokens.size() - 1) * V], last.data(), V), test::kLogitTolerance) << p.name;
  }
}

TEST_F(Hub, ACachedModelCostsOneRequestAndOfflineNone) {
  fetch(kRepo);
  const int before = server_.requests();
  const Snapshot again = fetch(kRepo);
  EXPECT_EQ(server_.requests() - before, 1);  // the revision's commit, nothing downloaded
  EXPECT_EQ(server_.body_gets("model.safetensors"), 1);

  options_.offline = true;
  const Snapshot offline = fetch(kRepo);
  EXPECT_EQ(server_.requests() - before, 1);
  EXPECT_EQ(offline.folder, again.folder);
  EXPECT_EQ(offline.files, again.files);

  // A commit as the revision: no request at all, online.
  options_.offline = false;
  fetch(std::string(kRepo) + "@" + fixture_repo().commit);
  EXPECT_EQ(server_.requests() - before, 1);
}

TEST_F(Hub, OfflineWithoutTheFilesIsAClearError) {
  options_.offline = true;
  std::string e = error_of([&] { fetch(kRepo); });
  EXPECT_NE(e.find("test/tiny-qwen3-a is not in the cache"), std::string::npos) << e;
  EXPECT_NE(e.find("offline"), std::string::npos) << e;
  EXPECT_EQ(server_.requests(), 0);

  options_.offline = false;
  fetch(kRepo, Files::Tokenizer);
  options_.offline = true;
  e = error_of([&] { fetch(kRepo); });
  EXPECT_NE(e.find("config.json is not in the cache"), std::string::npos) << e;
  EXPECT_NE(e.find("HF_HUB_OFFLINE"), std::string::npos) << e;
  EXPECT_EQ(fetch(kRepo, Files::Tokenizer).files,
            (std::vector<std::string>{"tokenizer.json", "tokenizer_config.json"}));
}

TEST_F(Hub, OnlyTheFilesAskedForAreDownloaded) {
  const Snapshot s = fetch(kRepo, Files::Tokenizer);
  EXPECT_EQ(s.files, (std::vector<std::string>{"tokenizer.json", "tokenizer_config.json"}));
  EXPECT_EQ(names_in(repo_dir() / "blobs").size(), 2u);
  EXPECT_EQ(server_.body_gets("model.safetensors"), 0);
  EXPECT_EQ(fetch(kRepo, Files::Config).files, (std::vector<std::string>{"config.json", "generation_config.json"}));
  EXPECT_EQ(server_.body_gets("model.safetensors"), 0);
}

TEST_F(Hub, AnUnreachableHubFallsBackToTheCache) {
  fetch(kRepo);
  options_.endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
  const Snapshot s = fetch(kRepo);
  EXPECT_EQ(s.commit, fixture_repo().commit);
  EXPECT_TRUE(recorder_.noted("cannot reach")) << (recorder_.notes.empty() ? "" : recorder_.notes[0]);

  fs::remove_all(cache_);
  const std::string e = error_of([&] { fetch(kRepo); });
  EXPECT_NE(e.find("cannot reach http://127.0.0.1:"), std::string::npos) << e;
  EXPECT_NE(e.find("not in the cache"), std::string::npos) << e;
}

TEST_F(Hub, ServerErrorsFallBackToTheCacheOrSaySo) {
  server_.status = 500;
  std::string e = error_of([&] { fetch(kRepo); });
  EXPECT_NE(e.find("server error 500"), std::string::npos) << e;
  server_.status = 0;
  fetch(kRepo);
  server_.status = 503;
  EXPECT_NO_THROW(fetch(kRepo));
  EXPECT_TRUE(recorder_.noted("server error 503"));
}

TEST_F(Hub, ACutConnectionResumesWithARangeRequest) {
  const std::string size = std::to_string(fixture_repo().find("model.safetensors")->content->size());
  server_.cut("model.safetensors", 1);
  const Snapshot s = fetch(kRepo);
  EXPECT_EQ(read_file(s.folder / "model.safetensors"), *fixture_repo().find("model.safetensors")->content);
  EXPECT_EQ(server_.body_gets("model.safetensors"), 2);
  ASSERT_EQ(server_.ranges().size(), 1u);
  EXPECT_EQ(server_.ranges()[0], "bytes=" + std::to_string(std::stoull(size) / 2) + "-");
  EXPECT_TRUE(recorder_.noted("connection lost"));
}

TEST_F(Hub, AnInterruptedDownloadResumesInTheNextRun) {
  const auto& weights = *fixture_repo().find("model.safetensors")->content;
  server_.cut("model.safetensors", 1000);
  const std::string e = error_of([&] { fetch(kRepo); });
  EXPECT_NE(e.find("model.safetensors: download interrupted"), std::string::npos) << e;
  EXPECT_NE(e.find("run again to resume"), std::string::npos) << e;
  const fs::path part = blob("model.safetensors").string() + ".incomplete";
  ASSERT_TRUE(fs::exists(part));
  const auto have = fs::file_size(part);
  EXPECT_GT(have, weights.size() / 2);
  EXPECT_LT(have, weights.size());
  EXPECT_FALSE(fs::exists(fs::path(blob("model.safetensors"))));
  EXPECT_FALSE(fs::exists(repo_dir() / "snapshots" / fixture_repo().commit / "model.safetensors"));

  server_.cut("model.safetensors", 0);
  const Snapshot s = fetch(kRepo);
  EXPECT_EQ(server_.ranges().back(), "bytes=" + std::to_string(have) + "-");
  EXPECT_EQ(read_file(s.folder / "model.safetensors"), weights);
  EXPECT_FALSE(fs::exists(part));
}

TEST_F(Hub, AServerThatIgnoresTheRangeSendsTheWholeFileAgain) {
  server_.cut("model.safetensors", 1);
  server_.ignore_ranges = true;
  const Snapshot s = fetch(kRepo);
  EXPECT_EQ(read_file(s.folder / "model.safetensors"), *fixture_repo().find("model.safetensors")->content);
}

TEST_F(Hub, CorruptBytesAreRefusedAndNeverVisible) {
  server_.corrupt = true;
  const std::string e = error_of([&] { fetch(kRepo); });
  EXPECT_NE(e.find("tokenizer.json: sha256 "), std::string::npos) << e;
  EXPECT_NE(e.find("does not match the hub's " + fixture_repo().find("tokenizer.json")->etag()), std::string::npos)
      << e;
  EXPECT_NE(e.find("corrupt"), std::string::npos) << e;
  for (const auto& f : fixture_repo().files)
    if (f.lfs) {
      EXPECT_FALSE(fs::exists(blob(f.name))) << f.name;
      EXPECT_FALSE(fs::exists(blob(f.name).string() + ".incomplete")) << f.name;
      EXPECT_FALSE(fs::exists(repo_dir() / "snapshots" / fixture_repo().commit / f.name)) << f.name;
    }
  server_.corrupt = false;
  const Snapshot s = fetch(kRepo);
  EXPECT_EQ(read_file(s.folder / "tokenizer.json"), *fixture_repo().find("tokenizer.json")->content);
}

TEST_F(Hub, AFileLargerThanTheFreeSpaceIsRefusedBeforeItStarts) {
  server_.announced_size = 1ll << 60;
  const std::string e = error_of([&] { fetch(kRepo); });
  EXPECT_NE(e.find("disk full: test/tiny-qwen3-a tokenizer.json needs 1073741824.00 GiB"), std::string::npos) << e;
  EXPECT_EQ(server_.body_gets("tokenizer.json"), 0);
}

TEST_F(Hub, TwoDownloadsOfOneModelTakeTurns) {
  server_.chunk_delay_ms = 1;
  Recorder a, b;
  std::string error_a, error_b;
  const HubOptions oa = make_options(&a), ob = make_options(&b);
  const auto name = *parse_model_name(kRepo);
  std::thread ta([&] { error_a = error_of([&] { hub::fetch(name, Files::Model, oa); }); });
  std::thread tb([&] { error_b = error_of([&] { hub::fetch(name, Files::Model, ob); }); });
  ta.join();
  tb.join();
  EXPECT_EQ(error_a, "(no error)");
  EXPECT_EQ(error_b, "(no error)");
  for (const auto& f : fixture_repo().files)
    if (f.name != "dummy.json" && f.name != "tensors.sha256.json") {
      EXPECT_EQ(server_.body_gets(f.name), 1) << f.name;
    }
  EXPECT_EQ(read_file(repo_dir() / "snapshots" / fixture_repo().commit / "model.safetensors"),
            *fixture_repo().find("model.safetensors")->content);
  EXPECT_EQ(a.done.size() + b.done.size(), 5u);  // each file downloaded by one of them
}

TEST_F(Hub, TheHubsErrorAnswersBecomeOneLineErrors) {
  HubRepo gated = HubRepo::from_folder("test/gated", test::fixture_dir());
  gated.token = "hf_secret";
  gated.gated = true;
  server_.add(gated);
  HubRepo private_repo = HubRepo::from_folder("test/private", test::fixture_dir());
  private_repo.token = "hf_secret";
  server_.add(private_repo);

  std::string e = error_of([&] { fetch("test/nope"); });
  EXPECT_NE(e.find("test/nope: repository not found on " + server_.endpoint()), std::string::npos) << e;
  EXPECT_NE(e.find("set HF_TOKEN"), std::string::npos) << e;
  e = error_of([&] { fetch("test/private"); });
  EXPECT_NE(e.find("repository not found"), std::string::npos) << e;
  e = error_of([&] { fetch("test/gated"); });
  EXPECT_NE(e.find("test/gated is gated: accept its conditions at " + server_.endpoint() + "/test/gated"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("set HF_TOKEN"), std::string::npos) << e;
  e = error_of([&] { fetch(std::string(kRepo) + "@nope"); });
  EXPECT_NE(e.find("test/tiny-qwen3-a: revision nope not found"), std::string::npos) << e;
  for (const auto& message : {e}) EXPECT_EQ(message.find('\n'), std::string::npos);

  options_.token = "hf_wrong";
  e = error_of([&] { fetch("test/gated"); });
  EXPECT_NE(e.find("use a token of that account"), std::string::npos) << e;
  options_.token = "hf_secret";
  EXPECT_NO_THROW(fetch("test/gated"));
  EXPECT_NO_THROW(fetch("test/private"));
}

TEST_F(Hub, AFileTheRevisionLacksIsRememberedAsHuggingfaceHubDoes) {
  HubRepo tok;
  tok.id = "test/tokenizer-only";
  tok.commit = std::string(40, 'c');
  tok.add("tokenizer.json", *fixture_repo().find("tokenizer.json")->content);
  tok.add("tokenizer_config.json", *fixture_repo().find("tokenizer_config.json")->content);
  server_.add(tok);
  EXPECT_EQ(fetch("test/tokenizer-only", Files::Tokenizer).files.size(), 2u);
  const std::string e = error_of([&] { fetch("test/tokenizer-only"); });
  EXPECT_NE(e.find("test/tokenizer-only has no config.json"), std::string::npos) << e;
  EXPECT_TRUE(fs::exists(repo_dir("test/tokenizer-only") / ".no_exist" / tok.commit / "config.json"));
  // Known to be absent: no request for it next time.
  const int before = server_.requests();
  EXPECT_THROW(fetch("test/tokenizer-only"), Error);
  EXPECT_EQ(server_.requests() - before, 1);
}

TEST_F(Hub, RevisionsBranchesTagsAndCommits) {
  HubRepo tagged = fixture_repo();
  tagged.tags["v1.0"] = tagged.commit;
  server_.add(tagged);
  const Snapshot s = fetch(std::string(kRepo) + "@v1.0", Files::Config);
  EXPECT_EQ(read_file(repo_dir() / "refs" / "v1.0"), tagged.commit);
  EXPECT_FALSE(fs::exists(repo_dir() / "refs" / "main"));
  fetch(std::string(kRepo) + "@" + tagged.commit, Files::Config);
  EXPECT_EQ(names_in(repo_dir() / "refs"), std::set<std::string>{"v1.0"});  // a commit is no ref
}

TEST_F(Hub, AShardedCheckpointComesWithItsIndexAndEveryShard) {
  const fs::path dir = cache_.string() + "-src";
  DummyCheckpointOptions o;
  o.max_shard_bytes = 8 << 20;
  write_dummy_checkpoint(test::fixture_dir() / "config.json", dir, o);
  HubRepo sharded = HubRepo::from_folder("test/sharded", dir);
  server_.add(sharded);
  const Snapshot s = fetch("test/sharded");
  EXPECT_TRUE(s.has("model.safetensors.index.json"));
  int shards = 0;
  for (const auto& f : sharded.files)
    if (f.name.ends_with(".safetensors")) {
      ++shards;
      EXPECT_TRUE(s.has(f.name)) << f.name;
    }
  EXPECT_GE(shards, 2);
  EXPECT_TRUE(fs::exists(repo_dir("test/sharded") / ".no_exist" / sharded.commit / "model.safetensors"));

  RunOptions run;
  run.threads = 2;
  run.ctx = 64;
  const auto from_hub = Model::load(s.folder, run), local = Model::load(dir, run);
  const std::vector<TokenId> ids = {9707, 1879, 11, 1246};
  const int V = local->config().vocab_size;
  std::vector<float> a(ids.size() * V), b(ids.size() * V);
  Session sa = from_hub->new_session(), sb = local->new_session();
  from_hub->forward_all(ids, sa, a.data());
  local->forward_all(ids, sb, b.data());
  EXPECT_EQ(a, b);
  fs::remove_all(dir);
}

TEST_F(Hub, AQuantizationNamePicksTheGgufFile) {
  const fs::path q = test::fixture_dir("tiny-qwen3-q");
  HubRepo gguf;
  gguf.id = "test/tiny-qwen3-GGUF";
  gguf.commit = std::string(40, 'a');
  for (const char* f : {"model-Q4_K_M.gguf", "model-Q8_0.gguf", "README.md"}) gguf.add(f, read_file(q / f));
  server_.add(gguf);

  Snapshot s = fetch("test/tiny-qwen3-GGUF:Q8_0");
  EXPECT_EQ(s.gguf, s.folder / "model-Q8_0.gguf");
  EXPECT_EQ(s.model_path(), s.gguf);
  EXPECT_EQ(read_file(s.gguf), read_file(q / "model-Q8_0.gguf"));
  EXPECT_EQ(s.files, std::vector<std::string>{"model-Q8_0.gguf"});
  EXPECT_EQ(server_.body_gets("model-Q4_K_M.gguf"), 0);

  s = fetch("test/tiny-qwen3-GGUF");  // llama-cli's default quantization
  EXPECT_EQ(s.gguf.filename(), "model-Q4_K_M.gguf");

  const std::string e = error_of([&] { fetch("test/tiny-qwen3-GGUF:Q5_K_M"); });
  EXPECT_NE(e.find("test/tiny-qwen3-GGUF:Q5_K_M has no .gguf file for quantization Q5_K_M (available: Q4_K_M, Q8_0)"),
            std::string::npos)
      << e;

  options_.offline = true;  // the cached files answer without the hub
  EXPECT_EQ(fetch("test/tiny-qwen3-GGUF:Q8_0").gguf.filename(), "model-Q8_0.gguf");
  EXPECT_THROW(fetch("test/tiny-qwen3-GGUF:Q5_K_M"), Error);
}

// A cache written by huggingface_hub (built here by hand, as it lays it out) is read as it is.
TEST_F(Hub, ACacheWrittenByHuggingfaceHubIsUsedAsItIs) {
  const std::string commit(40, 'e');
  const fs::path repo = repo_dir("other/model");
  fs::create_directories(repo / "refs");
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "snapshots" / commit);
  std::ofstream(repo / "refs" / "main") << commit;
  for (const char* f :
       {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"}) {
    const auto* file = fixture_repo().find(f);
    fs::copy_file(test::fixture_dir() / f, repo / "blobs" / file->etag());
    fs::create_symlink(fs::path("../../blobs") / file->etag(), repo / "snapshots" / commit / f);
  }
  options_.offline = true;
  const Snapshot s = fetch("other/model");
  EXPECT_EQ(s.commit, commit);
  EXPECT_EQ(s.files.size(), 5u);
  RunOptions run;
  run.threads = 2;
  run.ctx = 16;
  EXPECT_NO_THROW(Model::load(s.folder, run));
}

TEST_F(Hub, TheCacheListsAndRemovesModels) {
  EXPECT_TRUE(list_cache(options_).empty());
  fetch(kRepo);
  fetch(kRepo, Files::Tokenizer);
  const auto models = list_cache(options_);
  ASSERT_EQ(models.size(), 1u);
  const auto& m = models[0];
  EXPECT_EQ(m.repo, kRepo);
  std::uint64_t size = 0;
  for (const char* f :
       {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"})
    size += fixture_repo().find(f)->content->size();
  EXPECT_EQ(m.size, size);
  ASSERT_EQ(m.revisions.size(), 1u);
  EXPECT_EQ(m.revisions[0].commit, fixture_repo().commit);
  EXPECT_EQ(m.revisions[0].refs, std::vector<std::string>{"main"});
  EXPECT_EQ(m.revisions[0].size, size);
  EXPECT_TRUE(m.revisions[0].complete);
  EXPECT_EQ(m.revisions[0].files,
            (std::vector<std::string>{"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                                      "tokenizer_config.json"}));

  EXPECT_THROW(remove_model(*parse_model_name("test/other"), options_), Error);
  EXPECT_THROW(remove_model(*parse_model_name(std::string(kRepo) + "@v9"), options_), Error);
  EXPECT_EQ(remove_model(*parse_model_name(std::string(kRepo) + "@main"), options_), size);
  EXPECT_FALSE(fs::exists(repo_dir()));  // its last revision: the whole folder went
  fetch(kRepo, Files::Config);
  EXPECT_GT(remove_model(*parse_model_name(kRepo), options_), 0u);
  EXPECT_FALSE(fs::exists(repo_dir()));
  EXPECT_FALSE(fs::exists(cache_ / ".locks" / repo_folder_name(kRepo)));
  EXPECT_TRUE(list_cache(options_).empty());
}

}  // namespace
}  // namespace qwen3::hub
