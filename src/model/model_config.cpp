// config.json / generation_config.json of Qwen3 dense checkpoints: every field
// the engine uses is read with its type checked, and every feature the engine
// does not implement is refused by name (file: field).
#include "qwen3/model_config.h"

#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/gguf.h"
#include "model/gguf_model.h"
#include "common/utf8.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

using nlohmann::json;

class Fields {
 public:
  Fields(const json& j, std::string source) : j_(j), source_(std::move(source)) {}

  // `what` may quote the file's strings, which may hold line breaks: one line.
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw Error(source_ + ": " + field + ": " + one_line(what));
  }
  bool has(const std::string& field) const { return j_.contains(field) && !j_.at(field).is_null(); }
  const json& at(const std::string& field) const {
    if (!has(field)) fail(field, "missing");
    return j_.at(field);
  }
  std::int64_t integer(const std::string& field, std::int64_t lo, std::int64_t hi) const {
    const json& v = at(field);
    if (!v.is_number_integer()) fail(field, "expected an integer, got " + v.dump());
    const std::int64_t x = v.get<std::int64_t>();
    if (x < lo || x > hi)
      fail(field, std::to_string(x) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return x;
  }
  double number(const std::string& field, double lo, double hi) const {
    const json& v = at(field);
    if (!v.is_number()) fail(field, "expected a number, got " + v.dump());
    const double x = v.get<double>();
    if (!(x >= lo && x <= hi)) fail(field, v.dump() + " is outside [" + json(lo).dump() + ", " + json(hi).dump() + "]");
    return x;
  }
  bool boolean(const std::string& field) const {
    const json& v = at(field);
    if (!v.is_boolean()) fail(field, "expected true or false, got " + v.dump());
    return v.get<bool>();
  }
  std::string string(const std::string& field) const {
    const json& v = at(field);
    if (!v.is_string()) fail(field, "expected a string, got " + v.dump());
    return v.get<std::string>();
  }
  // A field the engine does not implement must be absent, null or `allowed`.
  void require_absent_or(const std::string& field, const json& allowed, const std::string& why) const {
    if (has(field) && j_.at(field) != allowed) fail(field, j_.at(field).dump() + " is not supported: " + why);
  }

 private:
  const json& j_;
  std::string source_;
};

json parse_json(const std::string& text, const std::string& source) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) throw Error(source + ": expected a JSON object");
    return j;
  } catch (const json::exception& e) {
    throw Error(source + ": not valid JSON: " + e.what());
  }
}

RopeScaling parse_rope_scaling(const json& r, const std::string& source, std::int64_t max_positions) {
  const std::string where = source + ": rope_scaling";
  if (!r.is_object()) throw Error(where + ": expected an object or null, got " + r.dump());
  Fields f(r, where);
  std::string type;
  if (f.has("rope_type"))
    type = f.string("rope_type");
  else if (f.has("type"))
    type = f.string("type");
  else
    f.fail("rope_type", "missing (expected \"yarn\")");
  RopeScaling s;
  if (type == "default") return s;
  if (type != "yarn") f.fail("rope_type", "\"" + type + "\" is not supported (only \"yarn\")");
  s.yarn = true;
  s.factor = f.number("factor", 1.0, 1024.0);
  s.original_max_position_embeddings = f.has("original_max_position_embeddings")
                                           ? f.integer("original_max_position_embeddings", 1, 1LL << 24)
                                           : max_positions;
  if (f.has("attention_factor")) s.attention_factor = f.number("attention_factor", 1e-6, 1e6);
  if (f.has("beta_fast")) s.beta_fast = f.number("beta_fast", 1e-6, 1e6);
  if (f.has("beta_slow")) s.beta_slow = f.number("beta_slow", 1e-6, 1e6);
  if (f.has("mscale")) s.mscale = f.number("mscale", 0.0, 1e6);
  if (f.has("mscale_all_dim")) s.mscale_all_dim = f.number("mscale_all_dim", 0.0, 1e6);
  if (f.has("truncate")) s.truncate = f.boolean("truncate");
  return s;
}

}  // namespace

std::int64_t ModelConfig::max_context() const {
  if (rope_scaling.yarn)
    return static_cast<std::int64_t>(rope_scaling.factor *
                                     static_cast<double>(rope_scaling.original_max_position_embeddings));
  return max_position_embeddings;
}

std::int64_t ModelConfig::parameter_count() const {
  const std::int64_t h = hidden_size, q = std::int64_t{num_attention_heads} * head_dim,
                     kv = std::int64_t{num_key_value_heads} * head_dim;
  const std::int64_t per_layer = h * q + 2 * h * kv + q * h   // q, k, v, o projections
                                 + 3 * h * intermediate_size  // gate, up, down
                                 + 2 * h + 2 * head_dim;      // the four norms
  const std::int64_t embed = std::int64_t{vocab_size} * h;
  return embed * (tie_word_embeddings ? 1 : 2) + per_layer * num_hidden_layers + h;
}

ModelConfig ModelConfig::parse(const std::string& text, const std::string& source) {
  const json j = parse_json(text, source);
  Fields f(j, source);
  const json& arch = f.at("architectures");
  if (!arch.is_array() || arch.size() != 1 || arch[0] != "Qwen3ForCausalLM")
    f.fail("architectures", arch.dump() + " is not supported (expected [\"Qwen3ForCausalLM\"])");
  if (f.has("model_type") && f.string("model_type") != "qwen3")
    f.fail("model_type", "\"" + f.string("model_type") + "\" is not supported (expected \"qwen3\")");
  // Features of neighbouring architectures that a Qwen3 dense engine must not ignore.
  for (const char* moe : {"num_experts", "num_experts_per_tok", "moe_intermediate_size", "n_routed_experts"})
    if (f.has(moe) && !(j.at(moe).is_number() && j.at(moe).get<double>() == 0))
      f.fail(moe, "mixture-of-experts models are not supported");
  f.require_absent_or("attention_bias", false, "attention biases are not implemented");
  f.require_absent_or("use_sliding_window", false, "sliding-window attention is not implemented");
  if (f.has("hidden_act") && f.string("hidden_act") != "silu")
    f.fail("hidden_act", "\"" + f.string("hidden_act") + "\" is not supported (expected \"silu\")");
  if (f.has("partial_rotary_factor") && f.number("partial_rotary_factor", 0, 1) != 1.0)
    f.fail("partial_rotary_factor", "only 1.0 is supported");
  if (f.has("layer_types")) {
    for (const json& t : j.at("layer_types"))
      if (t != "full_attention") f.fail("layer_types", t.dump() + " layers are not supported");
  }

  ModelConfig c;
  c.hidden_size = static_cast<int>(f.integer("hidden_size", 1, 1 << 16));
  c.intermediate_size = static_cast<int>(f.integer("intermediate_size", 1, 1 << 20));
  c.num_hidden_layers = static_cast<int>(f.integer("num_hidden_layers", 1, 1024));
  c.num_attention_heads = static_cast<int>(f.integer("num_attention_heads", 1, 1024));
  c.num_key_value_heads = static_cast<int>(f.integer("num_key_value_heads", 1, c.num_attention_heads));
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    f.fail("num_key_value_heads", std::to_string(c.num_key_value_heads) + " does not divide num_attention_heads " +
                                      std::to_string(c.num_attention_heads));
  // Qwen3 always writes head_dim; transformers' fallback is hidden / heads.
  c.head_dim =
      f.has("head_dim") ? static_cast<int>(f.integer("head_dim", 2, 1024)) : c.hidden_size / c.num_attention_heads;
  if (c.head_dim % 2 != 0) f.fail("head_dim", "must be even for rotary embeddings");
  c.vocab_size = static_cast<int>(f.integer("vocab_size", 1, 1 << 24));
  c.max_position_embeddings = f.integer("max_position_embeddings", 1, 1LL << 24);
  c.rope_theta = f.number("rope_theta", 1.0, 1e12);
  c.rms_norm_eps = f.number("rms_norm_eps", 1e-12, 1e-1);
  c.tie_word_embeddings = f.has("tie_word_embeddings") ? f.boolean("tie_word_embeddings") : false;
  if (f.has("torch_dtype")) c.torch_dtype = f.string("torch_dtype");
  if (f.has("rope_scaling"))
    c.rope_scaling = parse_rope_scaling(j.at("rope_scaling"), source, c.max_position_embeddings);
  if (c.max_context() > (std::int64_t{1} << 24))
    f.fail("rope_scaling", "context " + std::to_string(c.max_context()) + " is beyond what this engine supports");
  return c;
}

ModelConfig ModelConfig::load(const std::filesystem::path& file) {
  std::error_code ec;  // a link to nowhere or a loop is for read_file to name
  if (!std::filesystem::exists(std::filesystem::symlink_status(file, ec)))
    throw Error("missing model configuration " + file.string());
  if (gguf::is_gguf_file(file)) return model::gguf_model_config(gguf::File(file));
  return parse(read_file(file), file.string());
}

std::filesystem::path data_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("QWEN3_DATA_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "qwen3";
    if (fs::exists(installed / "models", ec)) return installed;
  }
  // The source tree first: it is the data of this very build, while the
  // install prefix may hold another version's (or nothing until installed).
#ifdef QWEN3_SOURCE_DATA_DIR
  if (fs::exists(fs::path(QWEN3_SOURCE_DATA_DIR) / "models", ec)) return QWEN3_SOURCE_DATA_DIR;
#endif
#ifdef QWEN3_INSTALL_DATA_DIR
  if (fs::exists(fs::path(QWEN3_INSTALL_DATA_DIR) / "models", ec)) return QWEN3_INSTALL_DATA_DIR;
#endif
  throw Error(
      "cannot find the qwen3 data folder (share/qwen3 beside the program, the source tree's data/ "
      "or the install prefix's share/qwen3): set QWEN3_DATA_DIR");
}

std::filesystem::path resolve_config(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  const fs::path p(name_or_path);
  if (fs::is_directory(p)) return p / "config.json";
  if (fs::exists(p)) return p;
  // A bare name ("qwen3-4b") is a model the project carries.
  if (name_or_path.find('/') == std::string::npos && name_or_path.find('.') == std::string::npos) {
    const fs::path carried = data_dir() / "models" / name_or_path / "config.json";
    if (fs::exists(carried)) return carried;
    throw Error("model_config = " + name_or_path + ": no such file, and no carried model of that name in " +
                (data_dir() / "models").string());
  }
  throw Error("model_config = " + name_or_path + ": no such file");
}

}  // namespace qwen3
