// Request bodies as `qwen3 serve` reads them: parse_body, then the
// preparation of /v1/chat/completions, /v1/completions, /api/chat or
// /api/generate (the first byte picks one) against an engine on the tiny
// fixture's shapes with dummy weights: an ApiError (or qwen3::Error, a
// 400) with a one-line message, or a prompt of ids in range.
#include "fuzz/fuzz.h"
#include "qwen3/engine.h"
#include "server/requests.h"

QWEN3_FUZZ_TARGET(server_request) {
  using namespace qwen3;
  static const Engine engine = [] {
    SettingsSources sources;
    sources.command_line.model_config = (fuzz::fixture_dir() / "config.json").string();
    sources.command_line.dummy_weights = true;
    sources.command_line.tokenizer = fuzz::tokenizer_dir().string();
    sources.command_line.ctx = 512;
    sources.command_line.threads = 1;
    sources.model_dir = fuzz::temp_dir() / "empty-model";
    return Engine(resolve(sources));
  }();
  static const Settings defaults = server::server_defaults(engine.settings());
  if (size == 0) return 0;
  const server::Limits limits{16, 512};
  const std::string body(fuzz::as_text(data + 1, size - 1));
  server::Prepared p;
  try {
    const server::Json j = server::parse_body(body);
    switch (data[0] % 4) {
      case 0:
        p = server::prepare_chat(engine, defaults, j, limits);
        break;
      case 1:
        p = server::prepare_completion(engine, defaults, j, limits);
        break;
      case 2:
        p = server::prepare_ollama_chat(engine, defaults, j, limits);
        break;
      default:
        p = server::prepare_ollama_generate(engine, defaults, j, limits);
        break;
    }
  } catch (const server::ApiError& e) {
    const std::string_view m = e.what();
    if (m.empty() || m.find('\n') != std::string_view::npos) fuzz::fail("a bad error message: " + std::string(m));
    if (e.status < 400 || e.status > 599) fuzz::fail("an error with status " + std::to_string(e.status));
    return 0;
  } catch (...) {
    if (fuzz::returns_or_errs([] { throw; })) fuzz::fail("unreachable");
    return 0;
  }
  for (TokenId id : p.prompt)
    if (id < 0 || id >= engine.tokenizer().vocab_size()) fuzz::fail("a prompt id out of range");
  return 0;
}
