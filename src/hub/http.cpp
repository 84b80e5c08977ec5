#include "hub/http.h"

#include <curl/curl.h>

#include <cctype>
#include <exception>
#include <memory>
#include <mutex>

namespace qwen3::hub::detail {
namespace {

constexpr std::size_t kMaxKeptBody = 64 * 1024;
constexpr int kMaxRelativeRedirects = 5;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "https://host:port/path" -> "https://host:port".
std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  const auto path = url.find('/', scheme + 3);
  return url.substr(0, path);
}

struct Transfer {
  Response response;
  std::function<void(long)> on_status;
  std::function<void(const char*, std::size_t)> on_data;
  bool keep_body = false;
  bool status_told = false;
  bool streaming = false;  // this answer's body goes to on_data
  std::exception_ptr error;
  CURL* curl = nullptr;
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {  // a new answer (after a redirect): forget the last one's headers
    t->response.headers.clear();
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  t->response.headers[lower(line.substr(0, colon))] = std::string(value);
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  try {
    if (!t->status_told) {
      t->status_told = true;
      long status = 0;
      curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
      t->streaming = t->on_data && (status == 200 || status == 206);
      if (t->streaming && t->on_status) t->on_status(status);
    }
    if (t->streaming) {
      t->on_data(data, bytes);
    } else if (t->response.body.size() < kMaxKeptBody) {
      t->response.body.append(data, std::min(bytes, kMaxKeptBody - t->response.body.size()));
    }
  } catch (...) {
    t->error = std::current_exception();
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR); the exception is rethrown
  }
  return bytes;
}

class Request {
 public:
  Request(const Client& client, const std::string& url) : options_(client.options) {
    global_init();
    curl_.reset(curl_easy_init());
    if (!curl_) throw Error("libcurl could not start a request");
    CURL* c = curl_.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
    // A transfer that moves less than one byte a second for this long has stalled.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "qwen3/0.1.0");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    headers_ = curl_slist_append(headers_, "Accept-Encoding: identity");
    // The token goes to the endpoint's host only, never to a CDN a redirect names.
    if (!options_.token.empty() && origin_of(url) == origin_of(options_.endpoint))
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + options_.token).c_str());
  }
  ~Request() { curl_slist_free_all(headers_); }

  CURL* get() { return curl_.get(); }
  void add_header(const std::string& h) { headers_ = curl_slist_append(headers_, h.c_str()); }

  Response perform(Transfer& t, const std::string& url) {
    CURL* c = curl_.get();
    t.curl = c;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    const CURLcode code = curl_easy_perform(c);
    if (t.error) std::rethrow_exception(t.error);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
    char* effective = nullptr;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
    t.response.url = effective ? effective : url;
    if (code != CURLE_OK) {
      const std::string what = error[0] ? std::string(error) : std::string(curl_easy_strerror(code));
      throw NetworkError(kind_of(code), what);
    }
    return std::move(t.response);
  }

 private:
  static NetworkError::Kind kind_of(CURLcode code) {
    switch (code) {
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
        return NetworkError::Kind::Unreachable;
      case CURLE_OPERATION_TIMEDOUT:
        return NetworkError::Kind::Stalled;
      case CURLE_PARTIAL_FILE:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_SEND_ERROR:
        return NetworkError::Kind::Cut;
      default:
        return NetworkError::Kind::Other;
    }
  }

  struct Cleanup {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  const HubOptions& options_;
  std::unique_ptr<CURL, Cleanup> curl_;
  curl_slist* headers_ = nullptr;
};

}  // namespace

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("libcurl could not be initialised");
  });
}

std::string Response::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string url_escape(std::string_view text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Response Client::head(const std::string& start) const {
  std::string url = start;
  for (int hop = 0;; ++hop) {
    Request request(*this, url);
    curl_easy_setopt(request.get(), CURLOPT_NOBODY, 1L);
    curl_easy_setopt(request.get(), CURLOPT_FOLLOWLOCATION, 0L);
    // Metadata comes fast or not at all: the whole request within the connect timeout plus a little.
    curl_easy_setopt(request.get(), CURLOPT_TIMEOUT, options.connect_timeout_s + options.stall_timeout_s);
    Transfer t;
    Response r = request.perform(t, url);
    const std::string location = r.header("location");
    // A relative redirect is a renamed repository: follow it; an absolute one
    // (the file's CDN address) is the answer.
    if (r.status >= 300 && r.status < 400 && !location.empty() && location.front() == '/' &&
        hop < kMaxRelativeRedirects) {
      url = origin_of(url) + location;
      continue;
    }
    r.url = url;
    return r;
  }
}

Response Client::get(const std::string& url) const {
  Request request(*this, url);
  curl_easy_setopt(request.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(request.get(), CURLOPT_MAXREDIRS, 10L);
  Transfer t;
  t.keep_body = true;
  return request.perform(t, url);
}

Response Client::download(const std::string& url, std::uint64_t from, const std::function<void(long)>& on_status,
                          const std::function<void(const char*, std::size_t)>& on_data) const {
  Request request(*this, url);
  curl_easy_setopt(request.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(request.get(), CURLOPT_MAXREDIRS, 10L);
  if (from > 0) request.add_header("Range: bytes=" + std::to_string(from) + "-");
  Transfer t;
  t.on_status = on_status;
  t.on_data = on_data;
  return request.perform(t, url);
}

}  // namespace qwen3::hub::detail
