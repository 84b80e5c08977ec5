#include "model/safetensors.h"

#include <algorithm>
#include <set>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "qwen3/error.h"

namespace qwen3::model {
namespace fs = std::filesystem;
using nlohmann::json;

std::size_t dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

SafetensorsFile::SafetensorsFile(const fs::path& path) {
  std::error_code ec;
  // (A loop of links sets ec: opening it below names the loop.)
  // (A name from an index may hold any bytes: quoted on one line.)
  const std::string where = one_line(path.string());
  if (!fs::exists(path, ec) && !ec) throw Error("missing weights file " + where);
  if (fs::is_directory(path, ec)) throw Error(where + ": is a folder, expected a safetensors file");
  file_ = MappedFile(path);
  const std::size_t size = file_.size();
  if (size < 8) throw Error(where + ": truncated safetensors file (" + std::to_string(size) + " bytes, no header)");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, file_.data(), 8);  // little-endian on every supported host
  if (header_len > size - 8)
    throw Error(where + ": truncated or corrupt safetensors file: header length " + std::to_string(header_len) +
                " exceeds the file size " + std::to_string(size));
  json header;
  // A name given twice would silently be the last one's: refused.
  std::set<std::string> names;
  auto once = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key && !names.insert(parsed.get<std::string>()).second)
      throw Error(where + ": corrupt safetensors header: \"" + parsed.get<std::string>() + "\" appears twice");
    return true;
  };
  try {
    header = json::parse(reinterpret_cast<const char*>(file_.data()) + 8,
                         reinterpret_cast<const char*>(file_.data()) + 8 + header_len, once);
  } catch (const json::exception& e) {
    throw Error(where + ": corrupt safetensors header (not valid JSON): " + e.what());
  }
  if (!header.is_object()) throw Error(where + ": corrupt safetensors header (not a JSON object)");
  const std::byte* data = file_.data() + 8 + header_len;
  const std::uint64_t data_size = size - 8 - header_len;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, t] : header.items()) {
    if (name == "__metadata__") {
      if (!t.is_object()) throw Error(where + ": __metadata__: expected an object of strings");
      continue;
    }
    const std::string tw = where + ": tensor " + name;
    if (!t.is_object() || !t.contains("dtype") || !t["dtype"].is_string() || !t.contains("shape") ||
        !t["shape"].is_array() || !t.contains("data_offsets") || !t["data_offsets"].is_array() ||
        t["data_offsets"].size() != 2)
      throw Error(tw + ": corrupt header entry (expected dtype, shape, data_offsets)");
    TensorView v;
    v.dtype = t["dtype"].get<std::string>();
    const std::size_t esize = dtype_size(v.dtype);
    if (esize == 0) throw Error(tw + ": unknown dtype \"" + v.dtype + "\"");
    std::uint64_t elements = 1;
    for (const json& d : t["shape"]) {
      // A dimension, and the element count so far, must fit the file at all.
      if (!d.is_number_unsigned() || d.get<std::uint64_t>() > data_size ||
          (d.get<std::uint64_t>() != 0 && elements > data_size / d.get<std::uint64_t>()))
        throw Error(tw + ": shape " + t["shape"].dump() + " does not fit the file's " + std::to_string(data_size) +
                    " data bytes (expected non-negative integer dimensions)");
      v.shape.push_back(d.get<std::int64_t>());
      elements *= d.get<std::uint64_t>();
    }
    const json& off = t["data_offsets"];
    for (const json& o : off)
      if (!o.is_number_unsigned())
        throw Error(tw + ": data_offsets hold " +
                    (o.is_number_float() ? std::string("a fraction or a number beyond 2^64-1") : o.dump()) +
                    ": expected two integers from 0 to 18446744073709551615");
    const std::uint64_t begin = off[0].get<std::uint64_t>(), end = off[1].get<std::uint64_t>();
    if (begin > end)
      throw Error(tw + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] are reversed (expected begin <= end)");
    if (end > data_size)
      throw Error(tw + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] lie outside the file's " + std::to_string(data_size) + " data bytes (truncated file?)");
    if (end - begin != elements * esize)
      throw Error(tw + ": " + std::to_string(end - begin) + " data bytes do not match dtype " + v.dtype +
                  " and shape " + t["shape"].dump());
    v.data = data + begin;
    v.bytes = end - begin;
    ranges.emplace_back(begin, end);
    tensors_.emplace(name, std::move(v));
  }
  // As the format requires (and the reference reader checks): the tensors
  // cover the data bytes exactly, in order, with no overlap and no hole, so
  // no bytes hide in a file that looks like weights.
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t covered = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin < covered) throw Error(where + ": corrupt header: tensors overlap at data byte " + std::to_string(begin));
    if (begin > covered)
      throw Error(where + ": corrupt header: data bytes " + std::to_string(covered) + " to " + std::to_string(begin) +
                  " belong to no tensor (expected tensors packed without gaps)");
    covered = end;
  }
  if (covered != data_size)
    throw Error(where + ": corrupt file: " + std::to_string(data_size - covered) +
                " data bytes after the last tensor belong to no tensor");
}

std::size_t TensorToWrite::bytes() const {
  std::size_t n = dtype_size(dtype);
  for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

void write_safetensors(const fs::path& path, std::vector<TensorToWrite> tensors) {
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  // The header is written by hand so that each entry keeps the conventional
  // key order dtype, shape, data_offsets (as torch's safetensors writes it).
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  std::uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    std::string shape = "[";
    for (std::size_t k = 0; k < t.shape.size(); ++k) {
      if (k) shape += ',';
      shape += std::to_string(t.shape[k]);
    }
    shape += ']';
    const std::uint64_t end = offset + t.bytes();
    header += ',';
    header += json(t.name).dump();
    header += ":{\"dtype\":\"";
    header += t.dtype;
    header += "\",\"shape\":";
    header += shape;
    header += ",\"data_offsets\":[";
    header += std::to_string(offset);
    header += ',';
    header += std::to_string(end);
    header += "]}";
    offset = end;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write " + path.string());
  const std::uint64_t len = header.size();
  char len_bytes[8];
  std::memcpy(len_bytes, &len, 8);
  out.write(len_bytes, 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::vector<std::byte> buffer;
  for (const TensorToWrite& t : tensors) {
    buffer.resize(t.bytes());
    t.fill(buffer.data());
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
  }
  out.flush();
  if (!out) throw Error("cannot write " + path.string() + " (disk full?)");
}

std::vector<fs::path> write_checkpoint(const fs::path& dir, std::vector<TensorToWrite> tensors,
                                       std::uint64_t max_shard_bytes) {
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::vector<TensorToWrite>> shards(1);
  std::uint64_t in_shard = 0;
  for (TensorToWrite& t : tensors) {
    if (in_shard > 0 && in_shard + t.bytes() > max_shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    in_shard += t.bytes();
    shards.back().push_back(std::move(t));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  std::vector<fs::path> written;
  if (shards.size() == 1) {
    written.push_back(dir / "model.safetensors");
    write_safetensors(written.back(), std::move(shards[0]));
    return written;
  }
  json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", json::object()}};
  std::uint64_t total = 0;
  const std::size_t n = shards.size();
  for (std::size_t s = 0; s < n; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", s + 1, n);
    for (const TensorToWrite& t : shards[s]) {
      index["weight_map"][t.name] = name;
      total += t.bytes();
    }
    written.push_back(dir / name);
    write_safetensors(written.back(), std::move(shards[s]));
  }
  index["metadata"]["total_size"] = total;
  std::ofstream out(dir / "model.safetensors.index.json");
  out << index.dump(2) << "\n";
  if (!out) throw Error("cannot write " + (dir / "model.safetensors.index.json").string());
  written.push_back(dir / "model.safetensors.index.json");
  return written;
}

}  // namespace qwen3::model
