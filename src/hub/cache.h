#pragma once
// One repository's folder in the huggingface_hub cache and the few rules of
// its layout: refs/REV holds a commit, snapshots/COMMIT/FILE is a relative
// link to blobs/ETAG, .no_exist/COMMIT/FILE marks a file the commit lacks,
// and .locks/models--OWNER--NAME/ETAG.lock (beside the repository folders)
// is held while a blob is written.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace qwen3::hub::detail {

class RepoCache {
 public:
  RepoCache(const std::filesystem::path& cache_dir, std::string_view repo);

  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path snapshot(const std::string& commit) const { return folder_ / "snapshots" / commit; }
  std::filesystem::path pointer(const std::string& commit, const std::string& file) const {
    return snapshot(commit) / file;
  }
  std::filesystem::path blob(const std::string& etag) const { return folder_ / "blobs" / etag; }
  std::filesystem::path lock_file(const std::string& etag) const { return locks_ / (etag + ".lock"); }
  std::filesystem::path no_exist(const std::string& commit, const std::string& file) const {
    return folder_ / ".no_exist" / commit / file;
  }

  // The commit `revision` means here: itself when it is a commit, else refs/REVISION's.
  std::optional<std::string> commit_of(const std::string& revision) const;
  // Records that `revision` (a branch or tag) points to `commit` (nothing for a commit).
  void write_ref(const std::string& revision, const std::string& commit) const;
  // Whether snapshots/COMMIT/FILE is there (a link whose blob exists).
  bool has(const std::string& commit, const std::string& file) const;
  bool known_absent(const std::string& commit, const std::string& file) const;
  void mark_absent(const std::string& commit, const std::string& file) const;
  // snapshots/COMMIT/FILE -> ../../blobs/ETAG (deeper files get more "../"), replacing what was there.
  void link(const std::string& commit, const std::string& file, const std::string& etag) const;

 private:
  std::filesystem::path folder_;
  std::filesystem::path locks_;
};

// A full commit hash: 40 lowercase hex digits.
bool is_commit(std::string_view revision);
// A sha256 in hex, as the ETag of an LFS file.
bool is_sha256(std::string_view etag);

// An exclusive flock on `path` (created if needed), released when destroyed.
// Blocks while another process holds it; `on_wait` is called first if so.
class FileLock {
 public:
  FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace qwen3::hub::detail
