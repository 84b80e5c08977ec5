// The huggingface_hub cache layout: one repository's folder, its locks, and
// the whole cache listed or pruned.
#include "hub/cache.h"
#include "hub/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "qwen3/error.h"
#include "qwen3/hub.h"

namespace qwen3::hub {
namespace fs = std::filesystem;

namespace {

// A name beside `path` that no other process or thread uses at the same time.
std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++counter);
}

std::string read_small(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string repo_folder_name(std::string_view repo) {
  std::string name = "models--";
  for (char c : repo) name += c == '/' ? std::string("--") : std::string(1, c);
  return name;
}

namespace detail {

bool is_commit(std::string_view revision) {
  return revision.size() == 40 && std::all_of(revision.begin(), revision.end(),
                                              [](char c) { return std::isdigit(c) || (c >= 'a' && c <= 'f'); });
}

bool is_sha256(std::string_view etag) {
  return etag.size() == 64 &&
         std::all_of(etag.begin(), etag.end(), [](char c) { return std::isdigit(c) || (c >= 'a' && c <= 'f'); });
}

RepoCache::RepoCache(const fs::path& cache_dir, std::string_view repo)
    : folder_(cache_dir / repo_folder_name(repo)), locks_(cache_dir / ".locks" / repo_folder_name(repo)) {}

namespace {

// Writes `text` to `path` through a temporary file and a rename, so a reader
// sees the old text or the new, never a part.
void write_atomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = temporary_beside(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw Error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  fs::rename(tmp, path, ec);
  if (ec) throw Error("cannot write " + path.string() + ": " + ec.message());
}

}  // namespace

std::optional<std::string> RepoCache::commit_of(const std::string& revision) const {
  if (is_commit(revision)) return revision;
  std::error_code ec;
  const fs::path ref = folder_ / "refs" / revision;
  if (!fs::is_regular_file(ref, ec)) return std::nullopt;
  std::string commit = read_small(ref);
  while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) commit.pop_back();
  if (!is_commit(commit)) return std::nullopt;
  return commit;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  const fs::path ref = folder_ / "refs" / revision;
  if (commit_of(revision) == commit) return;  // unchanged: a read-only cache stays usable
  write_atomically(ref, commit);
}

bool RepoCache::has(const std::string& commit, const std::string& file) const {
  std::error_code ec;
  return fs::exists(pointer(commit, file), ec);  // follows the link: the blob must be there
}

bool RepoCache::known_absent(const std::string& commit, const std::string& file) const {
  std::error_code ec;
  return fs::exists(no_exist(commit, file), ec);
}

void RepoCache::mark_absent(const std::string& commit, const std::string& file) const {
  std::error_code ec;
  fs::create_directories(no_exist(commit, file).parent_path(), ec);
  std::ofstream(no_exist(commit, file), std::ios::app);
}

void RepoCache::link(const std::string& commit, const std::string& file, const std::string& etag) const {
  const fs::path at = pointer(commit, file);
  std::error_code ec;
  fs::create_directories(at.parent_path(), ec);
  if (ec) throw Error("cannot create " + at.parent_path().string() + ": " + ec.message());
  std::string target;
  for (auto depth = std::count(file.begin(), file.end(), '/') + 2; depth > 0; --depth) target += "../";
  target += "blobs/" + etag;
  const fs::path tmp = temporary_beside(at);
  fs::create_symlink(target, tmp, ec);
  if (!ec) fs::rename(tmp, at, ec);
  if (ec) throw Error("cannot link " + at.string() + " to " + target + ": " + ec.message());
}

FileLock::FileLock(const fs::path& path, const std::function<void()>& on_wait) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open the lock " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  if (errno == EWOULDBLOCK) {
    on_wait();
    int rc;
    while ((rc = ::flock(fd_, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc == 0) return;
  }
  const int err = errno;
  ::close(fd_);
  throw Error("cannot lock " + path.string() + ": " + std::strerror(err));
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

std::vector<std::string> index_shards(const std::string& json_text, const std::string& source) {
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not valid JSON (" + e.what() + ")");
  }
  const auto map = index.find("weight_map");
  if (!index.is_object() || map == index.end() || !map->is_object())
    throw Error(source + ": no \"weight_map\" object (expected a safetensors index)");
  std::set<std::string> shards;
  for (const auto& [tensor, file] : map->items()) {
    if (!file.is_string()) throw Error(source + ": weight_map[\"" + tensor + "\"] is not a file name");
    const std::string name = file.get<std::string>();
    if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos)
      throw Error(source + ": weight_map[\"" + tensor + "\"] = \"" + name + "\" is not a file of the repository");
    shards.insert(name);
  }
  return {shards.begin(), shards.end()};
}

}  // namespace detail

// ---- Listing and removing ----------------------------------------------------

namespace {

using detail::RepoCache;

std::time_t mtime_of(const fs::path& p) {
  std::error_code ec;
  const auto t = fs::last_write_time(p, ec);
  if (ec) return 0;
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::system_clock::duration>(sys));
}

// Every ref under refs/ (nested for "refs/pr/1") with the commit it holds.
std::vector<std::pair<std::string, std::string>> refs_of(const fs::path& folder) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  const fs::path refs = folder / "refs";
  if (!fs::is_directory(refs, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(refs, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string commit = read_small(it->path());
    while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) commit.pop_back();
    out.emplace_back(it->path().lexically_relative(refs).generic_string(), commit);
  }
  return out;
}

// The blob file name each snapshot entry points to, by file name.
std::vector<std::pair<std::string, fs::path>> snapshot_entries(const fs::path& snapshot) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(snapshot, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
    out.emplace_back(it->path().lexically_relative(snapshot).generic_string(), it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The blob a snapshot entry uses (its link's target), or the entry itself
// when it is a plain file (a cache written without links).
fs::path blob_of(const fs::path& entry) {
  std::error_code ec;
  if (!fs::is_symlink(entry, ec)) return entry;
  return fs::weakly_canonical(entry.parent_path() / fs::read_symlink(entry, ec), ec);
}

// A sharded checkpoint is complete when every shard its index names is there.
bool shards_missing(const fs::path& snapshot) {
  std::error_code ec;
  const fs::path index = snapshot / "model.safetensors.index.json";
  if (!fs::exists(index, ec)) return false;
  try {
    for (const auto& shard : detail::index_shards(read_small(index), index.string()))
      if (!fs::exists(snapshot / shard, ec)) return true;
  } catch (const Error&) {
    return true;
  }
  return false;
}

}  // namespace

std::vector<CachedModel> list_cache(const HubOptions& options) {
  std::vector<CachedModel> models;
  std::error_code ec;
  if (!fs::is_directory(options.cache_dir, ec)) return models;
  for (const auto& entry : fs::directory_iterator(options.cache_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("models--", 0) != 0 || !entry.is_directory(ec)) continue;
    CachedModel m;
    m.folder = entry.path();
    m.repo = name.substr(8);
    if (const auto sep = m.repo.find("--"); sep != std::string::npos) m.repo.replace(sep, 2, "/");
    for (const auto& blob : fs::directory_iterator(m.folder / "blobs", ec)) {
      if (!blob.is_regular_file(ec)) continue;
      m.size += blob.file_size(ec);
      m.last_modified = std::max(m.last_modified, mtime_of(blob.path()));
    }
    const auto refs = refs_of(m.folder);
    for (const auto& [ref, commit] : refs)
      m.last_modified = std::max(m.last_modified, mtime_of(m.folder / "refs" / ref));
    std::vector<std::pair<std::time_t, CachedRevision>> revisions;
    for (const auto& snap : fs::directory_iterator(m.folder / "snapshots", ec)) {
      if (!snap.is_directory(ec)) continue;
      CachedRevision r;
      r.commit = snap.path().filename().string();
      for (const auto& [ref, commit] : refs)
        if (commit == r.commit) r.refs.push_back(ref);
      r.complete = true;
      for (const auto& [file, path] : snapshot_entries(snap.path())) {
        r.files.push_back(file);
        if (!fs::exists(path, ec)) {
          r.complete = false;
          continue;
        }
        r.size += fs::file_size(path, ec);
      }
      if (shards_missing(snap.path())) r.complete = false;
      revisions.emplace_back(mtime_of(snap.path()), std::move(r));
    }
    std::sort(revisions.begin(), revisions.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& [t, r] : revisions) m.revisions.push_back(std::move(r));
    models.push_back(std::move(m));
  }
  std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.repo < b.repo; });
  return models;
}

std::uint64_t remove_model(const ModelName& name, const HubOptions& options) {
  const RepoCache repo(options.cache_dir, name.repo);
  std::error_code ec;
  if (!fs::is_directory(repo.folder(), ec))
    throw Error(name.repo + " is not in the cache (" + options.cache_dir.string() + ")");
  std::uint64_t freed = 0;
  auto remove_counting = [&](const fs::path& p) {
    if (fs::is_regular_file(p, ec) && !fs::is_symlink(p, ec)) freed += fs::file_size(p, ec);
    fs::remove(p, ec);
  };
  if (name.revision.empty()) {
    for (auto it = fs::recursive_directory_iterator(repo.folder(), ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) freed += it->file_size(ec);
    fs::remove_all(repo.folder(), ec);
    if (ec) throw Error("cannot remove " + repo.folder().string() + ": " + ec.message());
    fs::remove_all(options.cache_dir / ".locks" / repo_folder_name(name.repo), ec);
    return freed;
  }
  const auto commit = repo.commit_of(name.revision);
  if (!commit || !fs::is_directory(repo.snapshot(*commit), ec))
    throw Error(name.repo + "@" + name.revision + " is not in the cache (" + repo.folder().string() + ")");
  // Blobs other snapshots still use stay.
  std::set<fs::path> kept;
  for (const auto& snap : fs::directory_iterator(repo.folder() / "snapshots", ec))
    if (snap.path().filename() != *commit)
      for (const auto& [file, path] : snapshot_entries(snap.path())) kept.insert(blob_of(path));
  for (const auto& [file, path] : snapshot_entries(repo.snapshot(*commit))) {
    const fs::path blob = blob_of(path);
    if (!kept.count(blob)) remove_counting(blob);
  }
  fs::remove_all(repo.snapshot(*commit), ec);
  fs::remove_all(repo.folder() / ".no_exist" / *commit, ec);
  for (const auto& [ref, target] : refs_of(repo.folder()))
    if (target == *commit) fs::remove(repo.folder() / "refs" / ref, ec);
  if (fs::is_empty(repo.folder() / "snapshots", ec)) {
    for (auto it = fs::recursive_directory_iterator(repo.folder(), ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) freed += it->file_size(ec);
    fs::remove_all(repo.folder(), ec);
    fs::remove_all(options.cache_dir / ".locks" / repo_folder_name(name.repo), ec);
  }
  return freed;
}

}  // namespace qwen3::hub
