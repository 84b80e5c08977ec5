// Ollama's store (qwen3/ollama.h), built in a temporary folder from the
// quantized fixtures' GGUF files as `ollama pull` lays it out: names and
// tags, every error a broken store can give, the params layer as a source
// of options (below the environment, above the built-in presets, named by
// `config show`), and `--model ollama:NAME:TAG` running the blob exactly as
// the GGUF file itself.
#include "qwen3/ollama.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/run_cli.h"
#include "common/sha256.h"
#include "common/test_paths.h"
#include "model/gguf_fixtures.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/settings.h"

namespace qwen3 {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// A store in a fresh temporary folder.
class Store {
 public:
  Store() : root_(fs::temp_directory_path() / ("qwen3-ollama-" + std::to_string(::getpid()) + "-" + test_name())) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "blobs");
  }
  ~Store() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }

  // A blob holding `bytes` (or a link to `file`); returns its digest.
  std::string blob(const std::string& bytes) {
    const std::string hex = sha256_hex(bytes.data(), bytes.size());
    std::ofstream(root_ / "blobs" / ("sha256-" + hex), std::ios::binary) << bytes;
    return "sha256:" + hex;
  }
  std::string blob_of_file(const fs::path& file) {
    const std::string bytes = read_file(file);
    const std::string hex = sha256_hex(bytes.data(), bytes.size());
    const fs::path blob = root_ / "blobs" / ("sha256-" + hex);  // content-addressed: one per content
    if (!fs::exists(blob)) fs::create_symlink(fs::absolute(file), blob);
    return "sha256:" + hex;
  }
  static Json layer(const std::string& type, const std::string& digest, std::uint64_t size) {
    return {{"mediaType", "application/vnd.ollama.image." + type}, {"digest", digest}, {"size", size}};
  }
  fs::path manifest_path(const std::string& space, const std::string& name, const std::string& tag) const {
    return root_ / "manifests" / "registry.ollama.ai" / space / name / tag;
  }
  void manifest(const std::string& space, const std::string& name, const std::string& tag, const std::string& text) {
    const fs::path p = manifest_path(space, name, tag);
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  // NAME:TAG as `ollama pull` leaves it: config, model, template, params.
  void model(const std::string& space, const std::string& name, const std::string& tag, const fs::path& gguf,
             const std::string& params = "") {
    Json layers = Json::array();
    layers.push_back(layer("model", blob_of_file(gguf), fs::file_size(gguf)));
    const std::string tmpl = "{{ .Prompt }}";
    layers.push_back(layer("template", blob(tmpl), tmpl.size()));
    if (!params.empty()) layers.push_back(layer("params", blob(params), params.size()));
    const std::string config = R"({"model_format":"gguf","model_family":"qwen3"})";
    const Json m = {{"schemaVersion", 2},
                    {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
                    {"config",
                     {{"mediaType", "application/vnd.docker.container.image.v1+json"},
                      {"digest", blob(config)},
                      {"size", config.size()}}},
                    {"layers", layers}};
    manifest(space, name, tag, m.dump());
  }

 private:
  static std::string test_name() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }
  fs::path root_;
};

fs::path fixture_gguf(const std::string& type = "") {
  const auto all = test::gguf_fixtures();
  if (all.empty()) throw std::runtime_error("no quantized fixture under QWEN3_SHARED_DIR");
  for (const auto& f : all)
    if (type.empty() || f.name.ends_with("/" + type)) return f.gguf;
  return all.front().gguf;
}

constexpr const char* kParams =
    R"({"temperature":0.25,"top_k":7,"top_p":0.5,"repeat_penalty":1.1,"stop":["<|im_start|>","<|im_end|>"],)"
    R"("num_ctx":512,"mirostat":0})";

TEST(Ollama, NamesAndTags) {
  EXPECT_FALSE(ollama::parse("Qwen/Qwen3-4B"));
  EXPECT_FALSE(ollama::parse("/models/qwen3.gguf"));
  auto r = ollama::parse("ollama:qwen3:4b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "qwen3");
  EXPECT_EQ(r->tag, "4b");
  EXPECT_EQ(r->space, "library");
  EXPECT_EQ(r->host, "registry.ollama.ai");
  r = ollama::parse("ollama:qwen3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tag, "latest");
  r = ollama::parse("ollama:someone/my-model.v2:q8_0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->space, "someone");
  EXPECT_EQ(r->name, "my-model.v2");
  EXPECT_EQ(r->tag, "q8_0");
  r = ollama::parse("ollama:hf.co/someone/model");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->host, "hf.co");
  EXPECT_EQ(r->tag, "latest");
  for (const char* bad : {"ollama:", "ollama::4b", "ollama:qwen3:", "ollama:a/b/c/d", "ollama:../x", "ollama:q w"}) {
    try {
      ollama::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("ollama:NAME[:TAG]"), std::string::npos) << e.what();
    }
  }
  // A name or tag holding a line break is quoted on one line (found by the
  // ollama_manifest fuzz target).
  for (const char* bad : {"ollama:qw\nn3", "ollama:qwen3:a\nb"}) {
    try {
      ollama::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("\\n"), std::string::npos) << e.what();
    }
  }
}

TEST(Ollama, StoreFolderFromTheEnvironment) {
  EXPECT_EQ(ollama::models_dir({{"OLLAMA_MODELS", "/srv/ollama"}, {"HOME", "/home/me"}}), fs::path("/srv/ollama"));
  EXPECT_EQ(ollama::models_dir({{"HOME", "/home/me"}}), fs::path("/home/me/.ollama/models"));
  EXPECT_EQ(ollama::models_dir({}), fs::path());
}

TEST(Ollama, ResolvesTheModelAndParamsBlobs) {
  Store store;
  const fs::path gguf = fixture_gguf();
  store.model("library", "tiny", "q", gguf, kParams);
  store.model("someone", "tiny", "latest", gguf);
  const auto r = ollama::resolve(*ollama::parse("ollama:tiny:q"), store.root());
  EXPECT_EQ(fs::file_size(r.model), fs::file_size(gguf));
  EXPECT_EQ(read_file(r.model), read_file(gguf));
  ASSERT_TRUE(r.params);
  EXPECT_EQ(read_file(*r.params), kParams);
  const auto other = ollama::resolve(*ollama::parse("ollama:someone/tiny"), store.root());
  EXPECT_FALSE(other.params);
  EXPECT_EQ(other.manifest, store.manifest_path("someone", "tiny", "latest"));
}

// The message of resolve's error for `model` in `store`.
std::string error_of(const std::string& model, const fs::path& store) {
  try {
    ollama::resolve(*ollama::parse(model), store);
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    return m;
  }
  ADD_FAILURE() << model << " resolved";
  return "";
}

TEST(Ollama, EveryBrokenStoreIsAClearError) {
  Store store;
  const fs::path gguf = fixture_gguf();
  store.model("library", "tiny", "q", gguf, kParams);
  store.model("library", "tiny", "r", gguf);
  EXPECT_NE(error_of("ollama:tiny", store.root() / "nowhere").find("no Ollama store at"), std::string::npos);
  EXPECT_NE(error_of("ollama:tiny", "").find("OLLAMA_MODELS"), std::string::npos);
  EXPECT_NE(error_of("ollama:nothere:q", store.root()).find("no model nothere in the Ollama store"), std::string::npos);
  EXPECT_NE(error_of("ollama:tiny:latest", store.root()).find("has no tag latest in the Ollama store (tags: q, r)"),
            std::string::npos);

  const auto broken = [&](const std::string& text, const std::string& want) {
    store.manifest("library", "broken", "x", text);
    const std::string m = error_of("ollama:broken:x", store.root());
    EXPECT_NE(m.find("malformed manifest"), std::string::npos) << m;
    EXPECT_NE(m.find(want), std::string::npos) << m;
    EXPECT_NE(m.find(store.manifest_path("library", "broken", "x").string()), std::string::npos) << m;
  };
  broken("{not json", "not JSON");
  broken(R"({"schemaVersion":2})", "\"layers\" array");
  broken(R"({"layers":[{"digest":"sha256:00"}]})", "mediaType");
  broken(R"({"layers":[{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:00"}]})",
         "no layer of type application/vnd.ollama.image.model");
  broken(R"({"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"md5:1234"}]})",
         "expected sha256:<64 hex digits>");
  broken(R"({"layers":[{"mediaType":"application/vnd.ollama.image.model"}]})", "no \"digest\"");
  broken(R"({"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:\n1"}]})",
         "digest \"sha256:\\n1\"");  // a line break in the digest, quoted on one line

  const std::string missing = "sha256:" + std::string(64, 'a');
  store.manifest("library", "gone", "x", Json{{"layers", {Store::layer("model", missing, 10)}}}.dump());
  EXPECT_NE(
      error_of("ollama:gone:x", store.root()).find("sha256-" + std::string(64, 'a') + " of the model layer is missing"),
      std::string::npos);
  const std::string digest = store.blob("short");
  store.manifest("library", "short", "x", Json{{"layers", {Store::layer("model", digest, 1000)}}}.dump());
  EXPECT_NE(error_of("ollama:short:x", store.root()).find("holds 5 bytes; the manifest says 1000"), std::string::npos);
}

TEST(Ollama, ParamsAreASourceBelowTheUserAndAboveTheBuiltins) {
  Store store;
  store.model("library", "tiny", "q", fixture_gguf(), kParams);
  SettingsSources sources;
  sources.environment = {
      {"OLLAMA_MODELS", store.root().string()}, {"QWEN3_MODEL", "ollama:tiny:q"}, {"QWEN3_TOP_K", "3"}};
  const Settings s = resolve(sources);
  ASSERT_TRUE(s.ollama_params);
  for (const SamplingSettings* p : {&s.thinking, &s.non_thinking}) {
    EXPECT_EQ(p->temperature.value, 0.25f);
    EXPECT_EQ(p->temperature.source, Source::OllamaParams);
    EXPECT_EQ(p->temperature.origin, s.ollama_params->string());
    EXPECT_EQ(p->top_p.value, 0.5f);
    EXPECT_FLOAT_EQ(p->repetition_penalty.value, 1.1f);
    EXPECT_EQ(p->top_k.value, 3);  // the environment wins
    EXPECT_EQ(p->top_k.source, Source::Environment);
    EXPECT_EQ(p->min_p.source, Source::Builtin);
  }
  EXPECT_EQ(s.stop.value, (std::vector<std::string>{"<|im_start|>", "<|im_end|>"}));
  EXPECT_EQ(s.ctx.value, 512);
  EXPECT_EQ(s.ctx.source, Source::OllamaParams);
  const std::string shown = settings_to_toml(s);
  EXPECT_NE(shown.find("# Ollama params: " + s.ollama_params->string()), std::string::npos) << shown;
  EXPECT_NE(shown.find("ollama_params (" + s.ollama_params->string() + ")"), std::string::npos) << shown;
  EXPECT_EQ(source_name(Source::OllamaParams), "ollama_params");

  // A params value of the wrong type or range names the blob and the key.
  store.model("library", "bad", "q", fixture_gguf(), R"({"temperature":"hot"})");
  store.model("library", "worse", "q", fixture_gguf(), R"({"top_p":7})");
  for (const char* model : {"ollama:bad:q", "ollama:worse:q"}) {
    sources.environment["QWEN3_MODEL"] = model;
    try {
      resolve(sources);
      ADD_FAILURE() << model;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("sha256-"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(std::string(model) == "ollama:bad:q" ? "temperature" : "top_p"),
                std::string::npos)
          << e.what();
    }
  }
  // A model missing from the store still resolves (the command opening it says so).
  sources.environment["QWEN3_MODEL"] = "ollama:nothere";
  EXPECT_FALSE(resolve(sources).ollama_params);
}

TEST(Ollama, AModelFromTheStoreRunsAsItsGgufFile) {
  Store store;
  const fs::path gguf = fixture_gguf("Q8_0");
  store.model("library", "tiny", "q8", gguf, kParams);
  const auto settings = [&](const std::string& model) {
    SettingsSources sources;
    sources.environment = {{"OLLAMA_MODELS", store.root().string()}};
    sources.command_line.model = model;
    sources.command_line.threads = 2;
    sources.command_line.ctx = 64;
    return resolve(sources);
  };
  Settings by_name = settings("ollama:tiny:q8"), by_file = settings(gguf.string());
  const auto a = open_model(by_name), b = open_model(by_file);
  const std::vector<TokenId> tokens = {9707, 11, 1879, 0};
  std::vector<float> la(a->config().vocab_size), lb(b->config().vocab_size);
  Session sa = a->new_session(), sb = b->new_session();
  a->forward(tokens, sa, la.data());
  b->forward(tokens, sb, lb.data());
  EXPECT_EQ(la, lb);
  // The tokenizer and template come from the blob (a GGUF needs no tokenizer.json).
  EXPECT_EQ(tokenizer_dir(by_name), ollama::resolve(*ollama::parse("ollama:tiny:q8"), store.root()).model);
  by_name.model.value = "ollama:tiny:nope";
  try {
    open_model(by_name);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no tag nope"), std::string::npos) << e.what();
  }
}

TEST(Ollama, CommandLineWithAStoreModel) {
  Store store;
  store.model("library", "tiny", "q8", fixture_gguf("Q8_0"), kParams);
  const std::vector<std::string> env = {"OLLAMA_MODELS=" + store.root().string(), "QWEN3_MODEL=", "QWEN3_CONFIG=",
                                        "XDG_CONFIG_HOME=" + (store.root() / "no-config").string()};
  auto r = test::run_qwen3({"config", "show", "--model", "ollama:tiny:q8"}, "", env);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("temperature = 0.25"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ollama_params ("), std::string::npos) << r.out;
  r = test::run_qwen3({"generate", "--model", "ollama:tiny:q8", "--prompt", "Hello", "--max-new-tokens", "3",
                       "--temperature", "0", "--repetition-penalty", "1", "--threads", "2"},
                      "", env);
  EXPECT_EQ(r.status, 0) << r.err;
  auto direct = test::run_qwen3({"generate", "--model", fixture_gguf("Q8_0").string(), "--prompt", "Hello",
                                 "--max-new-tokens", "3", "--temperature", "0", "--repetition-penalty", "1",
                                 "--threads", "2", "--ctx", "512", "--stop", "<|im_start|>", "--stop", "<|im_end|>"},
                                "", env);
  EXPECT_EQ(direct.status, 0) << direct.err;
  EXPECT_EQ(r.out, direct.out);
  r = test::run_qwen3({"generate", "--model", "ollama:missing", "--prompt", "Hello"}, "", env);
  EXPECT_TRUE(test::is_one_line_error(r, "no model missing in the Ollama store")) << r.err;
}

}  // namespace
}  // namespace qwen3
