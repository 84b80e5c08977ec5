#pragma once
// A local server that answers like the Hugging Face hub, for the hub tests:
// on 127.0.0.1 and a free port, it serves repositories made of files (a
// fixture checkpoint) with the hub's resolve URLs
//   HEAD/GET /OWNER/NAME/resolve/REVISION/FILE
// (small files: 200 with ETag = git's blob sha1; LFS files: 302 to /cdn/SHA256
// with X-Linked-Etag and X-Linked-Size; X-Repo-Commit on every answer), the
// model API GET /api/models/OWNER/NAME/revision/REV (sha and siblings), range
// requests on /cdn, and the hub's error answers (401 RepoNotFound for an
// unknown or private repository, 403 GatedRepo, 404 EntryNotFound and
// RevisionNotFound). Misbehaviour on demand: connections cut halfway through
// a file, corrupted bytes, a lying size, 500 answers, slow transfers. It
// counts what it was asked. It stops when destroyed.
#include <httplib.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/file.h"
#include "common/sha256.h"

namespace qwen3::test {

inline std::string digest_hex(const EVP_MD* md, const std::string& data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, md, nullptr);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < n; ++i) (s += hex[d[i] >> 4]) += hex[d[i] & 15];
  return s;
}

// git's object id of a file: sha1("blob <size>\0<content>"), the hub's ETag of a file kept in git.
inline std::string git_blob_sha1(const std::string& content) {
  return digest_hex(EVP_sha1(), "blob " + std::to_string(content.size()) + std::string(1, '\0') + content);
}

struct HubFile {
  std::string name;
  std::shared_ptr<const std::string> content;
  bool lfs = false;
  std::string etag() const { return lfs ? sha256_hex(content->data(), content->size()) : git_blob_sha1(*content); }
};

struct HubRepo {
  std::string id;                           // "test/tiny-qwen3-a"
  std::string commit;                       // 40 hex digits
  std::map<std::string, std::string> tags;  // more refs than main: name -> commit (this repo's commit)
  std::vector<HubFile> files;
  std::string token;   // access needs "Authorization: Bearer <token>"; empty: public
  bool gated = false;  // without the token: 403 GatedRepo (else 401 RepoNotFound, as a private repository)

  // Every file of `folder` (not its sub-folders); large files and weights as LFS, as the hub stores them.
  static HubRepo from_folder(const std::string& id, const std::filesystem::path& folder) {
    HubRepo r;
    r.id = id;
    r.commit = sha256_hex(id.data(), id.size()).substr(0, 40);
    for (const auto& e : std::filesystem::directory_iterator(folder)) {
      if (!e.is_regular_file()) continue;
      r.add(e.path().filename().string(), qwen3::read_file(e.path()));
    }
    return r;
  }
  void add(const std::string& name, std::string content) {
    const bool lfs = content.size() >= (1u << 20) || name.ends_with(".safetensors") || name.ends_with(".gguf");
    files.push_back({name, std::make_shared<const std::string>(std::move(content)), lfs});
  }
  const HubFile* find(const std::string& name) const {
    for (const auto& f : files)
      if (f.name == name) return &f;
    return nullptr;
  }
};

class HubServer {
 public:
  HubServer() = default;
  ~HubServer() { stop(); }
  HubServer(const HubServer&) = delete;
  HubServer& operator=(const HubServer&) = delete;

  void add(HubRepo repo) {
    std::lock_guard lock(mutex_);
    repos_[repo.id] = std::move(repo);
  }

  void start() {
    routes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("test hub server: no free port on 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // ---- misbehaviour -----------------------------------------------------------
  // The next `times` bodies of `file` stop halfway (the connection closed).
  void cut(const std::string& file, int times) {
    std::lock_guard lock(mutex_);
    cut_file_ = file;
    cuts_ = times;
  }
  std::atomic<bool> corrupt{false};           // LFS bodies with one byte changed
  std::atomic<int> status{0};                 // non-zero: every request gets this status
  std::atomic<int> chunk_delay_ms{0};         // a pause per 64 KiB sent
  std::atomic<bool> ignore_ranges{false};     // answer a range request with the whole file (200)
  std::atomic<long long> announced_size{-1};  // >= 0: X-Linked-Size says this

  // ---- what it was asked ---------------------------------------------------------
  int body_gets(const std::string& file) const {  // GETs that sent the file's bytes
    std::lock_guard lock(mutex_);
    auto it = gets_.find(file);
    return it == gets_.end() ? 0 : it->second;
  }
  int requests() const { return requests_; }
  std::vector<std::string> ranges() const {
    std::lock_guard lock(mutex_);
    return ranges_;
  }

 private:
  static void error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
    res.status = status;
    if (!code.empty()) res.set_header("X-Error-Code", code);
    res.set_header("X-Error-Message", message);
    res.set_content("{\"error\":\"" + message + "\"}", "application/json");
  }

  // The repository a request may see, or nullptr with the error answer set.
  const HubRepo* repo_for(const httplib::Request& req, httplib::Response& res, const std::string& id) {
    auto it = repos_.find(id);
    if (it == repos_.end()) {
      error(res, 401, "RepoNotFound", "Repository not found");
      return nullptr;
    }
    const HubRepo& repo = it->second;
    if (!repo.token.empty() && req.get_header_value("Authorization") != "Bearer " + repo.token) {
      if (repo.gated)
        error(res, 403, "GatedRepo", "Access to model " + id + " is restricted");
      else
        error(res, 401, "RepoNotFound", "Repository not found");
      return nullptr;
    }
    return &repo;
  }

  // The commit a revision names in `repo`, or "" when it names none.
  static std::string commit_of(const HubRepo& repo, const std::string& revision) {
    if (revision == "main" || revision == repo.commit) return repo.commit;
    auto it = repo.tags.find(revision);
    return it == repo.tags.end() ? "" : it->second;
  }

  void routes() {
    server_.set_pre_routing_handler([this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      if (status != 0) {
        error(res, status, "", "injected failure");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_.Get(R"(/api/models/([^/]+/[^/]+)/revision/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mutex_);
                  const HubRepo* repo = repo_for(req, res, req.matches[1]);
                  if (!repo) return;
                  const std::string commit = commit_of(*repo, req.matches[2]);
                  if (commit.empty()) return error(res, 404, "RevisionNotFound", "Invalid rev id");
                  nlohmann::json j{{"id", repo->id}, {"sha", commit}, {"siblings", nlohmann::json::array()}};
                  for (const auto& f : repo->files) j["siblings"].push_back({{"rfilename", f.name}});
                  res.set_content(j.dump(), "application/json");
                });
    server_.Get(R"(/([^/]+/[^/]+)/resolve/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      const HubRepo* repo = repo_for(req, res, req.matches[1]);
      if (!repo) return;
      const std::string commit = commit_of(*repo, req.matches[2]);
      if (commit.empty()) return error(res, 404, "RevisionNotFound", "Invalid rev id");
      res.set_header("X-Repo-Commit", commit);
      const HubFile* file = repo->find(req.matches[3]);
      if (!file) return error(res, 404, "EntryNotFound", "Entry not found");
      if (file->lfs) {
        const std::string sha = file->etag();
        res.set_header("X-Linked-Etag", "\"" + sha + "\"");
        res.set_header("X-Linked-Size", announced_size >= 0 ? std::to_string(announced_size.load())
                                                            : std::to_string(file->content->size()));
        res.set_header("ETag", "\"" + git_blob_sha1(sha) + "\"");  // the pointer's id, as the hub sends
        res.set_redirect(endpoint() + "/cdn/" + repo->id + "/" + file->name, 302);
        return;
      }
      res.set_header("ETag", "\"" + file->etag() + "\"");
      serve(req, res, *file);
    });
    server_.Get(R"(/cdn/([^/]+/[^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      auto it = repos_.find(req.matches[1]);
      const HubFile* file = it == repos_.end() ? nullptr : it->second.find(req.matches[2]);
      if (!file) return error(res, 404, "", "no such object");
      serve(req, res, *file);
    });
  }

  // The bytes of `file`, with the misbehaviour asked for. httplib answers a
  // range request itself (206, Content-Range) and asks the provider for the range.
  void serve(const httplib::Request& req, httplib::Response& res, const HubFile& file) {
    const std::string range = req.get_header_value("Range");
    if (req.method == "GET") {
      if (!range.empty()) ranges_.push_back(range);
      ++gets_[file.name];
    }
    const auto content = file.content;
    const std::uint64_t size = content->size();
    if (ignore_ranges) {
      const_cast<httplib::Request&>(req).ranges.clear();  // as a server without range support
    } else if (range.rfind("bytes=", 0) == 0 && range.back() == '-' && std::stoull(range.substr(6)) >= size) {
      res.status = 416;
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      return;
    }
    const bool cut = req.method == "GET" && file.name == cut_file_ && cuts_ > 0;
    if (cut) --cuts_;
    const bool bad = corrupt && file.lfs;
    const int delay = chunk_delay_ms;
    res.set_content_provider(
        size, "application/octet-stream",
        [content, cut, bad, delay](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          const std::uint64_t stop_at = offset + (cut ? length / 2 : length);
          const std::uint64_t middle = content->size() / 2;
          for (std::uint64_t at = offset; at < stop_at;) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(64 * 1024, stop_at - at));
            std::string chunk = content->substr(at, n);
            if (bad && at <= middle && middle < at + n) chunk[middle - at] ^= 0x5a;
            if (!sink.write(chunk.data(), chunk.size())) return false;
            at += n;
            if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
          }
          return !cut;  // false closes the connection in the middle of the body
        });
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, HubRepo> repos_;
  std::map<std::string, int> gets_;
  std::string cut_file_;
  int cuts_ = 0;
  std::vector<std::string> ranges_;
  std::atomic<int> requests_{0};
};

}  // namespace qwen3::test
