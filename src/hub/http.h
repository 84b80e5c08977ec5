#pragma once
// The few HTTP requests the hub needs, over libcurl: a HEAD that does not
// follow redirects to another host (the metadata of a file), a GET of a small
// body (the model API) and a GET streamed to a sink from a byte offset (a
// download, resumed with a range request).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "qwen3/error.h"
#include "qwen3/hub.h"

namespace qwen3::hub::detail {

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;       // names in lower case; the last response's
  std::string body;                                 // small bodies and error answers (up to 64 KiB)
  std::string url;                                  // the URL that answered
  std::string header(std::string_view name) const;  // "" when absent; `name` in lower case
};

// The server could not be reached or the transfer broke; `message` says how.
class NetworkError : public Error {
 public:
  enum class Kind { Unreachable, Cut, Stalled, Other };
  NetworkError(Kind kind, const std::string& message) : Error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// How requests carry the token: only to the endpoint's own host (a redirect
// to a CDN gets none, as huggingface_hub does).
struct Client {
  const HubOptions& options;

  // HEAD without following redirects, except relative ones (a renamed
  // repository); a redirect to another host is returned as it is.
  Response head(const std::string& url) const;
  // GET following redirects, the body kept.
  Response get(const std::string& url) const;
  // GET from byte `from` (a range request when > 0), following redirects.
  // on_status(status) is called once before the first byte of a 200 or 206
  // answer (a 200 to a range request means the server sent the whole file);
  // on_data(bytes, n) receives the body. Other answers are returned with
  // their body for the error message. Throws NetworkError when the transfer
  // breaks, and what on_data throws.
  Response download(const std::string& url, std::uint64_t from, const std::function<void(long status)>& on_status,
                    const std::function<void(const char* data, std::size_t size)>& on_data) const;
};

// curl_global_init, once per process (thread-safe); every libcurl user calls it first.
void global_init();

// "%2F" for '/' and every byte outside A-Z a-z 0-9 - _ . ~ (keep_slash: '/' kept).
std::string url_escape(std::string_view text, bool keep_slash);

}  // namespace qwen3::hub::detail
