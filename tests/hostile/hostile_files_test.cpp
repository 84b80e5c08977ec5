// Hostile files, generated: every way of breaking a checkpoint that we could
// think of, written programmatically from the fixtures into a temporary model
// folder, then the real qwen3 program run on it under a deadline. Each must be
// refused with exit status 1 and exactly one line on standard error naming the
// broken file: never a signal, never a hang, never a success.
// docs/reliability.md ("Hostile files") lists the families.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "hostile/hostile_run.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;  // safetensors headers keep their order
using json = nlohmann::json;           // tokenizer.json: 151k keys, too many for an ordered map

// ---------------------------------------------------------------- fixtures

// The file, or its first `limit` bytes.
std::string slurp(const fs::path& p, std::size_t limit = std::string::npos) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  if (limit != std::string::npos) {
    std::string s(limit, '\0');
    in.read(s.data(), static_cast<std::streamsize>(limit));
    s.resize(static_cast<std::size_t>(in.gcount()));
    return s;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path fixture_a() { return test::fixture_dir("tiny-qwen3-a"); }
fs::path fixture_gguf() { return test::fixture_dir("tiny-qwen3-q") / "model-Q8_0.gguf"; }
bool have_fixtures() {
  const char* shared = std::getenv("QWEN3_SHARED_DIR");
  return shared && *shared && fs::exists(fixture_a() / "model.safetensors") && fs::exists(fixture_gguf());
}

// The fixture's safetensors file, split into its sections.
struct Safetensors {
  std::uint64_t header_bytes = 0;
  ojson header;
  std::uint64_t data_size = 0;  // the bytes after the header (read by base_data(), when a case runs)
  struct Entry {
    std::string name;
    std::uint64_t begin, end;
  };
  std::vector<Entry> tensors;  // in the header's order
};

const Safetensors& base_safetensors() {
  static const Safetensors st = [] {
    Safetensors s;
    std::memcpy(&s.header_bytes, slurp(fixture_a() / "model.safetensors", 8).data(), 8);
    const std::string bytes = slurp(fixture_a() / "model.safetensors", 8 + s.header_bytes);
    s.header = ojson::parse(bytes.substr(8, s.header_bytes));
    s.data_size = fs::file_size(fixture_a() / "model.safetensors") - 8 - s.header_bytes;
    for (const auto& [name, t] : s.header.items())
      if (name != "__metadata__") s.tensors.push_back({name, t["data_offsets"][0], t["data_offsets"][1]});
    return s;
  }();
  return st;
}

const std::string& base_data() {
  static const std::string data = slurp(fixture_a() / "model.safetensors").substr(8 + base_safetensors().header_bytes);
  return data;
}

std::string safetensors_bytes(const std::string& header, const std::string& data, std::uint64_t declared) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &declared, 8);
  return out + header + data;
}
std::string safetensors_bytes(const ojson& header, const std::string& data) {
  const std::string h = header.dump();
  return safetensors_bytes(h, data, h.size());
}

// The fixture's GGUF file: where each section starts.
struct Gguf {
  std::string bytes;  // the first 16 MB: metadata and tensor infos
  std::size_t file_size = 0;
  std::map<std::string, std::size_t> key_at;  // metadata key -> offset of its entry
  std::vector<std::size_t> kv_starts, tensor_starts;
  std::vector<std::string> tensor_names;
  std::vector<std::size_t> tensor_type_at, tensor_offset_at;  // offsets of the type and offset fields
  std::size_t infos_end = 0, data_start = 0;
  std::size_t merges_at = 0;  // offset of the first merge string's length
  std::uint64_t u64(std::size_t at) const {
    std::uint64_t v;
    std::memcpy(&v, bytes.data() + at, 8);
    return v;
  }
};

const Gguf& base_gguf() {
  static const Gguf g = [] {
    Gguf g;
    g.bytes = slurp(fixture_gguf(), 16u << 20);
    g.file_size = fs::file_size(fixture_gguf());
    std::size_t p = 8;
    auto u32 = [&] {
      std::uint32_t v;
      std::memcpy(&v, g.bytes.data() + p, 4);
      p += 4;
      return v;
    };
    auto u64 = [&] {
      const std::uint64_t v = g.u64(p);
      p += 8;
      return v;
    };
    auto str = [&] {
      const std::uint64_t n = u64();
      std::string s = g.bytes.substr(p, n);
      p += n;
      return s;
    };
    const std::size_t scalar[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    const std::uint64_t n_tensors = u64(), n_kv = u64();
    for (std::uint64_t i = 0; i < n_kv; ++i) {
      g.kv_starts.push_back(p);
      const std::string key = str();
      g.key_at[key] = g.kv_starts.back();
      const std::uint32_t type = u32();
      if (type == 8) {
        str();
      } else if (type == 9) {
        const std::uint32_t et = u32();
        const std::uint64_t n = u64();
        if (key == "tokenizer.ggml.merges") g.merges_at = p;
        for (std::uint64_t j = 0; j < n; ++j) et == 8 ? (void)str() : (void)(p += scalar[et]);
      } else {
        p += scalar[type];
      }
    }
    for (std::uint64_t i = 0; i < n_tensors; ++i) {
      g.tensor_starts.push_back(p);
      g.tensor_names.push_back(str());
      const std::uint32_t dims = u32();
      p += 8 * dims;
      g.tensor_type_at.push_back(p);
      p += 4;
      g.tensor_offset_at.push_back(p);
      p += 8;
    }
    g.infos_end = p;
    g.data_start = (p + 31) / 32 * 32;  // the fixture has no general.alignment: 32
    return g;
  }();
  return g;
}

template <class T>
void patch(std::string& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

// ---------------------------------------------------------------- cases

enum class Command { kLogits, kGenerate, kLogitsGguf };

struct Case {
  std::string name;
  std::string file;  // the file the error must name; kFolder: the model folder (the checkpoint as a whole)
  Command command = Command::kLogits;
  std::function<void(const fs::path&)> make;  // writes the broken files into the model folder
};

const std::string kFolder = "{folder}";

// Replaces `name` in the model folder (which starts as links to the fixture).
void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::remove(dir / name);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

void put_link(const fs::path& dir, const std::string& name, const fs::path& target) {
  fs::remove(dir / name);
  fs::create_symlink(target, dir / name);
}

// A JSON file with one field replaced (or removed when `value` is discarded).
Case json_case(const std::string& name, const std::string& file, Command command,
               const std::function<void(json&)>& edit) {
  return {name, file, command, [file, edit](const fs::path& dir) {
            json j = json::parse(slurp(fixture_a() / file));
            edit(j);
            put(dir, file, j.dump(1));
          }};
}
Case text_case(const std::string& name, const std::string& file, Command command, const std::string& bytes) {
  return {name, file, command, [file, bytes](const fs::path& dir) { put(dir, file, bytes); }};
}

void add_safetensors_cases(std::vector<Case>& cases) {
  const Safetensors& st = base_safetensors();
  const std::string f = "model.safetensors";
  auto raw = [&](const std::string& name, std::function<std::string()> bytes) {
    cases.push_back({name, f, Command::kLogits, [f, bytes](const fs::path& dir) { put(dir, f, bytes()); }});
  };
  auto edit = [&](const std::string& name, std::function<void(ojson&, std::string&)> e,
                  const std::string& names = "model.safetensors") {
    cases.push_back({name, names, Command::kLogits, [f, e](const fs::path& dir) {
                       ojson h = base_safetensors().header;
                       std::string data = base_data();
                       e(h, data);
                       put(dir, f, safetensors_bytes(h, data));
                     }});
  };
  auto whole = [] {
    return safetensors_bytes(base_safetensors().header.dump(), base_data(), base_safetensors().header_bytes);
  };

  // Truncated at every section boundary: in the length, after it, inside and
  // after the header, at the start and middle of every tensor.
  std::vector<std::pair<std::string, std::uint64_t>> cuts = {{"empty", 0},
                                                             {"in_length", 4},
                                                             {"after_length", 8},
                                                             {"in_header", 8 + st.header_bytes / 2},
                                                             {"after_header", 8 + st.header_bytes}};
  for (std::size_t i = 0; i < st.tensors.size(); ++i) {
    const auto& t = st.tensors[i];
    if (i > 0) cuts.push_back({"at_tensor_" + std::to_string(i), 8 + st.header_bytes + t.begin});
    cuts.push_back({"in_tensor_" + std::to_string(i), 8 + st.header_bytes + (t.begin + t.end) / 2});
  }
  cuts.push_back({"last_byte", 8 + st.header_bytes + st.data_size - 1});
  for (const auto& [label, at] : cuts) {
    const std::uint64_t cut = at;
    raw("safetensors_truncated_" + label, [whole, cut] { return whole().substr(0, cut); });
  }

  // Header lengths that lie.
  for (auto [label, declared] :
       std::vector<std::pair<std::string, std::uint64_t>>{{"zero", 0},
                                                          {"one_short", st.header_bytes - 1},
                                                          {"one_long", st.header_bytes + 1},
                                                          {"whole_file", 8 + st.header_bytes + st.data_size},
                                                          {"beyond_file", 1ull << 40},
                                                          {"max", ~0ull},
                                                          {"top_bit", 1ull << 63}})
    raw("safetensors_header_length_" + label,
        [declared = declared] { return safetensors_bytes(base_safetensors().header.dump(), base_data(), declared); });

  // Headers that are not what they should be.
  for (auto [label, header] :
       std::vector<std::pair<std::string, std::string>>{{"not_json", "this is not json"},
                                                        {"array", "[]"},
                                                        {"number", "1e400"},
                                                        {"nested", std::string(100000, '[') + std::string(100000, ']')},
                                                        {"invalid_utf8", "{\"\xff\xfe\": {}}"},
                                                        {"nul", std::string("{\"a\0b\": {}}", 12)},
                                                        {"metadata_not_object", "{\"__metadata__\": 5}"},
                                                        {"empty_object", "{}"}})
    raw("safetensors_header_" + label, [header = header] { return safetensors_bytes(header, "", header.size()); });
  cases.back().file = kFolder;  // a valid file without tensors: the checkpoint lacks them all
  edit("safetensors_header_duplicate_key", [](ojson&, std::string&) {});  // replaced below
  cases.back().make = [f](const fs::path& dir) {
    const auto& s = base_safetensors();
    std::string h = s.header.dump();
    const std::string first = "\"" + s.tensors[0].name + "\":" + s.header[s.tensors[0].name].dump();
    h.insert(h.size() - 1, "," + first);  // the same tensor again at the end
    put(dir, f, safetensors_bytes(h, base_data(), h.size()));
  };

  // Offsets out of range, overlapping, reversed, with gaps; sizes, shapes and dtypes that lie.
  const std::string t0 = st.tensors[0].name, t1 = st.tensors[1].name, tl = st.tensors.back().name;
  const std::uint64_t data_size = st.data_size;
  edit("safetensors_offsets_beyond_end",
       [tl, data_size](ojson& h, std::string&) { h[tl]["data_offsets"][1] = data_size + 2; });
  edit("safetensors_offsets_huge", [tl](ojson& h, std::string&) { h[tl]["data_offsets"] = {~0ull - 1, ~0ull}; });
  edit("safetensors_offsets_wrap_around", [tl](ojson& h, std::string&) {
    const std::uint64_t size =
        h[tl]["data_offsets"][1].get<std::uint64_t>() - h[tl]["data_offsets"][0].get<std::uint64_t>();
    h[tl]["data_offsets"] = {~0ull - size + 3, 2};
  });
  edit("safetensors_offsets_negative", [tl](ojson& h, std::string&) { h[tl]["data_offsets"][0] = -2; });
  edit("safetensors_offsets_reversed", [t1](ojson& h, std::string&) {
    h[t1]["data_offsets"] = {h[t1]["data_offsets"][1], h[t1]["data_offsets"][0]};
  });
  edit("safetensors_offsets_overlap", [t0, t1, st](ojson& h, std::string&) {
    // t1 shifted back by half of it into t0, with the same size.
    const auto& e = st.tensors[1];
    const std::uint64_t back = (e.end - e.begin) / 2;
    h[t1]["data_offsets"] = {e.begin - back, e.end - back};
  });
  edit("safetensors_offsets_gap_inside", [st](ojson& h, std::string& data) {
    // 32 bytes no tensor owns between tensors 0 and 1: later offsets shift.
    data.insert(st.tensors[0].end, 32, '\0');
    for (std::size_t i = 1; i < st.tensors.size(); ++i)
      h[st.tensors[i].name]["data_offsets"] = {st.tensors[i].begin + 32, st.tensors[i].end + 32};
  });
  edit("safetensors_offsets_gap_at_end", [](ojson&, std::string& data) { data.append(64, '\0'); });
  edit("safetensors_offsets_not_integers", [t1](ojson& h, std::string&) { h[t1]["data_offsets"] = {"a", 1.5}; });
  edit("safetensors_offsets_three", [t1](ojson& h, std::string&) { h[t1]["data_offsets"].push_back(1); });
  edit("safetensors_offsets_missing", [t1](ojson& h, std::string&) { h[t1].erase("data_offsets"); });
  // (F16 over BF16 data is a valid file holding other values: nothing to detect.)
  for (const char* dtype : {"F32", "I8", "BOOL", "F8_E4M3", "XYZ", ""})
    edit(std::string("safetensors_dtype_") + (*dtype ? dtype : "empty"),
         [t1, dtype](ojson& h, std::string&) { h[t1]["dtype"] = dtype; });
  edit("safetensors_dtype_number", [t1](ojson& h, std::string&) { h[t1]["dtype"] = 7; });
  edit("safetensors_dtype_missing", [t1](ojson& h, std::string&) { h[t1].erase("dtype"); });
  edit("safetensors_shape_wrong", [t1](ojson& h, std::string&) { h[t1]["shape"] = {1, 2}; });
  edit("safetensors_shape_negative", [t1](ojson& h, std::string&) { h[t1]["shape"][0] = -64; });
  edit("safetensors_shape_overflow", [t1](ojson& h, std::string&) {
    h[t1]["shape"] = {1ull << 32, 1ull << 32, 1ull << 32};
  });
  edit("safetensors_shape_swapped", [t0](ojson& h, std::string&) {
    h[t0]["shape"] = {h[t0]["shape"][1], h[t0]["shape"][0]};
  });
  edit("safetensors_shape_missing", [t1](ojson& h, std::string&) { h[t1].erase("shape"); });
  edit("safetensors_tensor_not_object", [t1](ojson& h, std::string&) { h[t1] = "weights"; });

  // Missing and extra tensors.
  edit(
      "safetensors_tensor_missing", [tl](ojson& h, std::string&) { h.erase(tl); }, kFolder);
  edit(
      "safetensors_tensor_renamed",
      [tl](ojson& h, std::string&) {
        h["model.layers.0.self_attn.q_proj.bias"] = h[tl];
        h.erase(tl);
      },
      kFolder);
  edit("safetensors_tensor_extra", [data_size](ojson& h, std::string& data) {
    h["model.layers.99.mlp.up_proj.weight"] = {
        {"dtype", "BF16"}, {"shape", {2, 2}}, {"data_offsets", {data_size, data_size + 8}}};
    data.append(8, '\0');
  });

  // NaN and Inf weights, in a norm (seen at load) and in matrices (at the first logits).
  auto fill = [&](const std::string& label, std::size_t tensor, std::uint16_t bf16) {
    edit(
        "safetensors_weights_" + label,
        [st, tensor, bf16](ojson&, std::string& data) {
          for (std::uint64_t at = st.tensors[tensor].begin; at < st.tensors[tensor].end; at += 2) patch(data, at, bf16);
        },
        kFolder);
  };
  std::size_t norm = 0, matrix = 0;
  for (std::size_t i = 0; i < st.tensors.size(); ++i) {
    if (st.tensors[i].name.find("layernorm") != std::string::npos && !norm) norm = i;
    if (st.tensors[i].name.find("mlp.down_proj") != std::string::npos && !matrix) matrix = i;
  }
  fill("nan_norm", norm, 0x7fc0);
  fill("inf_norm", norm, 0x7f80);
  fill("nan_matrix", matrix, 0xffc1);
  fill("inf_matrix", matrix, 0x7f80);
  fill("nan_embedding", 0, 0x7fc0);
}

void add_index_cases(std::vector<Case>& cases) {
  // Two shards and an index; each case breaks the index or a shard.
  const std::string index = "model.safetensors.index.json";
  auto sharded = [index](const fs::path& dir, const std::function<void(ojson&)>& edit_index) {
    const Safetensors& st = base_safetensors();
    fs::remove(dir / "model.safetensors");
    ojson map = ojson::object();
    for (int shard = 0; shard < 2; ++shard) {
      ojson h = ojson::object();
      std::string data;
      const std::string file = "model-0000" + std::to_string(shard + 1) + "-of-00002.safetensors";
      for (std::size_t i = 0; i < st.tensors.size(); ++i) {
        if (static_cast<int>(i % 2) != shard) continue;
        const auto& t = st.tensors[i];
        ojson e = st.header[t.name];
        e["data_offsets"] = {data.size(), data.size() + (t.end - t.begin)};
        data += base_data().substr(t.begin, t.end - t.begin);
        h[t.name] = e;
        map[t.name] = file;
      }
      put(dir, file, safetensors_bytes(h, data));
    }
    ojson j = {{"metadata", {{"total_size", base_safetensors().data_size}}}, {"weight_map", map}};
    edit_index(j);
    put(dir, index, j.dump(1));
  };
  auto add = [&](const std::string& name, const std::string& file, const std::function<void(ojson&)>& e) {
    cases.push_back({name, file, Command::kLogits, [sharded, e](const fs::path& dir) { sharded(dir, e); }});
  };
  const std::string t0 = base_safetensors().tensors[0].name, t1 = base_safetensors().tensors[1].name;
  const std::string shard2 = "model-00002-of-00002.safetensors";
  add("index_weight_map_missing", index, [](ojson& j) { j.erase("weight_map"); });
  add("index_weight_map_array", index, [](ojson& j) { j["weight_map"] = ojson::array(); });
  add("index_shard_not_string", index, [t0](ojson& j) { j["weight_map"][t0] = 3; });
  add("index_shard_missing", "model-00003-of-00003.safetensors",
      [t0](ojson& j) { j["weight_map"][t0] = "model-00003-of-00003.safetensors"; });
  add("index_shard_outside_folder", "../", [t0](ojson& j) { j["weight_map"][t0] = "../model.safetensors"; });
  add("index_shard_absolute", "/etc/passwd", [t0](ojson& j) { j["weight_map"][t0] = "/etc/passwd"; });
  add("index_shard_empty_name", index, [t0](ojson& j) { j["weight_map"][t0] = ""; });
  add("index_tensor_in_wrong_shard", shard2, [t0, shard2](ojson& j) { j["weight_map"][t0] = shard2; });
  add("index_tensor_unlisted", t0, [t0](ojson& j) { j["weight_map"].erase(t0); });
  add("index_tensor_unknown", index,
      [](ojson& j) { j["weight_map"]["model.layers.7.mlp.up_proj.weight"] = "model-00001-of-00002.safetensors"; });
  cases.push_back({"index_not_json", index, Command::kLogits, [sharded, index](const fs::path& dir) {
                     sharded(dir, [](ojson&) {});
                     put(dir, index, "{\"weight_map\": {");
                   }});
  cases.push_back({"index_number_out_of_range", index, Command::kLogits, [sharded, index](const fs::path& dir) {
                     sharded(dir, [](ojson&) {});
                     put(dir, index, "{\"metadata\": {\"total_size\": 1e400}, \"weight_map\": {}}");
                   }});
  cases.push_back({"index_shard_truncated", shard2, Command::kLogits, [sharded, shard2](const fs::path& dir) {
                     sharded(dir, [](ojson&) {});
                     fs::resize_file(dir / shard2, fs::file_size(dir / shard2) / 2);
                   }});
}

void add_link_cases(std::vector<Case>& cases) {
  // Links out of the model folder to things that are not files, and files
  // that are not files.
  for (const std::string file : {"model.safetensors", "config.json", "tokenizer.json"}) {
    for (auto [label, target] :
         std::vector<std::pair<std::string, std::string>>{{"dev_zero", "/dev/zero"},
                                                          {"dev_urandom", "/dev/urandom"},
                                                          {"root_folder", "/"},
                                                          {"dangling", "/nonexistent/qwen3-hostile"},
                                                          {"proc_self_mem", "/proc/self/mem"}})
      cases.push_back({"link_" + file + "_" + label, file, Command::kLogits,
                       [file, target = target](const fs::path& dir) { put_link(dir, file, target); }});
    cases.push_back({"link_" + file + "_loop", file, Command::kLogits, [file](const fs::path& dir) {
                       put_link(dir, file, dir / (file + ".2"));
                       fs::create_symlink(dir / file, dir / (file + ".2"));
                     }});
    cases.push_back({"fifo_" + file, file, Command::kLogits, [file](const fs::path& dir) {
                       fs::remove(dir / file);
                       ::mkfifo((dir / file).c_str(), 0600);
                     }});
    cases.push_back({"unreadable_" + file, file, Command::kLogits, [file](const fs::path& dir) {
                       put(dir, file, slurp(fixture_a() / file).substr(0, 64));
                       fs::permissions(dir / file, fs::perms::none);
                     }});
  }
  cases.push_back({"link_config_json_to_etc_passwd", "config.json", Command::kLogits,
                   [](const fs::path& dir) { put_link(dir, "config.json", "/etc/passwd"); }});
}

void add_json_file_cases(std::vector<Case>& cases) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string file : {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
    const Command c =
        file == "tokenizer_config.json" || file == "generation_config.json" ? Command::kGenerate : Command::kLogits;
    const std::string stem = file.substr(0, file.find('.'));
    const std::size_t size = fs::file_size(fixture_a() / file);
    cases.push_back(text_case(stem + "_empty", file, c, ""));
    cases.push_back({stem + "_truncated", file, c,
                     [file, size](const fs::path& dir) { put(dir, file, slurp(fixture_a() / file, size / 2)); }});
    cases.push_back(text_case(stem + "_not_json", file, c, "qwen3"));
    cases.push_back(text_case(stem + "_array", file, c, "[1, 2, 3]"));
    cases.push_back(text_case(stem + "_nested", file, c, deep));
    cases.push_back(text_case(stem + "_invalid_utf8", file, c, "{\"a\": \"\xc3\x28\"}"));
    cases.push_back(text_case(stem + "_number_out_of_range", file, c, "{\"a\": 1e400}"));
  }
  const Command g = Command::kGenerate, l = Command::kLogits;
  // config.json: fields out of range or of the wrong type.
  for (auto [key, value] : std::vector<std::pair<std::string, json>>{{"num_attention_heads", 0},
                                                                     {"num_attention_heads", 3},
                                                                     {"num_key_value_heads", 0},
                                                                     {"num_key_value_heads", 3},
                                                                     {"head_dim", 0},
                                                                     {"head_dim", -32},
                                                                     {"hidden_size", 1ll << 40},
                                                                     {"hidden_size", "64"},
                                                                     {"num_hidden_layers", 100000},
                                                                     {"num_hidden_layers", -1},
                                                                     {"intermediate_size", 0},
                                                                     {"vocab_size", 10},
                                                                     {"vocab_size", 1ll << 62},
                                                                     {"rms_norm_eps", -1},
                                                                     {"rope_theta", 0},
                                                                     {"rope_theta", "inf"},
                                                                     {"max_position_embeddings", 0},
                                                                     {"tie_word_embeddings", false},
                                                                     {"model_type", "llama"}})
    cases.push_back(json_case("config_" + key + "_" + value.dump(), "config.json", l,
                              [key = key, value = value](json& j) { j[key] = value; }));
  cases.push_back(json_case("config_hidden_size_missing", "config.json", l, [](json& j) { j.erase("hidden_size"); }));
  // generation_config.json
  for (auto [key, value] : std::vector<std::pair<std::string, json>>{{"temperature", "hot"},
                                                                     {"temperature", -1},
                                                                     {"top_k", -5},
                                                                     {"top_p", 2},
                                                                     {"max_new_tokens", 0},
                                                                     {"do_sample", 3}})
    cases.push_back(json_case("generation_config_" + key + "_" + value.dump(), "generation_config.json", g,
                              [key = key, value = value](json& j) { j[key] = value; }));
  // tokenizer_config.json
  cases.push_back(json_case("tokenizer_config_template_not_string", "tokenizer_config.json", g,
                            [](json& j) { j["chat_template"] = 5; }));
  cases.push_back(json_case("tokenizer_config_template_broken", "tokenizer_config.json", g,
                            [](json& j) { j["chat_template"] = "{% for x in %}"; }));
  cases.push_back(json_case("tokenizer_config_template_throws", "tokenizer_config.json", g,
                            [](json& j) { j["chat_template"] = "{{ raise_exception('no') }}"; }));
  cases.push_back(json_case("tokenizer_config_template_recursion", "tokenizer_config.json", g, [](json& j) {
    j["chat_template"] = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";
  }));
  // tokenizer.json
  auto tok = [&](const std::string& name, const std::function<void(json&)>& e) {
    cases.push_back(json_case("tokenizer_" + name, "tokenizer.json", l, e));
  };
  tok("duplicate_merge", [](json& j) { j["model"]["merges"].push_back(j["model"]["merges"][7]); });
  tok("merge_unknown_token", [](json& j) { j["model"]["merges"].push_back({"Ġ", "qwen3-nothing"}); });
  tok("vocab_id_twice", [](json& j) { j["model"]["vocab"]["!"] = 1; });
  tok("vocab_id_huge", [](json& j) { j["model"]["vocab"]["!"] = 1ll << 40; });
  tok("vocab_missing", [](json& j) { j["model"].erase("vocab"); });
  tok("merges_not_array", [](json& j) { j["model"]["merges"] = "a b"; });
  tok("added_token_id_huge", [](json& j) { j["added_tokens"][0]["id"] = 1ll << 40; });
  tok("added_token_not_object", [](json& j) { j["added_tokens"][0] = 5; });
  tok("pre_tokenizer_unknown", [](json& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; });
  tok("regex_broken", [](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(["; });
  tok("normalizer_unknown", [](json& j) { j["normalizer"] = {{"type", "Lowercase"}}; });
}

void add_gguf_cases(std::vector<Case>& cases) {
  const Gguf& g = base_gguf();
  const std::string f = "model.gguf";
  auto add = [&](const std::string& name, std::function<void(std::string&)> e) {
    cases.push_back({"gguf_" + name, f, Command::kLogitsGguf, [f, e](const fs::path& dir) {
                       static const std::string whole = slurp(fixture_gguf());
                       std::string bytes = whole;
                       e(bytes);
                       put(dir, f, bytes);
                     }});
  };
  auto cut = [&](const std::string& label, std::size_t at) {
    add("truncated_" + label, [at](std::string& b) { b.resize(at); });
  };
  // Truncated at every section boundary.
  for (auto [label, at] : std::vector<std::pair<std::string, std::size_t>>{
           {"empty", 0}, {"in_magic", 2}, {"after_magic", 4}, {"after_version", 8}, {"after_tensor_count", 16}})
    cut(label, at);
  for (std::size_t i = 0; i < g.kv_starts.size(); ++i) cut("at_kv_" + std::to_string(i), g.kv_starts[i]);
  for (std::size_t i = 0; i < g.tensor_starts.size(); ++i)
    cut("at_tensor_info_" + std::to_string(i), g.tensor_starts[i]);
  cut("after_infos", g.infos_end);
  cut("at_data", g.data_start);
  cut("in_data", g.data_start + (g.file_size - g.data_start) / 2);
  cut("last_byte", g.file_size - 1);

  add("magic_wrong", [](std::string& b) { b[0] = 'X'; });
  for (std::uint32_t v : {0u, 1u, 4u, 0xffffffffu})
    add("version_" + std::to_string(v), [v](std::string& b) { patch(b, 4, v); });
  const std::uint64_t n_tensors = g.u64(8), n_kv = g.u64(16);
  for (auto [label, v] : std::vector<std::pair<std::string, std::uint64_t>>{{"zero", 0},
                                                                            {"minus_one", n_tensors - 1},
                                                                            {"plus_one", n_tensors + 1},
                                                                            {"huge", 1ull << 62},
                                                                            {"max", ~0ull}})
    add("tensor_count_" + label, [v = v](std::string& b) { patch(b, 8, v); });
  for (auto [label, v] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"zero", 0}, {"minus_one", n_kv - 1}, {"plus_one", n_kv + 1}, {"huge", 1ull << 62}, {"max", ~0ull}})
    add("kv_count_" + label, [v = v](std::string& b) { patch(b, 16, v); });

  // String lengths, counts and types that lie.
  const std::size_t arch = g.key_at.at("general.architecture");
  const std::size_t arch_value = arch + 8 + std::strlen("general.architecture") + 4;
  for (auto [label, v] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"key_length_huge", 1ull << 62}, {"key_length_file", g.file_size}, {"key_length_zero", 0}})
    add(label, [arch, v = v](std::string& b) { patch(b, arch, v); });
  for (auto [label, v] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"string_length_huge", ~0ull}, {"string_length_long", 1000}, {"string_length_zero", 0}})
    add(label, [arch_value, v = v](std::string& b) { patch(b, arch_value, v); });
  add("value_type_unknown", [arch](std::string& b) { patch(b, arch + 8 + 20, std::uint32_t{99}); });
  add("value_type_u64_for_string", [arch](std::string& b) { patch(b, arch + 8 + 20, std::uint32_t{10}); });
  add("value_type_array_for_string", [arch](std::string& b) { patch(b, arch + 8 + 20, std::uint32_t{9}); });
  const std::size_t tokens = g.key_at.at("tokenizer.ggml.tokens");
  const std::size_t tokens_type = tokens + 8 + std::strlen("tokenizer.ggml.tokens") + 4;
  add("array_type_unknown", [tokens_type](std::string& b) { patch(b, tokens_type, std::uint32_t{77}); });
  add("array_type_nested", [tokens_type](std::string& b) { patch(b, tokens_type, std::uint32_t{9}); });
  add("array_type_u8", [tokens_type](std::string& b) { patch(b, tokens_type, std::uint32_t{0}); });
  for (auto [label, v] : std::vector<std::pair<std::string, std::uint64_t>>{{"array_count_huge", 1ull << 61},
                                                                            {"array_count_plus_one", 151937},
                                                                            {"array_count_small", 1000},
                                                                            {"array_count_zero", 0}})
    add(label, [tokens_type, v = v](std::string& b) { patch(b, tokens_type + 4, v); });
  const std::size_t block_count = g.key_at.at("qwen3.block_count") + 8 + std::strlen("qwen3.block_count") + 4;
  for (auto [label, v] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"block_count_zero", 0}, {"block_count_more", 3}, {"block_count_huge", 0x7fffffff}})
    add(label, [block_count, v = v](std::string& b) { patch(b, block_count, v); });
  const std::size_t heads =
      g.key_at.at("qwen3.attention.head_count") + 8 + std::strlen("qwen3.attention.head_count") + 4;
  for (auto [label, v] :
       std::vector<std::pair<std::string, std::uint32_t>>{{"head_count_zero", 0}, {"head_count_odd", 3}})
    add(label, [heads, v = v](std::string& b) { patch(b, heads, v); });

  // A merge listed twice (the second merge's bytes replaced by the first's when of the same length).
  add("duplicate_merge", [&g](std::string& b) {
    std::size_t p = g.merges_at, first = p;
    const std::uint64_t len = g.u64(first);
    p += 8 + len;
    while (g.u64(p) != len) p += 8 + g.u64(p);
    std::memcpy(b.data() + p + 8, g.bytes.data() + first + 8, len);
  });

  // Tensor infos that lie.
  const std::size_t t1 = g.tensor_starts[1];  // token_embd.weight, 2 dimensions
  const std::size_t t1_dims = t1 + 8 + g.tensor_names[1].size();
  add("tensor_name_length_huge", [t1](std::string& b) { patch(b, t1, ~0ull); });
  add("tensor_name_long", [t1](std::string& b) { patch(b, t1, std::uint64_t{100}); });
  for (std::uint32_t d : {0u, 5u, 0xffffffffu})
    add("tensor_dims_" + std::to_string(d), [t1_dims, d](std::string& b) { patch(b, t1_dims, d); });
  add("tensor_dim_zero", [t1_dims](std::string& b) { patch(b, t1_dims + 4, std::int64_t{0}); });
  add("tensor_dim_negative", [t1_dims](std::string& b) { patch(b, t1_dims + 4, std::int64_t{-256}); });
  add("tensor_dim_huge", [t1_dims](std::string& b) { patch(b, t1_dims + 12, std::int64_t{1} << 60); });
  add("tensor_dim_other_shape", [t1_dims](std::string& b) { patch(b, t1_dims + 12, std::int64_t{1000}); });
  for (std::uint32_t type : {99u, 16u, 0u, 30u, 1u})  // unknown, IQ2_XXS, then F32/BF16/F16 for Q8_0 data
    add("tensor_type_" + std::to_string(type),
        [at = g.tensor_type_at[1], type](std::string& b) { patch(b, at, type); });
  add("tensor_offset_misaligned", [at = g.tensor_offset_at[2]](std::string& b) {
    std::uint64_t v;
    std::memcpy(&v, b.data() + at, 8);
    patch(b, at, v + 1);
  });
  add("tensor_offset_beyond_end", [at = g.tensor_offset_at[2], &g](std::string& b) {
    patch(b, at, std::uint64_t{(g.file_size - g.data_start + 32) / 32 * 32});
  });
  add("tensor_offset_huge", [at = g.tensor_offset_at[2]](std::string& b) { patch(b, at, ~0ull - 31); });
  add("tensor_offset_overlap", [&g](std::string& b) { patch(b, g.tensor_offset_at[2], g.u64(g.tensor_offset_at[1])); });
  add("tensor_name_twice", [&g](std::string& b) {
    // the second tensor's name made the first's when their lengths agree; else both names' first byte
    const std::size_t a = g.tensor_starts[3], c = g.tensor_starts[4];
    if (g.tensor_names[3].size() == g.tensor_names[4].size())
      std::memcpy(b.data() + c + 8, g.tensor_names[3].data(), g.tensor_names[3].size());
    else
      b[c + 8] = b[a + 8] = 'x';
  });
  add("tensor_name_unknown", [&g](std::string& b) { b[g.tensor_starts[3] + 8] = 'X'; });
  add("nan_norm", [&g](std::string& b) {  // output_norm.weight, F32, first in the data
    for (std::size_t i = 0; i < 256; ++i) patch(b, g.data_start + g.u64(g.tensor_offset_at[0]) + 4 * i, NAN);
  });
  add("nan_scale_one_block", [&g](std::string& b) {  // one block of a layer's matrix: a NaN f16 scale
    const std::size_t i = static_cast<std::size_t>(
        std::find(g.tensor_names.begin(), g.tensor_names.end(), "blk.1.attn_q.weight") - g.tensor_names.begin());
    patch(b, g.data_start + g.u64(g.tensor_offset_at[i]) + 34 * 1000, std::uint16_t{0x7e00});
  });
  add("inf_scale", [&g](std::string& b) {  // token_embd.weight, Q8_0: every block's f16 scale +Inf
    const std::size_t at = g.data_start + g.u64(g.tensor_offset_at[1]);
    for (std::size_t block = 0; block < 256 / 32 * 151936; ++block) patch(b, at + 34 * block, std::uint16_t{0x7c00});
  });
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  if (!have_fixtures()) return cases;
  add_safetensors_cases(cases);
  add_index_cases(cases);
  add_link_cases(cases);
  add_json_file_cases(cases);
  add_gguf_cases(cases);
  return cases;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = all_cases();
  return c;
}

std::string test_name(const std::string& s) {
  std::string r;
  for (char ch : s) r += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return r;
}

class HostileFile : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("qwen3-hostile-" + std::to_string(::getpid()) + "-" + test_name(cases()[GetParam()].name));
    fs::remove_all(root_);
    fs::create_directories(root_ / "model");
    for (const char* f :
         {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
      fs::create_symlink(fixture_a() / f, root_ / "model" / f);
  }
  void TearDown() override {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(root_, ec))
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add | fs::perm_options::nofollow, ec);
    fs::remove_all(root_, ec);
  }
  fs::path root_;
};

TEST_P(HostileFile, IsOneLineErrorNamingTheFile) {
  const Case& c = cases()[GetParam()];
  const fs::path model = root_ / "model";
  if (c.command == Command::kLogitsGguf) {
    for (const auto& e : fs::directory_iterator(model)) fs::remove(e.path());
  }
  c.make(model);
  std::vector<std::string> args;
  switch (c.command) {
    case Command::kLogits:
      args = {"logits", "--model", model.string(), "--ids", "1,2,3", "--threads", "1"};
      break;
    case Command::kGenerate:
      args = {"generate", "--model", model.string(), "--prompt", "hi", "--max-new-tokens", "2",
              "--seed",   "1",       "--threads",    "1"};
      break;
    case Command::kLogitsGguf:
      args = {"logits", "--model", (model / "model.gguf").string(), "--ids", "1,2,3", "--threads", "1"};
      break;
  }
  const test::BoundedRun r = test::run_bounded(args, root_ / "home", 30);
  const std::string file = c.file == kFolder ? model.string() : c.file;
  const std::string shown =
      c.name + " (exit " + std::to_string(r.exit_code) + ", signal " + std::to_string(r.signal) + "): " + r.err;
  EXPECT_FALSE(r.timed_out) << c.name << ": still running after 30 s";
  EXPECT_EQ(r.signal, 0) << shown;
  EXPECT_EQ(r.exit_code, 1) << shown;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << shown;
  EXPECT_EQ(r.err.rfind("qwen3: error: ", 0), 0u) << shown;
  EXPECT_NE(r.err.find(file), std::string::npos) << "the message does not name " << file << ": " << shown;
  RecordProperty("seconds", std::to_string(r.seconds));
  if (std::getenv("QWEN3_HOSTILE_SHOW")) std::printf("%s\n", shown.c_str());
}

std::vector<std::size_t> indices() {
  std::vector<std::size_t> v(cases().size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

INSTANTIATE_TEST_SUITE_P(Generated, HostileFile, ::testing::ValuesIn(indices()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return test_name(cases()[info.param].name);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(HostileFile);

TEST(HostileFiles, EveryFamilyIsGenerated) {
  if (!have_fixtures()) GTEST_SKIP() << "no fixtures";
  std::map<std::string, int> families;
  for (const Case& c : cases()) ++families[c.name.substr(0, c.name.find('_'))];
  for (const char* f : {"safetensors", "index", "link", "fifo", "config", "tokenizer", "generation", "gguf"})
    EXPECT_GT(families[f], 0) << f;
  EXPECT_GT(cases().size(), 200u);
}

}  // namespace
}  // namespace qwen3
