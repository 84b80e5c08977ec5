#pragma once
// Models named as on the Hugging Face hub ("Qwen/Qwen3-4B", "Qwen/Qwen3-4B@REV",
// "Qwen/Qwen3-4B-GGUF:Q4_K_M"), kept in the cache exactly as huggingface_hub
// keeps it, so files downloaded by Python tools are reused and ours are
// reused by them:
//
//   $HF_HUB_CACHE (else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub)
//     models--Qwen--Qwen3-4B/
//       refs/main                      the commit the branch or tag pointed to last
//       snapshots/COMMIT/config.json   -> ../../blobs/ETAG (relative symbolic links)
//       blobs/ETAG                     the file (ETAG: its sha256 for LFS files, git's sha1 otherwise)
//       .no_exist/COMMIT/FILE          an optional file the commit does not have
//     .locks/models--Qwen--Qwen3-4B/ETAG.lock   flock while a blob is downloaded
//
// Downloads go to blobs/ETAG.incomplete, resume from it with an HTTP range
// request, are checked (size, and the sha256 of LFS files against their ETag)
// and only then renamed into place, so a bad or partial file is never visible.
// Nothing here prints: progress and notes go to an Observer (the program's
// progress bar). Errors are qwen3::Error, one line (not found, gated or
// unauthorised with how to set HF_TOKEN, network down, disk full, server errors).
//
//   auto name = qwen3::hub::parse_model_name("Qwen/Qwen3-4B");
//   auto snapshot = qwen3::hub::fetch(*name, qwen3::hub::Files::Model, qwen3::hub::options_from_environment());
//   auto model = qwen3::Model::load(snapshot.folder, run);
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qwen3::hub {

inline constexpr std::string_view kDefaultEndpoint = "https://huggingface.co";
inline constexpr std::string_view kDefaultRevision = "main";
// The quantization picked in a GGUF repository when the name gives none (as llama-cli -hf).
inline constexpr std::string_view kDefaultQuant = "Q4_K_M";

// A model as the hub names it.
struct ModelName {
  std::string repo;      // "Qwen/Qwen3-4B"
  std::string revision;  // a branch, tag or commit; empty: none given (the default branch, main)
  std::string quant;     // "Q4_K_M" for OWNER/NAME:Q4_K_M; empty: none given
  // The revision to resolve: `revision`, else main.
  std::string ref() const { return revision.empty() ? std::string(kDefaultRevision) : revision; }
  // A GGUF repository: a quantization was given or the name ends in -GGUF / -gguf.
  bool gguf() const;
  // OWNER/NAME[@REVISION][:QUANT], as parse_model_name reads it.
  std::string to_string() const;
};

// OWNER/NAME[@REVISION][:QUANT] -> its parts; nullopt when `text` is not
// shaped like a hub name (OWNER and NAME: letters, digits, '-', '_', '.';
// no "--" or "..", not starting or ending with '-' or '.'; at most 96 each).
// Any local path with one '/' has that shape too: callers first check
// whether the path exists (a path that exists always wins: hub_model).
std::optional<ModelName> parse_model_name(std::string_view text);

// The hub name `model` means, or nullopt when it is an existing local path
// or not shaped like a hub name.
std::optional<ModelName> hub_model(std::string_view model);

// The one folder of a repository in the cache: "Qwen/Qwen3-4B" -> "models--Qwen--Qwen3-4B".
std::string repo_folder_name(std::string_view repo);

// ---- Where and how -------------------------------------------------------

struct FileEvent {
  std::string repo;           // "Qwen/Qwen3-4B"
  std::string file;           // "model-00001-of-00003.safetensors"
  std::uint64_t size = 0;     // bytes, the whole file
  std::uint64_t resumed = 0;  // bytes already there from an interrupted download
};

// What a download is doing, for a progress display. Called on the thread
// that called fetch(); the library itself never prints.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_start(const FileEvent& file) {}
  // `done` bytes of file.size are in place (resumed ones included).
  virtual void on_progress(const FileEvent& file, std::uint64_t done) {}
  virtual void on_done(const FileEvent& file) {}
  // Something worth a line: waiting for another process's download, the hub
  // unreachable so the cached files are used, a retry after a cut connection.
  virtual void on_note(std::string_view message) {}
};

struct HubOptions {
  std::filesystem::path cache_dir;                       // holds models--OWNER--NAME/ and .locks/
  std::string endpoint = std::string(kDefaultEndpoint);  // HF_ENDPOINT: a mirror, or a test server
  std::string token;                                     // HF_TOKEN or the token file; empty: anonymous
  bool offline = false;                                  // HF_HUB_OFFLINE: never touch the network
  Observer* observer = nullptr;                          // progress; nullptr: none
  int retries = 3;                                       // resumed attempts after a cut connection
  long connect_timeout_s = 10;                           // per request
  long stall_timeout_s = 30;                             // a transfer that moves no byte for this long fails
};

// Environment variables by name, as huggingface_hub reads them.
using EnvironmentMap = std::map<std::string, std::string>;

// The HF_* variables of this process (and XDG_CACHE_HOME, HOME).
EnvironmentMap hub_environment();

// Options as huggingface_hub defines its variables: cache_dir from
// HF_HUB_CACHE (else HUGGINGFACE_HUB_CACHE), else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub; endpoint
// from HF_ENDPOINT; token from HF_TOKEN (else HUGGING_FACE_HUB_TOKEN), else
// the file $HF_TOKEN_PATH, else $HF_HOME/token (what `huggingface-cli login`
// writes); offline when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is 1, ON,
// YES or TRUE. The observer is the default observer.
HubOptions options_from_environment(const EnvironmentMap& env);
HubOptions options_from_environment();  // this process's environment

// The observer options_from_environment() hands out (the program installs
// its progress display here once; nullptr: none). Not thread-safe to change
// while downloads run.
void set_default_observer(Observer* observer);
Observer* default_observer();

// ---- Fetching --------------------------------------------------------------

// What a caller needs of a model.
enum class Files {
  GenerationConfig,  // generation_config.json, if the repository has it (the sampling defaults)
  Config,            // config.json, generation_config.json (if the repository has it)
  Tokenizer,         // tokenizer.json, tokenizer_config.json (either may be absent)
  Model,             // everything to run it: the two above and the weights
                     // (model.safetensors, else model.safetensors.index.json and its shards;
                     // in a GGUF repository: the chosen .gguf file, every part of a split one)
};

struct Snapshot {
  std::string repo;
  std::string commit;              // 40 hex digits
  std::filesystem::path folder;    // .../models--OWNER--NAME/snapshots/COMMIT
  std::filesystem::path gguf;      // the chosen .gguf file (its first part); empty otherwise
  std::vector<std::string> files;  // the files asked for that the revision has, in the folder
  // What a model setting should open: the .gguf file, else the folder.
  const std::filesystem::path& model_path() const { return gguf.empty() ? folder : gguf; }
  bool has(std::string_view file) const;
};

// Makes the files of `what` present in the cache for `name` and returns the
// snapshot folder. Online, the revision is resolved on the hub (one request
// when everything is cached already) and missing files are downloaded; when
// the hub cannot be reached, the cached snapshot of the revision is used if
// it holds every file (with a note to the observer). Offline, only the cache
// is read. Throws qwen3::Error, one line, naming the model and the file.
Snapshot fetch(const ModelName& name, Files what, const HubOptions& options);

// ---- The cache -------------------------------------------------------------

struct CachedRevision {
  std::string commit;
  std::vector<std::string> refs;   // branches and tags that point to it ("main")
  std::vector<std::string> files;  // in the snapshot, sorted
  std::uint64_t size = 0;          // bytes of their blobs
  bool complete = false;           // every file present (no dangling link, weights with their shards)
};

struct CachedModel {
  std::string repo;                       // "Qwen/Qwen3-4B"
  std::filesystem::path folder;           // .../models--Qwen--Qwen3-4B
  std::uint64_t size = 0;                 // bytes on disk: every blob once (unfinished downloads included)
  std::time_t last_modified = 0;          // the newest blob or ref
  std::vector<CachedRevision> revisions;  // newest first
};

// The models in the cache (repositories of models only, sorted by name).
std::vector<CachedModel> list_cache(const HubOptions& options);

// Removes a model from the cache: with a revision given (NAME@REV: a ref or
// a commit), that revision's snapshot, the refs that point to it and the
// blobs no other snapshot uses; else the whole repository folder and its
// locks. Returns the bytes freed. Throws qwen3::Error when the model (or
// the revision) is not in the cache.
std::uint64_t remove_model(const ModelName& name, const HubOptions& options);

}  // namespace qwen3::hub
