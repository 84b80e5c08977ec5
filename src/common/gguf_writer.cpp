#include "common/gguf_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "qwen3/error.h"

namespace qwen3::gguf {
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kVersion = 3;

void append(std::string& out, const void* data, std::size_t bytes) {
  out.append(static_cast<const char*>(data), bytes);
}
template <class T>
void append_value(std::string& out, T v) {
  append(out, &v, sizeof v);
}
void append_string(std::string& out, std::string_view s) {
  append_value<std::uint64_t>(out, s.size());
  out.append(s);
}

std::uint64_t align_up(std::uint64_t n, std::uint64_t a) { return (n + a - 1) / a * a; }

}  // namespace

Writer::Writer(fs::path path, std::uint32_t alignment) : path_(std::move(path)), alignment_(alignment) {
  if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
    throw Error("GGUF alignment " + std::to_string(alignment_) + " is not a power of two");
  std::error_code ec;
  if (fs::is_directory(path_, ec))
    throw Error("cannot write " + path_.string() + ": it is a folder (expected a file name such as model.gguf)");
  const fs::path dir = path_.has_parent_path() ? path_.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) throw Error("cannot write " + path_.string() + ": no folder " + dir.string());
  if (alignment_ != 32) add_u32("general.alignment", alignment_);
}

Writer::~Writer() {
  if (!file_) return;  // never opened, or closed by finish()
  std::fclose(file_);
  std::error_code ec;
  fs::remove(temp_path(), ec);
}

fs::path Writer::temp_path() const { return fs::path(path_.string() + ".tmp"); }

void Writer::fail(const std::string& what) const { throw Error("cannot write " + path_.string() + ": " + what); }

void Writer::add_key(std::string_view key, ValueType type) {
  if (file_) fail("metadata " + std::string(key) + " added after the header was written");
  if (std::find(key_names_.begin(), key_names_.end(), key) != key_names_.end())
    fail("metadata " + std::string(key) + " added twice");
  key_names_.emplace_back(key);
  append_string(metadata_, key);
  append_value(metadata_, static_cast<std::uint32_t>(type));
  ++keys_;
}

void Writer::add_string(std::string_view key, std::string_view value) {
  add_key(key, ValueType::String);
  append_string(metadata_, value);
}
void Writer::add_u32(std::string_view key, std::uint32_t value) {
  add_key(key, ValueType::U32);
  append_value(metadata_, value);
}
void Writer::add_i32(std::string_view key, std::int32_t value) {
  add_key(key, ValueType::I32);
  append_value(metadata_, value);
}
void Writer::add_f32(std::string_view key, float value) {
  add_key(key, ValueType::F32);
  append_value(metadata_, value);
}
void Writer::add_bool(std::string_view key, bool value) {
  add_key(key, ValueType::Bool);
  append_value<std::uint8_t>(metadata_, value ? 1 : 0);
}
void Writer::add_strings(std::string_view key, const std::vector<std::string>& values) {
  add_key(key, ValueType::Array);
  append_value(metadata_, static_cast<std::uint32_t>(ValueType::String));
  append_value<std::uint64_t>(metadata_, values.size());
  for (const std::string& v : values) append_string(metadata_, v);
}
void Writer::add_i32s(std::string_view key, const std::vector<std::int32_t>& values) {
  add_key(key, ValueType::Array);
  append_value(metadata_, static_cast<std::uint32_t>(ValueType::I32));
  append_value<std::uint64_t>(metadata_, values.size());
  append(metadata_, values.data(), values.size() * sizeof(std::int32_t));
}

void Writer::add_tensor(std::string name, std::vector<std::int64_t> ne, std::uint32_t type) {
  if (file_) fail("tensor " + name + " added after the header was written");
  const TypeInfo* info = type_info(type);
  if (!info) fail("tensor " + name + ": unknown ggml type " + std::to_string(type));
  if (ne.empty() || ne.size() > 4) fail("tensor " + name + ": " + std::to_string(ne.size()) + " dimensions");
  if (ne[0] % info->block != 0)
    fail("tensor " + name + ": rows of " + std::to_string(ne[0]) + " values are not whole " + info->name +
         " blocks of " + std::to_string(info->block));
  for (const TensorEntry& t : tensors_)
    if (t.name == name) fail("tensor " + name + " added twice");
  std::uint64_t bytes = row_bytes(type, ne[0]);
  for (std::size_t i = 1; i < ne.size(); ++i) bytes *= static_cast<std::uint64_t>(ne[i]);
  tensors_.push_back({std::move(name), std::move(ne), type, data_bytes_, bytes});
  data_bytes_ = align_up(data_bytes_ + bytes, alignment_);
}

std::uint64_t Writer::header_bytes() const {
  std::uint64_t n = 4 + 4 + 8 + 8 + metadata_.size();
  for (const TensorEntry& t : tensors_) n += 8 + t.name.size() + 4 + 8 * t.ne.size() + 4 + 8;
  return align_up(n, alignment_);
}

std::uint64_t Writer::file_size() const { return header_bytes() + data_bytes_; }

void Writer::put(const void* data, std::size_t bytes) {
  if (bytes != 0 && std::fwrite(data, 1, bytes, file_) != bytes)
    fail(std::string(std::strerror(errno)) + " (writing " + temp_path().string() + ")");
}

void Writer::pad(std::uint64_t written) {
  static const char zeros[256] = {};
  for (std::uint64_t n = align_up(written, alignment_) - written; n > 0;) {
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof zeros));
    put(zeros, k);
    n -= k;
  }
}

void Writer::begin() {
  if (file_) fail("the header was already written");
  file_ = std::fopen(temp_path().c_str(), "wb");
  if (!file_) fail(std::strerror(errno));
  std::string head;
  head.append("GGUF", 4);
  append_value(head, kVersion);
  append_value<std::uint64_t>(head, tensors_.size());
  append_value<std::uint64_t>(head, keys_);
  head += metadata_;
  for (const TensorEntry& t : tensors_) {
    append_string(head, t.name);
    append_value(head, static_cast<std::uint32_t>(t.ne.size()));
    for (std::int64_t d : t.ne) append_value<std::uint64_t>(head, static_cast<std::uint64_t>(d));
    append_value(head, t.type);
    append_value(head, t.offset);
  }
  put(head.data(), head.size());
  pad(head.size());
  current_ = 0;
  current_done_ = 0;
}

void Writer::write(const void* data, std::size_t bytes) {
  if (!file_) fail("tensor data written before the header");
  const auto* p = static_cast<const std::byte*>(data);
  while (bytes > 0) {
    if (current_ >= tensors_.size()) fail("more tensor data than the tensors hold");
    const TensorEntry& t = tensors_[current_];
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, t.bytes - current_done_));
    put(p, k);
    p += k;
    bytes -= k;
    current_done_ += k;
    if (current_done_ == t.bytes) {
      pad(t.bytes);
      ++current_;
      current_done_ = 0;
    }
  }
}

void Writer::finish() {
  if (!file_) fail("finished before the header was written");
  if (current_ != tensors_.size())
    fail("tensor " + tensors_[current_].name + " has " + std::to_string(current_done_) + " of its " +
         std::to_string(tensors_[current_].bytes) + " bytes");
  const bool flushed = std::fflush(file_) == 0;
  const int err = errno;
  const bool closed = std::fclose(file_) == 0;
  if (!flushed || !closed) {
    file_ = nullptr;
    std::error_code ec;
    fs::remove(temp_path(), ec);
    fail(std::strerror(flushed ? errno : err));
  }
  file_ = nullptr;
  std::error_code ec;
  fs::rename(temp_path(), path_, ec);
  if (ec) {
    fs::remove(temp_path(), ec);
    fail("cannot rename " + temp_path().string() + ": " + ec.message());
  }
}

}  // namespace qwen3::gguf
