// fetch(): which files a model needs, resolved on the hub (or in the cache
// alone), and each missing one downloaded as huggingface_hub does it.
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <optional>
#include <thread>
#include <tuple>

#include "common/file.h"
#include "common/sha256.h"
#include "hub/cache.h"
#include "hub/files.h"
#include "hub/http.h"
#include "qwen3/error.h"
#include "qwen3/hub.h"

namespace qwen3::hub {
namespace fs = std::filesystem;
using detail::Client;
using detail::NetworkError;
using detail::RepoCache;
using detail::Response;

namespace detail {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string base_name(const std::string& file) {
  const auto slash = file.rfind('/');
  return slash == std::string::npos ? file : file.substr(slash + 1);
}

// "-00001-of-00003.gguf": the part number and count of a split GGUF, else {0, 0}.
std::pair<int, int> split_part(const std::string& file) {
  const std::string up = upper(file);
  if (!ends_with(up, ".GGUF") || up.size() < 5 + 15) return {0, 0};
  const std::string tail = up.substr(up.size() - 5 - 15, 15);  // "-00001-OF-00003"
  if (tail[0] != '-' || tail.substr(6, 4) != "-OF-") return {0, 0};
  for (int i : {1, 2, 3, 4, 5, 10, 11, 12, 13, 14})
    if (!std::isdigit(static_cast<unsigned char>(tail[i]))) return {0, 0};
  return {std::stoi(tail.substr(1, 5)), std::stoi(tail.substr(10, 5))};
}

// The file name without ".gguf" and without a split suffix.
std::string gguf_stem(const std::string& file) {
  std::string stem = base_name(file);
  stem.resize(stem.size() - 5);
  if (split_part(file).second > 0) stem.resize(stem.size() - 15);
  return stem;
}

// `quant` appears in `file`'s name as a whole word (not Q4_K inside Q4_K_M).
bool names_quant(const std::string& file, const std::string& quant) {
  const std::string stem = upper(gguf_stem(file)), q = upper(quant);
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (auto at = stem.find(q); at != std::string::npos; at = stem.find(q, at + 1)) {
    const bool before = at == 0 || !word(stem[at - 1]);
    const bool after = at + q.size() == stem.size() || !word(stem[at + q.size()]);
    if (before && after) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> choose_gguf(const std::vector<std::string>& files, const std::string& quant,
                                     const std::string& model) {
  std::vector<std::string> candidates;
  for (const auto& f : files)
    if (ends_with(upper(f), ".GGUF") && upper(base_name(f)).find("MMPROJ") == std::string::npos)
      candidates.push_back(f);
  std::sort(candidates.begin(), candidates.end());
  if (candidates.empty()) throw Error(model + " has no .gguf file");
  auto matching = [&](const std::string& q) {
    std::vector<std::string> out;
    for (const auto& f : candidates)
      if (names_quant(f, q)) out.push_back(f);
    return out;
  };
  std::vector<std::string> chosen = matching(quant.empty() ? std::string(kDefaultQuant) : quant);
  if (chosen.empty() && quant.empty()) chosen = {candidates.front()};
  if (chosen.empty()) {
    std::set<std::string> available;
    for (const auto& f : candidates) {
      const std::string stem = gguf_stem(f);
      const auto sep = stem.find_last_of("-.");
      available.insert(sep == std::string::npos ? stem : stem.substr(sep + 1));
    }
    std::string list;
    for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
    throw Error(model + " has no .gguf file for quantization " + quant + " (available: " + list + ")");
  }
  // A split file: every part, the first one first.
  const std::string first = chosen.front();
  const auto [part, count] = split_part(first);
  if (count == 0) return {first};
  const std::string prefix = first.substr(0, first.size() - 5 - 15);
  std::vector<std::string> parts;
  for (int i = 1; i <= count; ++i) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", i, count);
    std::string want = prefix + suffix;
    auto it = std::find_if(candidates.begin(), candidates.end(),
                           [&](const std::string& f) { return upper(f) == upper(want); });
    if (it == candidates.end()) throw Error(model + ": part " + want + " of a split GGUF file is missing");
    parts.push_back(*it);
  }
  return parts;
}

}  // namespace detail

namespace {

constexpr const char* kConfig = "config.json";
constexpr const char* kGenerationConfig = "generation_config.json";
constexpr const char* kTokenizer = "tokenizer.json";
constexpr const char* kTokenizerConfig = "tokenizer_config.json";
constexpr const char* kSingleWeights = "model.safetensors";
constexpr const char* kWeightIndex = "model.safetensors.index.json";
constexpr const char* kOfflineWhy = "offline is on (HF_HUB_OFFLINE=1 or the offline setting)";

std::string human_bytes(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ull << 30));
  else if (bytes >= (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ull << 20));
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  return buf;
}

// ETag: "abc" or W/"abc" -> abc.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::uint64_t to_size(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stoull(text);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  return url.substr(0, url.find('/', scheme + 3));
}

// A 5xx or 429 answer: worth falling back to the cache for.
class ServerError : public Error {
 public:
  using Error::Error;
};

// What the hub says about one file.
struct Metadata {
  bool found = true;
  std::string commit;
  std::string etag;
  std::string location;  // where to GET it (a CDN address for LFS files)
  std::uint64_t size = 0;
};

class Fetcher {
 public:
  Fetcher(const ModelName& name, const HubOptions& options)
      : name_(name), o_(options), cache_(options.cache_dir, name.repo), client_{options} {}

  Snapshot run(Files what) {
    offline_ = o_.offline;
    Snapshot s;
    s.repo = name_.repo;
    if (name_.gguf()) {
      gguf(s);
    } else {
      std::vector<std::pair<std::string, bool>> wanted;  // file, required
      if (what == Files::GenerationConfig) wanted.push_back({kGenerationConfig, false});
      if (what == Files::Config || what == Files::Model)
        wanted.insert(wanted.end(), {{kConfig, true}, {kGenerationConfig, false}});
      if (what == Files::Tokenizer || what == Files::Model)
        wanted.insert(wanted.end(), {{kTokenizer, false}, {kTokenizerConfig, false}});
      resolve_commit(wanted.front().first);
      for (const auto& [file, required] : wanted) ensure(file, required, s);
      if (what == Files::Model) weights(s);
    }
    s.commit = commit_;
    s.folder = cache_.snapshot(commit_);
    std::error_code ec;
    fs::create_directories(s.folder, ec);  // a revision whose files are all absent still has its folder
    return s;
  }

 private:
  // ---- the revision's commit --------------------------------------------

  // Online: a HEAD of the first file says which commit the revision is (one
  // request even when everything is cached), unless the revision is a commit.
  // When the hub cannot be reached (or fails), the cached commit of the revision.
  void resolve_commit(const std::string& first_file) {
    if (detail::is_commit(name_.ref())) {
      commit_ = name_.ref();
      return;
    }
    if (offline_) return cached_commit(kOfflineWhy);
    try {
      Metadata m = head(name_.ref(), first_file);
      commit_ = m.commit;
      cache_.write_ref(name_.ref(), commit_);
      if (m.found)
        first_ = {first_file, m};
      else
        cache_.mark_absent(commit_, first_file);
    } catch (const NetworkError& e) {
      fall_back("cannot reach " + o_.endpoint + " (" + e.what() + ")");
    } catch (const ServerError& e) {
      fall_back(e.what());
    }
  }

  void cached_commit(const std::string& why) {
    const auto commit = cache_.commit_of(name_.ref());
    std::error_code ec;
    if (!commit || !fs::is_directory(cache_.snapshot(*commit), ec))
      throw Error(name_.to_string() + " is not in the cache (" + o_.cache_dir.string() + ") and " + why +
                  ": download it first (e.g. qwen3 pull " + name_.to_string() + ") with the hub in reach");
    commit_ = *commit;
    offline_ = true;
  }

  void fall_back(const std::string& why) {
    const auto commit = cache_.commit_of(name_.ref());
    std::error_code ec;
    if (!commit || !fs::is_directory(cache_.snapshot(*commit), ec))
      throw Error(why + ", and " + name_.to_string() +
                  " is not in the cache: check the network (or HF_ENDPOINT), or "
                  "use a cached model with HF_HUB_OFFLINE=1");
    commit_ = *commit;
    offline_ = true;
    note(why + "; using the cached " + name_.to_string() + " (" + commit_.substr(0, 12) + ")");
  }

  // ---- files ---------------------------------------------------------------

  // Makes `file` of the commit present, or learns that the commit has none.
  void ensure(const std::string& file, bool required, Snapshot& s) {
    if (cache_.has(commit_, file)) {
      s.files.push_back(file);
      return;
    }
    const bool absent_known = cache_.known_absent(commit_, file);
    if (offline_ || absent_known) {
      if (!required) return;
      if (absent_known) throw missing(file);
      throw not_cached(file);
    }
    Metadata m = first_ && first_->first == file ? first_->second : head(commit_, file);
    if (!m.found) {
      cache_.mark_absent(commit_, file);
      if (required) throw missing(file);
      return;
    }
    download(file, m);
    s.files.push_back(file);
  }

  Error not_cached(const std::string& what) const {
    return Error(name_.to_string() + ": " + what + " is not in the cache (" + cache_.snapshot(commit_).string() +
                 ") and " + (o_.offline ? std::string(kOfflineWhy) : "the hub is out of reach"));
  }

  Error missing(const std::string& file) const {
    return Error(name_.to_string() + " has no " + file + " (commit " + commit_.substr(0, 12) +
                 "; expected a Hugging Face checkpoint: config.json and safetensors weights)");
  }

  // model.safetensors, else the index and every shard it names.
  void weights(Snapshot& s) {
    if (offline_ && !cache_.has(commit_, kSingleWeights) && !cache_.has(commit_, kWeightIndex))
      throw not_cached("its weights (model.safetensors, or model.safetensors.index.json and shards)");
    ensure(kSingleWeights, false, s);
    if (s.has(kSingleWeights)) return;
    ensure(kWeightIndex, true, s);
    const fs::path index = cache_.pointer(commit_, kWeightIndex);
    for (const auto& shard : detail::index_shards(read_file(index), index.string())) ensure(shard, true, s);
  }

  // A GGUF repository: the listing names the files, the quantization picks one.
  void gguf(Snapshot& s) {
    if (detail::is_commit(name_.ref()) && cached_gguf_complete(name_.ref())) {
      commit_ = name_.ref();  // nothing to ask the hub
      offline_ = true;
    } else if (offline_) {
      cached_commit(kOfflineWhy);
    } else {
      try {
        std::tie(commit_, listed_) = listing();
        cache_.write_ref(name_.ref(), commit_);
      } catch (const NetworkError& e) {
        fall_back("cannot reach " + o_.endpoint + " (" + e.what() + ")");
      } catch (const ServerError& e) {
        fall_back(e.what());
      }
    }
    const auto chosen =
        detail::choose_gguf(offline_ ? snapshot_files(commit_) : listed_, name_.quant, name_.to_string());
    for (const auto& f : chosen) ensure(f, true, s);
    s.gguf = cache_.pointer(commit_, chosen.front());
  }

  bool cached_gguf_complete(const std::string& commit) const {
    try {
      for (const auto& f : detail::choose_gguf(snapshot_files(commit), name_.quant, name_.to_string()))
        if (!cache_.has(commit, f)) return false;
      return true;
    } catch (const Error&) {
      return false;
    }
  }

  std::vector<std::string> snapshot_files(const std::string& commit) const {
    std::vector<std::string> files;
    const fs::path folder = cache_.snapshot(commit);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (!it->is_directory(ec)) files.push_back(it->path().lexically_relative(folder).generic_string());
    return files;
  }

  // GET /api/models/OWNER/NAME/revision/REV: the commit and every file.
  std::pair<std::string, std::vector<std::string>> listing() {
    const std::string url =
        o_.endpoint + "/api/models/" + name_.repo + "/revision/" + detail::url_escape(name_.ref(), false);
    const Response r = client_.get(url);
    if (r.status >= 400) fail(r, "");
    try {
      const auto j = nlohmann::json::parse(r.body);
      std::pair<std::string, std::vector<std::string>> out;
      out.first = j.at("sha").get<std::string>();
      for (const auto& sibling : j.at("siblings")) out.second.push_back(sibling.at("rfilename").get<std::string>());
      if (!detail::is_commit(out.first)) throw Error("bad sha");
      return out;
    } catch (const std::exception&) {
      throw Error(name_.to_string() + ": the model listing from " + o_.endpoint +
                  " is not what the hub answers (expected JSON with sha and siblings)");
    }
  }

  // ---- HTTP ----------------------------------------------------------------

  std::string resolve_url(const std::string& revision, const std::string& file) const {
    return o_.endpoint + "/" + name_.repo + "/resolve/" + detail::url_escape(revision, false) + "/" +
           detail::url_escape(file, true);
  }

  Metadata head(const std::string& revision, const std::string& file) {
    const Response r = client_.head(resolve_url(revision, file));
    Metadata m;
    const std::string code = r.header("x-error-code");
    if (r.status == 404 && code != "RepoNotFound" && code != "RevisionNotFound") {
      m.found = false;
      m.commit = r.header("x-repo-commit");
      if (!detail::is_commit(m.commit)) {
        if (commit_.empty()) fail(r, file);  // cannot tell which commit lacks it
        m.commit = commit_;
      }
      return m;
    }
    if (r.status >= 400 || (r.status >= 300 && r.header("location").empty())) fail(r, file);
    m.commit = r.header("x-repo-commit");
    if (!detail::is_commit(m.commit))
      throw Error(name_.to_string() + " " + file + ": " + o_.endpoint +
                  " did not say which commit it serves (no X-Repo-Commit header): is HF_ENDPOINT a Hugging Face hub?");
    m.etag = normalize_etag(!r.header("x-linked-etag").empty() ? r.header("x-linked-etag") : r.header("etag"));
    if (m.etag.empty() || m.etag.find('/') != std::string::npos || m.etag.find("..") != std::string::npos)
      throw Error(name_.to_string() + " " + file + ": " + o_.endpoint + " sent no usable ETag for it");
    const std::string location = r.header("location");
    m.location = location.empty() ? r.url : location.front() == '/' ? origin_of(r.url) + location : location;
    m.size = to_size(!r.header("x-linked-size").empty() ? r.header("x-linked-size") : r.header("content-length"));
    return m;
  }

  // Throws one line for an error answer, saying what to do about it.
  [[noreturn]] void fail(const Response& r, const std::string& file) const {
    const std::string code = r.header("x-error-code");
    const std::string what = name_.to_string() + (file.empty() ? "" : " " + file);
    const std::string token_hint = o_.token.empty()
                                       ? "set HF_TOKEN to an access token (" + o_.endpoint +
                                             "/settings/tokens), or log in with huggingface-cli login"
                                       : "the token in use (HF_TOKEN or the token file) has no access to it";
    if (code == "GatedRepo")
      throw Error(name_.repo + " is gated: accept its conditions at " + o_.endpoint + "/" + name_.repo + ", then " +
                  (o_.token.empty() ? token_hint : "use a token of that account (HF_TOKEN)"));
    if (code == "RepoNotFound" || (r.status == 401 && code.empty()))
      throw Error(name_.repo + ": repository not found on " + o_.endpoint + " (" + std::to_string(r.status) +
                  "); if it is private or gated, " + token_hint);
    if (code == "RevisionNotFound") throw Error(name_.repo + ": revision " + name_.ref() + " not found");
    if (r.status == 401 || r.status == 403)
      throw Error(what + ": access denied (" + std::to_string(r.status) + "): " + token_hint);
    if (r.status == 404) throw Error(what + ": not found on " + o_.endpoint + " (404)");
    if (r.status == 429) throw ServerError(what + ": the hub limits requests (429): wait a little and run again");
    if (r.status >= 500)
      throw ServerError(what + ": server error " + std::to_string(r.status) + " from " + o_.endpoint +
                        ": try again later");
    throw Error(what + ": unexpected answer " + std::to_string(r.status) + " from " + o_.endpoint);
  }

  // ---- a download ----------------------------------------------------------

  void download(const std::string& file, const Metadata& m) {
    const fs::path blob = cache_.blob(m.etag);
    std::error_code ec;
    fs::create_directories(blob.parent_path(), ec);
    if (ec) throw Error("cannot create " + blob.parent_path().string() + ": " + ec.message());
    detail::FileLock lock(cache_.lock_file(m.etag),
                          [&] { note("waiting for another process downloading " + name_.repo + " " + file); });
    if (!fs::exists(blob, ec)) get_blob(file, m, blob);  // else another process just finished it
    cache_.link(commit_, file, m.etag);
  }

  void get_blob(const std::string& file, const Metadata& m, const fs::path& blob) {
    const fs::path part = blob.string() + ".incomplete";
    const std::string what = name_.repo + " " + file;
    std::error_code ec;
    std::uint64_t have = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
    if (m.size > 0 && have > m.size) {
      fs::remove(part, ec);
      have = 0;
    }
    check_space(blob.parent_path(), m.size > have ? m.size - have : 0, what);

    FileEvent event{name_.repo, file, m.size, have};
    if (o_.observer) o_.observer->on_start(event);
    Sha256 hash;
    std::uint64_t hashed = 0;
    for (int attempt = 0;; ++attempt) {
      const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) throw Error("cannot write " + part.string() + ": " + std::strerror(errno));
      struct stat st {};
      ::fstat(fd, &st);
      have = static_cast<std::uint64_t>(st.st_size);
      if (hashed != have) {  // resuming an earlier run's file: its bytes count too
        hash.hex();
        hashed = hash_prefix(part, have, hash);
      }
      if (m.size > 0 && have == m.size) {
        finish_write(fd, part);
        break;
      }
      try {
        const Response r = client_.download(
            m.location, have,
            [&](long status) {
              if (status == 200 && have > 0) {  // the server ignored the range: start again
                if (::ftruncate(fd, 0) != 0) throw Error("cannot truncate " + part.string());
                have = hashed = 0;
                hash.hex();
              }
            },
            [&](const char* data, std::size_t n) {
              write_all(fd, data, n, part, what);
              hash.update(data, n);
              have += n;
              hashed += n;
              if (o_.observer) o_.observer->on_progress(event, have);
            });
        if (r.status == 416 && have > 0) {  // nothing after our bytes: they are the whole file, or wrong
          if (m.size == 0 || have != m.size) {
            ::close(fd);
            fs::remove(part, ec);
            hashed = 0;
            hash.hex();
            continue;
          }
        } else if (r.status >= 300) {
          ::close(fd);
          fail(r, file);
        }
        finish_write(fd, part);
        break;
      } catch (const NetworkError& e) {
        ::close(fd);
        if (attempt >= o_.retries)
          throw Error(what + ": download interrupted at " + human_bytes(have) + " of " + human_bytes(m.size) + " (" +
                      e.what() + "); run again to resume");
        note(what + ": connection lost at " + human_bytes(have) + " (" + e.what() + "); resuming");
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
      } catch (...) {
        ::close(fd);
        throw;
      }
    }
    const std::uint64_t size = fs::file_size(part, ec);
    if (m.size > 0 && size != m.size) {
      fs::remove(part, ec);
      throw Error(what + ": got " + std::to_string(size) + " bytes, the hub announced " + std::to_string(m.size) +
                  " (deleted; run again)");
    }
    // An LFS file's ETag is its sha256: a corrupt download never reaches the cache.
    if (detail::is_sha256(m.etag)) {
      const std::string digest = hash.hex();
      if (digest != m.etag) {
        fs::remove(part, ec);
        throw Error(what + ": sha256 " + digest + " does not match the hub's " + m.etag +
                    ": the download is corrupt (deleted; run again)");
      }
    }
    fs::rename(part, blob, ec);
    if (ec) throw Error("cannot move " + part.string() + " into place: " + ec.message());
    if (o_.observer) o_.observer->on_done(event);
  }

  static std::uint64_t hash_prefix(const fs::path& file, std::uint64_t bytes, Sha256& hash) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) throw Error("cannot read " + file.string() + ": " + std::strerror(errno));
    std::vector<char> buf(1 << 20);
    std::uint64_t done = 0;
    while (done < bytes) {
      const std::size_t n = std::fread(buf.data(), 1, std::min<std::uint64_t>(buf.size(), bytes - done), f);
      if (n == 0) break;
      hash.update(buf.data(), n);
      done += n;
    }
    std::fclose(f);
    return done;
  }

  static void write_all(int fd, const char* data, std::size_t n, const fs::path& part, const std::string& what) {
    while (n > 0) {
      const ssize_t w = ::write(fd, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        if (errno == ENOSPC || errno == EDQUOT)
          throw Error("disk full: cannot write " + what + " to " + part.parent_path().string() +
                      " (the part downloaded so far stays for a resume)");
        throw Error("cannot write " + part.string() + ": " + std::strerror(errno));
      }
      data += w;
      n -= static_cast<std::size_t>(w);
    }
  }

  static void finish_write(int fd, const fs::path& part) {
    const bool ok = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) throw Error("cannot write " + part.string() + ": " + std::strerror(err));
  }

  void check_space(const fs::path& dir, std::uint64_t need, const std::string& what) const {
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) != 0) return;
    const std::uint64_t free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (need > free_bytes)
      throw Error("disk full: " + what + " needs " + human_bytes(need) + ", " + dir.string() + " has " +
                  human_bytes(free_bytes) + " free (HF_HUB_CACHE moves the cache)");
  }

  void note(const std::string& message) const {
    if (o_.observer) o_.observer->on_note(message);
  }

  const ModelName& name_;
  const HubOptions& o_;
  RepoCache cache_;
  Client client_;
  std::string commit_;
  bool offline_ = false;                                   // use the cache only
  std::vector<std::string> listed_;                        // a GGUF repository's files
  std::optional<std::pair<std::string, Metadata>> first_;  // the HEAD that resolved the commit
};

}  // namespace

Snapshot fetch(const ModelName& name, Files what, const HubOptions& options) {
  if (options.cache_dir.empty()) throw Error("hub cache folder not set (HF_HUB_CACHE, HF_HOME or HOME)");
  return Fetcher(name, options).run(what);
}

}  // namespace qwen3::hub
