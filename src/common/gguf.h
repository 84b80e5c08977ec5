#pragma once
// GGUF files (llama.cpp's container, versions 2 and 3): a header, typed
// metadata (key -> value), a table of tensors, and the tensor data, aligned,
// after the table. Reading memory-maps the file and checks everything before
// it is used: counts, string and array lengths against the bytes left, the
// alignment, each tensor's dimensions, type, size and offset inside the file,
// duplicate names and overlapping tensors. A malformed file is a one-line
// qwen3::Error naming the file and what is wrong, never a read outside the
// mapping. What the tensors mean (a Qwen3 model, its tokenizer, its chat
// template) is read by the model, tokenizer and chat libraries.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file.h"

namespace qwen3::gguf {

// The ggml tensor types (ggml.h's enum ggml_type), as far as GGUF files use them.
enum GgmlType : std::uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

// Block size (elements) and bytes per block of a ggml type.
struct TypeInfo {
  const char* name;  // ggml's name: "Q4_K"
  int block;
  int bytes;
};
// nullptr for a type number ggml does not define.
const TypeInfo* type_info(std::uint32_t type);
// "Q4_K", or "type 99" for an unknown number.
std::string type_name(std::uint32_t type);
// Bytes of one row of `n` elements (n a multiple of the block size).
std::uint64_t row_bytes(std::uint32_t type, std::int64_t n);

// Metadata value types (gguf_type).
enum class ValueType : std::uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};
std::string_view value_type_name(ValueType type);

// One metadata value. Strings are views into the mapping (valid while the
// File lives). Arrays hold their elements by kind: strings, integers (and
// bools) or floats; nested arrays are skipped.
struct Value {
  ValueType type = ValueType::U32;
  ValueType element = ValueType::U32;  // arrays: the element type
  std::int64_t integer = 0;            // integer and bool scalars (u64 above 2^63-1 is refused)
  double number = 0;                   // float scalars
  std::string_view string;             // string scalars
  std::vector<std::string_view> strings;
  std::vector<std::int64_t> integers;
  std::vector<double> numbers;
  std::uint64_t count = 0;  // arrays: number of elements

  bool is_integer() const;
  bool is_float() const { return type == ValueType::F32 || type == ValueType::F64; }
};

struct Tensor {
  std::string name;
  std::vector<std::int64_t> ne;  // ggml order: ne[0] is the row length
  std::uint32_t type = 0;
  std::uint64_t offset = 0;  // from the start of the data section
  const std::byte* data = nullptr;
  std::uint64_t bytes = 0;
  std::int64_t elements() const;
};

// A regular file named *.gguf or whose first bytes are "GGUF" (false when it
// cannot be read): one to open as a gguf::File, which checks the rest.
bool is_gguf_file(const std::filesystem::path& path);

class File {
 public:
  explicit File(const std::filesystem::path& path);
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;

  const std::filesystem::path& path() const { return file_.path(); }
  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }  // where the tensor data starts
  std::size_t size() const { return file_.size(); }

  const std::map<std::string, Value, std::less<>>& metadata() const { return metadata_; }
  const Value* find(std::string_view key) const;
  // Typed access; each throws "PATH: metadata KEY: ..." when the key is
  // missing (the optional forms return nullopt) or of another type.
  std::string_view string(std::string_view key) const;
  std::optional<std::string_view> optional_string(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  std::optional<std::int64_t> optional_integer(std::string_view key) const;
  double number(std::string_view key) const;  // float or integer values
  std::optional<double> optional_number(std::string_view key) const;
  const std::vector<std::string_view>& string_array(std::string_view key) const;
  const std::vector<std::int64_t>& integer_array(std::string_view key) const;

  const std::vector<Tensor>& tensors() const { return tensors_; }
  const Tensor* tensor(std::string_view name) const;

  // "PATH: what"
  [[noreturn]] void fail(const std::string& what) const;

 private:
  MappedFile file_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = 32;
  std::uint64_t data_offset_ = 0;
  std::map<std::string, Value, std::less<>> metadata_;
  std::vector<Tensor> tensors_;
  std::map<std::string, std::size_t, std::less<>> by_name_;
};

}  // namespace qwen3::gguf
