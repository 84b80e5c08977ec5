#include "server/requests.h"

#include <cmath>
#include <limits>
#include <map>
#include <type_traits>

#include "qwen3/error.h"

namespace qwen3::server {
namespace {

// A field that is present and not null.
const Json* find(const Json& body, std::string_view name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw ApiError(400, field + ": " + what, field);
}

std::string type_of(const Json& v) { return v.type_name(); }

bool get_bool(const Json& body, std::string_view name, bool fallback) {
  const Json* v = find(body, name);
  if (!v) return fallback;
  if (!v->is_boolean()) bad(std::string(name), "expected true or false (got " + type_of(*v) + ")");
  return v->get<bool>();
}

const Json* get_object(const Json& body, std::string_view name) {
  const Json* v = find(body, name);
  if (v && !v->is_object()) bad(std::string(name), "expected an object (got " + type_of(*v) + ")");
  return v;
}

// JSON -> an option's value type; false when the JSON is not one.
bool from_json(const Json& v, int& out) {
  if (v.is_number_integer()) {
    const auto x = v.get<std::int64_t>();
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) return false;
    out = static_cast<int>(x);
    return true;
  }
  // JavaScript clients may write 16.0 for 16.
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d != std::floor(d) || std::abs(d) > std::numeric_limits<int>::max()) return false;
    out = static_cast<int>(d);
    return true;
  }
  return false;
}
bool from_json(const Json& v, float& out) {
  if (!v.is_number()) return false;
  out = v.get<float>();
  return true;
}
bool from_json(const Json& v, bool& out) {
  if (!v.is_boolean()) return false;
  out = v.get<bool>();
  return true;
}
bool from_json(const Json& v, std::string& out) {
  if (!v.is_string()) return false;
  out = v.get<std::string>();
  return true;
}
bool from_json(const Json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return out != kRandomSeed;
  }
  if (v.is_number_integer()) return false;  // negative
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d < 0 || d != std::floor(d) || d >= 1.8e19) return false;
    out = static_cast<std::uint64_t>(d);
    return true;
  }
  return false;
}
bool from_json(const Json& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    out = {v.get<std::string>()};
    return true;
  }
  if (!v.is_array()) return false;
  out.clear();
  for (const auto& s : v) {
    if (!s.is_string()) return false;
    out.push_back(s.get<std::string>());
  }
  return true;
}
template <typename T>
bool from_json(const Json&, T&) {
  return false;  // options a request may not set (dtype)
}

template <typename T>
std::string expected_json() {
  if constexpr (std::is_same_v<T, std::uint64_t>)
    return "an integer from 0 to 18446744073709551614";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>)
    return "a string or an array of strings";
  else
    return std::string(expected<T>());
}

// Request fields -> one more layer of the options model.
class Layer {
 public:
  // Sets option `key` from request field `field` (absent or null: unset).
  void set(const Json& body, std::string_view field, std::string_view key) {
    if (const Json* v = find(body, field)) set_value(*v, std::string(field), key);
  }
  void set_value(const Json& v, const std::string& field, std::string_view key) {
    bool found = false;
    auto visit = [&](std::string_view k, auto& member) {
      if (k != key) return;
      found = true;
      typename std::remove_reference_t<decltype(member)>::value_type value{};
      if (!from_json(v, value)) bad(field, "expected " + expected_json<decltype(value)>() + " (got " + v.dump() + ")");
      member = value;
    };
    visit_general(overrides, visit);
    visit_sampling(overrides.sampling, visit);
    if (!found) throw Error("internal: no option " + std::string(key));
    fields[std::string(key)] = field;
  }
  // The settings of the request: `defaults` with this layer on top; a bad
  // value is a 400 naming the request's field.
  Settings apply(const Settings& defaults) const {
    Settings s = defaults;
    try {
      apply_overrides(s, overrides, Source::Request);
    } catch (const Error& e) {
      // "<key>: <key> = ... is out of range ..." -> the field the request used.
      std::string message = e.what();
      const std::string key = message.substr(0, message.find(':'));
      auto it = fields.find(key);
      const std::string field = it == fields.end() ? key : it->second;
      if (field != key) message = field + message.substr(key.size());
      throw ApiError(400, message, field);
    }
    return s;
  }

  SettingOverrides overrides;
  std::map<std::string, std::string> fields;  // option key -> request field
};

// Our extension english_only: a policy, true (latin) or false (off).
void english_only(const Json& body, Layer& layer) {
  const Json* e = find(body, "english_only");
  if (!e) return;
  if (e->is_boolean())
    layer.overrides.english_only = e->get<bool>() ? "latin" : "off";
  else
    layer.set_value(*e, "english_only", "english_only");
  layer.fields["english_only"] = "english_only";
}

// The sampling fields OpenAI and vLLM clients send, and our extensions.
void openai_fields(const Json& body, Layer& layer) {
  layer.set(body, "max_tokens", "max_new_tokens");
  layer.set(body, "max_completion_tokens", "max_new_tokens");
  for (const char* key :
       {"temperature", "top_p", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty", "seed", "stop",
        "thinking_budget", "repetition_guard", "repetition_min_period", "ignore_eos"})
    layer.set(body, key, key);
  if (const Json* k = find(body, "top_k")) {
    if (*k == -1)
      layer.overrides.sampling.top_k = 0;  // vLLM's "off"
    else
      layer.set_value(*k, "top_k", "top_k");
  }
  english_only(body, layer);
}

// The prompt must fit with room for the reply: a request that gives
// max_tokens must fit whole (a 400 naming both numbers); otherwise the
// reply is limited to what is left.
void fit_context(Prepared& p, const Layer& layer, const Limits& limits, const std::string& prompt_field) {
  const int prompt = static_cast<int>(p.prompt.size());
  int& max_new = p.options.sampling.max_new_tokens;
  if (prompt >= limits.context)
    throw ApiError(400,
                   "the prompt has " + std::to_string(prompt) + " tokens, which leaves no room in the context of " +
                       std::to_string(limits.context) + " tokens",
                   prompt_field, "invalid_request_error");
  if (auto it = layer.fields.find("max_new_tokens"); it != layer.fields.end()) {
    if (static_cast<std::int64_t>(prompt) + max_new > limits.context)
      throw ApiError(400,
                     "the prompt (" + std::to_string(prompt) + " tokens) plus " + it->second + " (" +
                         std::to_string(max_new) + ") exceed the context of " + std::to_string(limits.context) +
                         " tokens",
                     it->second);
    return;
  }
  max_new = std::min(max_new, limits.context - prompt);
}

// OpenAI message content: a string, or an array of text parts.
Json normalize_content(const Json& content, const std::string& field) {
  if (!content.is_array()) return content;
  std::string text;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    const std::string f = field + "[" + std::to_string(i) + "]";
    if (!part.is_object()) bad(f, "expected a content part object (got " + type_of(part) + ")");
    const Json* type = find(part, "type");
    if (!type || *type != "text")
      bad(f + ".type", "only text parts are supported (got " + (type ? type->dump() : std::string("none")) + ")");
    const Json* t = find(part, "text");
    if (!t || !t->is_string()) bad(f + ".text", "expected a string");
    if (!text.empty()) text += "\n";
    text += t->get<std::string>();
  }
  return text;
}

// Messages in OpenAI (or Ollama) form -> the chat library's JSON form.
Json normalize_messages(const Json& body, const Limits& limits, bool ollama) {
  const Json* messages = find(body, "messages");
  if (!messages) bad("messages", "is missing (an array of {role, content} objects)");
  if (!messages->is_array()) bad("messages", "expected an array (got " + type_of(*messages) + ")");
  if (messages->empty()) bad("messages", "must not be empty");
  if (static_cast<int>(messages->size()) > limits.max_messages)
    bad("messages", "has " + std::to_string(messages->size()) + " messages; at most " +
                        std::to_string(limits.max_messages) + " are accepted");
  Json out = Json::array();
  for (std::size_t i = 0; i < messages->size(); ++i) {
    Json m = (*messages)[i];
    const std::string field = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) bad(field, "expected an object (got " + type_of(m) + ")");
    if (auto role = m.find("role"); role != m.end() && *role == "developer") *role = "system";
    if (auto content = m.find("content"); content != m.end())
      *content = normalize_content(*content, field + ".content");
    if (ollama) {
      if (const Json* images = find(m, "images"); images && !images->empty())
        bad(field + ".images", "images are not supported (a text-only model)");
      if (auto thinking = m.find("thinking"); thinking != m.end()) {
        if (m.value("role", "") == "assistant") m["reasoning_content"] = *thinking;
        m.erase("thinking");
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

ChatRequest chat_request(const Json& messages, const Json* tools) {
  Json j{{"messages", messages}};
  if (tools) j["tools"] = *tools;
  try {
    return chat_request_from_json(j, "request");
  } catch (const Error& e) {
    // "request: messages[1].role must be ..." -> param "messages[1].role".
    std::string message = e.what();
    const std::string prefix = "request: ";
    if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
    throw ApiError(400, message, message.substr(0, message.find(' ')));
  }
}

void thinking_switch(const Json& body, Layer& layer) {
  // reasoning_effort "none" turns thinking off; the template's own
  // kwarg, when given, decides.
  if (const Json* effort = find(body, "reasoning_effort")) {
    if (!effort->is_string()) bad("reasoning_effort", "expected a string (got " + type_of(*effort) + ")");
    const std::string e = effort->get<std::string>();
    if (e == "none")
      layer.overrides.enable_thinking = false;
    else if (e == "minimal" || e == "low" || e == "medium" || e == "high")
      layer.overrides.enable_thinking = true;
    else
      bad("reasoning_effort", "expected \"none\", \"minimal\", \"low\", \"medium\" or \"high\" (got \"" + e + "\")");
  }
  if (const Json* kwargs = get_object(body, "chat_template_kwargs"))
    if (const Json* think = find(*kwargs, "enable_thinking")) {
      if (!think->is_boolean())
        bad("chat_template_kwargs.enable_thinking", "expected true or false (got " + type_of(*think) + ")");
      layer.overrides.enable_thinking = think->get<bool>();
    }
}

void logit_bias(const Json& body, GenerationOptions& options, int vocab) {
  const Json* bias = get_object(body, "logit_bias");
  if (!bias) return;
  for (const auto& [key, value] : bias->items()) {
    const std::string field = "logit_bias." + key;
    std::size_t used = 0;
    long id = -1;
    try {
      id = std::stol(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != key.size() || id < 0 || id >= vocab)
      bad(field, "expected a token id from 0 to " + std::to_string(vocab - 1));
    if (!value.is_number() || value.get<double>() < -100 || value.get<double>() > 100)
      bad(field, "expected a number from -100 to 100 (got " + value.dump() + ")");
    options.logit_bias.emplace_back(static_cast<TokenId>(id), value.get<float>());
  }
}

// vLLM's allowed_token_ids: only these ids can be generated (within the
// English-only set too, when the request has one).
void allowed_token_ids(const Engine& engine, const Json& body, Prepared& p) {
  const Json* list = find(body, "allowed_token_ids");
  if (!list) return;
  if (!list->is_array() || list->empty())
    bad("allowed_token_ids", "expected a non-empty array of token ids (got " + list->dump().substr(0, 40) + ")");
  const int vocab = engine.tokenizer().vocab_size();
  const int rows = engine.remote() ? vocab : static_cast<int>(engine.model().config().vocab_size);
  std::vector<std::uint8_t> allowed(static_cast<std::size_t>(rows), 0);
  for (std::size_t i = 0; i < list->size(); ++i) {
    int id = -1;
    if (!from_json((*list)[i], id) || id < 0 || id >= vocab)
      bad("allowed_token_ids[" + std::to_string(i) + "]", "expected a token id from 0 to " + std::to_string(vocab - 1));
    if (!p.options.allowed || p.options.allowed->allows(id)) allowed[static_cast<std::size_t>(id)] = 1;
  }
  std::vector<TokenId> ids;
  for (int id = 0; id < rows; ++id)
    if (allowed[static_cast<std::size_t>(id)]) ids.push_back(id);
  if (ids.empty()) bad("allowed_token_ids", "leaves no token to generate (none is in the English-only set)");
  p.allowed = std::make_shared<const vocab::TokenMask>(std::move(allowed), std::move(ids));
  p.options.allowed = p.allowed.get();
}

// The rendered chat prompt for `request` under settings `s`.
void chat_prompt(const Engine& engine, const Settings& s, ChatRequest request, bool tools, Prepared& p) {
  request.enable_thinking = engine.enable_thinking(s);
  p.mode = engine.mode_for(request, s);
  p.options = engine.options_for(p.mode, s, tools);
  p.tools = tools;
  p.prompt = engine.tokenizer().encode(
      engine.chat_template().render(effective_request(std::move(request), p.options.thinking_budget)));
}

}  // namespace

Json parse_body(const std::string& body) {
  Json j;
  // Parsing is iterative but copying a value recurses once per level: a body
  // of 100,000 nested arrays overflowed the stack of the thread serving it.
  auto shallow = [](int depth, Json::parse_event_t event, Json&) {
    if (depth > kMaxBodyDepth &&
        (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start))
      throw ApiError(400, "the body nests objects and arrays deeper than " + std::to_string(kMaxBodyDepth) + " levels");
    return true;
  };
  try {
    j = Json::parse(body, shallow);
  } catch (const Json::exception& e) {
    throw ApiError(400, std::string("the body is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw ApiError(400, "the body must be a JSON object (got " + type_of(j) + ")");
  return j;
}

Settings server_defaults(const Settings& engine_settings) {
  Settings s = engine_settings;
  if (s.repetition_guard.source == Source::Builtin) s.repetition_guard.value = 8;
  // Untrusted clients: "<|im_start|>" typed in a message stays text.
  if (s.special_tokens_in_content.source == Source::Builtin) s.special_tokens_in_content.value = "text";
  return s;
}

// Structured output (OpenAI's response_format json_object / json_schema,
// Ollama's format "json" or a schema) would need constrained decoding, which
// the server does not do: such a request is refused rather than answered
// with unconstrained text the client would take for JSON.
void no_structured_output(const Json& body, const char* field) {
  const Json* f = find(body, field);
  if (!f || f->is_null()) return;
  if (f->is_string() && f->get<std::string>().empty()) return;
  if (f->is_object()) {
    const Json* type = find(*f, "type");
    if (type && *type == "text") return;
  }
  bad(field, "structured output is not supported (got " + f->dump() + "); ask for JSON in the prompt instead");
}

Prepared prepare_chat(const Engine& engine, const Settings& defaults, const Json& body, const Limits& limits) {
  Prepared p;
  if (const Json* n = find(body, "n"); n && *n != 1)
    bad("n", "only one choice per request is supported (got " + n->dump() + ")");
  no_structured_output(body, "response_format");
  Layer layer;
  openai_fields(body, layer);
  thinking_switch(body, layer);
  p.stream = get_bool(body, "stream", false);
  if (const Json* so = get_object(body, "stream_options")) {
    p.include_usage = get_bool(*so, "include_usage", false);
  }
  const bool logprobs = get_bool(body, "logprobs", false);
  if (const Json* top = find(body, "top_logprobs")) {
    int n = 0;
    if (!from_json(*top, n) || n < 0 || n > kMaxTopLogprobs)
      bad("top_logprobs", "expected an integer from 0 to " + std::to_string(kMaxTopLogprobs));
    if (!logprobs) bad("top_logprobs", "requires logprobs: true");
    p.top_logprobs = n;
  } else if (logprobs) {
    p.top_logprobs = 0;
  }
  const Json messages = normalize_messages(body, limits, false);
  const Json* tools = find(body, "tools");
  if (const Json* choice = find(body, "tool_choice")) {
    if (!(choice->is_string() || choice->is_object()))
      bad("tool_choice", "expected \"none\", \"auto\", \"required\" or an object");
    if (*choice == "none") tools = nullptr;  // the model is not told about them
  }
  const bool with_tools = tools && tools->is_array() && !tools->empty();
  ChatRequest request = chat_request(messages, tools);
  const Settings s = layer.apply(defaults);
  chat_prompt(engine, s, std::move(request), with_tools, p);
  logit_bias(body, p.options, engine.tokenizer().vocab_size());
  allowed_token_ids(engine, body, p);
  p.options.logprobs = p.top_logprobs;
  fit_context(p, layer, limits, "messages");
  return p;
}

Prepared prepare_completion(const Engine& engine, const Settings& defaults, const Json& body, const Limits& limits) {
  Prepared p;
  p.raw = true;
  if (const Json* n = find(body, "n"); n && *n != 1)
    bad("n", "only one choice per request is supported (got " + n->dump() + ")");
  if (get_bool(body, "echo", false)) bad("echo", "is not supported");
  if (const Json* suffix = find(body, "suffix"); suffix && !(suffix->is_string() && suffix->get<std::string>().empty()))
    bad("suffix", "is not supported");
  Layer layer;
  openai_fields(body, layer);
  p.stream = get_bool(body, "stream", false);
  if (const Json* so = get_object(body, "stream_options")) p.include_usage = get_bool(*so, "include_usage", false);
  if (const Json* lp = find(body, "logprobs")) {
    int n = 0;
    if (!from_json(*lp, n) || n < 0 || n > 5) bad("logprobs", "expected an integer from 0 to 5");
    p.top_logprobs = n;
  }
  const Json* prompt = find(body, "prompt");
  if (!prompt) bad("prompt", "is missing (a string or an array of token ids)");
  // One prompt: a string, an array of ids, or an array holding one of them.
  const Json* one = prompt;
  if (prompt->is_array() && prompt->size() == 1 && ((*prompt)[0].is_string() || (*prompt)[0].is_array()))
    one = &(*prompt)[0];
  if (one->is_string()) {
    p.prompt = engine.tokenizer().encode(one->get<std::string>());
  } else if (one->is_array()) {
    for (std::size_t i = 0; i < one->size(); ++i) {
      int id = -1;
      if (!from_json((*one)[i], id) || id < 0 || id >= engine.tokenizer().vocab_size())
        bad("prompt[" + std::to_string(i) + "]",
            "expected a token id from 0 to " + std::to_string(engine.tokenizer().vocab_size() - 1));
      p.prompt.push_back(id);
    }
  } else {
    bad("prompt", "expected a string or an array of token ids (got " + type_of(*prompt) + ")");
  }
  if (p.prompt.empty()) bad("prompt", "must not be empty");
  // OpenAI's default for completions.
  if (!layer.fields.count("max_new_tokens")) layer.overrides.sampling.max_new_tokens = 16;
  const Settings s = layer.apply(defaults);
  p.mode = s.default_mode();
  p.options = engine.options_for(p.mode, s);
  p.options.raw_text = true;
  logit_bias(body, p.options, engine.tokenizer().vocab_size());
  allowed_token_ids(engine, body, p);
  // A front (an engine on an endpoint) streams text without ids: it has none to return.
  p.return_token_ids = get_bool(body, "return_token_ids", false) && !engine.remote();
  p.options.logprobs = p.top_logprobs;
  fit_context(p, layer, limits, "prompt");
  return p;
}

namespace {

// Ollama's `options` (its Modelfile parameter names) and `think`. Returns
// the request's limits: options.num_ctx, Ollama's context window, caps the
// slot's context for this request (a prompt plus num_predict beyond it is a
// 400 naming both; without num_predict the answer stops at it).
Limits ollama_fields(const Json& body, Layer& layer, Limits limits) {
  if (const Json* options = get_object(body, "options")) {
    if (const Json* n = find(*options, "num_predict")) {
      int v = 0;
      if (!from_json(*n, v)) bad("options.num_predict", "expected an integer");
      if (v >= 0) layer.set_value(*n, "options.num_predict", "max_new_tokens");  // -1: no limit, -2: fill the context
    }
    if (const Json* n = find(*options, "num_ctx")) {
      int v = 0;
      if (!from_json(*n, v) || v < 1) bad("options.num_ctx", "expected an integer >= 1");
      limits.context = std::min(limits.context, v);
    }
    const std::pair<const char*, const char*> names[] = {{"temperature", "temperature"},
                                                         {"top_p", "top_p"},
                                                         {"top_k", "top_k"},
                                                         {"min_p", "min_p"},
                                                         {"seed", "seed"},
                                                         {"stop", "stop"},
                                                         {"repeat_penalty", "repetition_penalty"},
                                                         {"presence_penalty", "presence_penalty"},
                                                         {"frequency_penalty", "frequency_penalty"}};
    for (const auto& [name, key] : names)
      if (const Json* v = find(*options, name)) layer.set_value(*v, std::string("options.") + name, key);
  }
  for (const char* key : {"thinking_budget", "repetition_guard", "repetition_min_period"}) layer.set(body, key, key);
  english_only(body, layer);
  if (const Json* think = find(body, "think")) {
    // true/false, or newer Ollama's "low" / "medium" / "high".
    if (think->is_boolean())
      layer.overrides.enable_thinking = think->get<bool>();
    else if (think->is_string() && (*think == "low" || *think == "medium" || *think == "high"))
      layer.overrides.enable_thinking = true;
    else
      bad("think", "expected true or false (got " + think->dump() + ")");
  }
  return limits;
}

}  // namespace

Prepared prepare_ollama_chat(const Engine& engine, const Settings& defaults, const Json& body, const Limits& limits) {
  Prepared p;
  Layer layer;
  const Limits request_limits = ollama_fields(body, layer, limits);
  no_structured_output(body, "format");
  p.stream = get_bool(body, "stream", true);
  const Json messages = normalize_messages(body, limits, true);
  const Json* tools = find(body, "tools");
  const bool with_tools = tools && tools->is_array() && !tools->empty();
  ChatRequest request = chat_request(messages, tools);
  const Settings s = layer.apply(defaults);
  chat_prompt(engine, s, std::move(request), with_tools, p);
  logit_bias(body, p.options, engine.tokenizer().vocab_size());  // our extension, as in the OpenAI API
  fit_context(p, layer, request_limits, "messages");
  return p;
}

Prepared prepare_ollama_generate(const Engine& engine, const Settings& defaults, const Json& body,
                                 const Limits& limits) {
  Prepared p;
  Layer layer;
  const Limits request_limits = ollama_fields(body, layer, limits);
  no_structured_output(body, "format");
  p.stream = get_bool(body, "stream", true);
  if (const Json* images = find(body, "images"); images && !images->empty())
    bad("images", "images are not supported (a text-only model)");
  if (const Json* suffix = find(body, "suffix"); suffix && !(suffix->is_string() && suffix->get<std::string>().empty()))
    bad("suffix", "is not supported");
  const Json* prompt = find(body, "prompt");
  std::string text;
  if (prompt && !from_json(*prompt, text)) bad("prompt", "expected a string (got " + type_of(*prompt) + ")");
  std::string system;
  if (const Json* sys = find(body, "system"); sys && !from_json(*sys, system))
    bad("system", "expected a string (got " + type_of(*sys) + ")");
  const Settings s = layer.apply(defaults);
  if (get_bool(body, "raw", false)) {
    p.raw = true;
    p.prompt = engine.tokenizer().encode(text);
    if (p.prompt.empty()) bad("prompt", "must not be empty");
    p.mode = s.default_mode();
    p.options = engine.options_for(p.mode, s);
    p.options.raw_text = true;
  } else {
    ChatRequest request;
    if (!system.empty()) request.messages.push_back({Role::System, system, std::nullopt, {}, ""});
    request.messages.push_back({Role::User, text, std::nullopt, {}, ""});
    chat_prompt(engine, s, std::move(request), false, p);
  }
  fit_context(p, layer, request_limits, "prompt");
  return p;
}

}  // namespace qwen3::server
