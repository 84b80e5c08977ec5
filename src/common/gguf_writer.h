#pragma once
// Writing GGUF v3 files (ggml's docs/gguf.md): the header, typed metadata in
// the order it is added, the tensor table, then each tensor's data at an
// offset aligned to general.alignment (32 unless given; the key is written
// only when it is not 32), padded with zeros.
//
//   gguf::Writer w("model.gguf");
//   w.add_string("general.architecture", "qwen3");
//   w.add_tensor("token_embd.weight", {2560, 151936}, gguf::kQ8_0);  // ggml order: ne[0] is the row length
//   w.begin();                     // header, metadata and tensor table
//   w.write(bytes, n);             // the tensors' data in the order added, in pieces of any size
//   w.finish();                    // complete: renamed into place
//
// The file is written as PATH.tmp and renamed to PATH by finish(), so PATH is
// either the complete old file or the complete new one; a Writer destroyed
// before finish() (an error on the way) removes PATH.tmp. Errors are
// qwen3::Error naming the path.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/gguf.h"

namespace qwen3::gguf {

class Writer {
 public:
  // Checks that PATH can be written (not a folder; its folder exists)
  // before anything is computed.
  explicit Writer(std::filesystem::path path, std::uint32_t alignment = 32);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Metadata, before begin(); a key added twice is an error.
  void add_string(std::string_view key, std::string_view value);
  void add_u32(std::string_view key, std::uint32_t value);
  void add_i32(std::string_view key, std::int32_t value);
  void add_f32(std::string_view key, float value);
  void add_bool(std::string_view key, bool value);
  void add_strings(std::string_view key, const std::vector<std::string>& values);
  void add_i32s(std::string_view key, const std::vector<std::int32_t>& values);

  // A tensor (before begin()): its dimensions in ggml order and ggml type;
  // its data is row_bytes(type, ne[0]) x the other dimensions.
  void add_tensor(std::string name, std::vector<std::int64_t> ne, std::uint32_t type);

  // Opens PATH.tmp and writes everything but the tensor data.
  void begin();
  // The next `bytes` of tensor data: tensors follow each other in the order
  // added, each padded to the alignment when complete.
  void write(const void* data, std::size_t bytes);
  // All tensor data written: flushes, closes and renames PATH.tmp to PATH.
  void finish();

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path temp_path() const;
  // Bytes of the whole file (known once every tensor is added).
  std::uint64_t file_size() const;

 private:
  struct TensorEntry {
    std::string name;
    std::vector<std::int64_t> ne;
    std::uint32_t type;
    std::uint64_t offset;  // in the data section
    std::uint64_t bytes;
  };
  void add_key(std::string_view key, ValueType type);
  void put(const void* data, std::size_t bytes);
  void pad(std::uint64_t written);
  [[noreturn]] void fail(const std::string& what) const;
  std::uint64_t header_bytes() const;

  std::filesystem::path path_;
  std::uint32_t alignment_;
  std::string metadata_;  // the encoded key/value pairs
  std::uint64_t keys_ = 0;
  std::vector<std::string> key_names_;
  std::vector<TensorEntry> tensors_;
  std::uint64_t data_bytes_ = 0;  // of the data section, padding included
  std::FILE* file_ = nullptr;
  std::size_t current_ = 0;         // the tensor being written
  std::uint64_t current_done_ = 0;  // its bytes written so far
};

}  // namespace qwen3::gguf
