#include "common/gguf.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <limits>

#include "common/utf8.h"
#include "qwen3/error.h"

namespace qwen3::gguf {
namespace {

struct TypeEntry {
  std::uint32_t id;
  TypeInfo info;
};

// ggml's type traits (block size, bytes per block) for every type a GGUF
// file may name, so that a file of any type can be measured and refused by name.
constexpr std::array<TypeEntry, 31> kTypes = {{
    {0, {"F32", 1, 4}},         {1, {"F16", 1, 2}},         {2, {"Q4_0", 32, 18}},      {3, {"Q4_1", 32, 20}},
    {6, {"Q5_0", 32, 22}},      {7, {"Q5_1", 32, 24}},      {8, {"Q8_0", 32, 34}},      {9, {"Q8_1", 32, 36}},
    {10, {"Q2_K", 256, 84}},    {11, {"Q3_K", 256, 110}},   {12, {"Q4_K", 256, 144}},   {13, {"Q5_K", 256, 176}},
    {14, {"Q6_K", 256, 210}},   {15, {"Q8_K", 256, 292}},   {16, {"IQ2_XXS", 256, 66}}, {17, {"IQ2_XS", 256, 74}},
    {18, {"IQ3_XXS", 256, 98}}, {19, {"IQ1_S", 256, 50}},   {20, {"IQ4_NL", 32, 18}},   {21, {"IQ3_S", 256, 110}},
    {22, {"IQ2_S", 256, 82}},   {23, {"IQ4_XS", 256, 136}}, {24, {"I8", 1, 1}},         {25, {"I16", 1, 2}},
    {26, {"I32", 1, 4}},        {27, {"I64", 1, 8}},        {28, {"F64", 1, 8}},        {29, {"IQ1_M", 256, 56}},
    {30, {"BF16", 1, 2}},       {34, {"TQ1_0", 256, 54}},   {35, {"TQ2_0", 256, 66}},
}};

constexpr std::uint64_t kMaxDims = 4;
constexpr std::uint64_t kMaxName = 64;  // GGML_MAX_NAME, terminator included in ggml

// Reads the header and tables with every length checked against the bytes left.
class Cursor {
 public:
  Cursor(const File& f, const std::byte* data, std::size_t size) : f_(f), p_(data), size_(size) {}
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return size_ - pos_; }

  void need(std::uint64_t n, const char* what) const {
    if (n > left())
      f_.fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes at offset " +
              std::to_string(pos_) + ", " + std::to_string(left()) + " left");
  }
  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string_view string(const char* what) {
    const auto n = read<std::uint64_t>(what);
    need(n, what);
    std::string_view s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    return s;
  }
  void skip(std::uint64_t n, const char* what) {
    need(n, what);
    pos_ += n;
  }

 private:
  const File& f_;
  const std::byte* p_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

std::uint64_t scalar_size(ValueType t) {
  switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::Bool:
      return 1;
    case ValueType::U16:
    case ValueType::I16:
      return 2;
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::F32:
      return 4;
    case ValueType::U64:
    case ValueType::I64:
    case ValueType::F64:
      return 8;
    default:
      return 0;
  }
}

bool known_value_type(std::uint32_t t) { return t <= static_cast<std::uint32_t>(ValueType::F64); }

// Reads one scalar of type t into (integer, number); false for non-scalars.
void read_scalar(Cursor& c, ValueType t, const File& f, const std::string& key, std::int64_t& integer, double& number) {
  switch (t) {
    case ValueType::U8:
      integer = c.read<std::uint8_t>("value");
      break;
    case ValueType::I8:
      integer = c.read<std::int8_t>("value");
      break;
    case ValueType::U16:
      integer = c.read<std::uint16_t>("value");
      break;
    case ValueType::I16:
      integer = c.read<std::int16_t>("value");
      break;
    case ValueType::U32:
      integer = c.read<std::uint32_t>("value");
      break;
    case ValueType::I32:
      integer = c.read<std::int32_t>("value");
      break;
    case ValueType::U64: {
      const auto u = c.read<std::uint64_t>("value");
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        f.fail("metadata " + key + ": value " + std::to_string(u) + " is out of range");
      integer = static_cast<std::int64_t>(u);
      break;
    }
    case ValueType::I64:
      integer = c.read<std::int64_t>("value");
      break;
    case ValueType::F32:
      number = c.read<float>("value");
      break;
    case ValueType::F64:
      number = c.read<double>("value");
      break;
    case ValueType::Bool: {
      const auto b = c.read<std::uint8_t>("value");
      if (b > 1) f.fail("metadata " + key + ": bool value " + std::to_string(b) + " is neither 0 nor 1");
      integer = b;
      break;
    }
    default:
      f.fail("metadata " + key + ": not a scalar type");
  }
}

void skip_array(Cursor& c, const File& f, const std::string& key, int depth) {
  const auto et = c.read<std::uint32_t>("array type");
  const auto n = c.read<std::uint64_t>("array length");
  if (!known_value_type(et)) f.fail("metadata " + key + ": unknown array element type " + std::to_string(et));
  const auto t = static_cast<ValueType>(et);
  if (t == ValueType::String) {
    for (std::uint64_t i = 0; i < n; ++i) c.string("array string");
  } else if (t == ValueType::Array) {
    if (depth > 3) f.fail("metadata " + key + ": arrays nested too deeply");
    for (std::uint64_t i = 0; i < n; ++i) skip_array(c, f, key, depth + 1);
  } else {
    const std::uint64_t s = scalar_size(t);
    if (n > c.left() / s)
      f.fail("metadata " + key + ": array of " + std::to_string(n) + " " + std::string(value_type_name(t)) +
             " exceeds the file");
    c.skip(n * s, "array");
  }
}

Value read_value(Cursor& c, const File& f, const std::string& key) {
  Value v;
  const auto t = c.read<std::uint32_t>("value type");
  if (!known_value_type(t)) f.fail("metadata " + key + ": unknown value type " + std::to_string(t));
  v.type = static_cast<ValueType>(t);
  if (v.type == ValueType::String) {
    v.string = c.string("string value");
  } else if (v.type == ValueType::Array) {
    const auto et = c.read<std::uint32_t>("array type");
    const auto n = c.read<std::uint64_t>("array length");
    if (!known_value_type(et)) f.fail("metadata " + key + ": unknown array element type " + std::to_string(et));
    v.element = static_cast<ValueType>(et);
    v.count = n;
    if (v.element == ValueType::String) {
      // Each string takes at least its 8-byte length.
      if (n > c.left() / 8) f.fail("metadata " + key + ": array of " + std::to_string(n) + " strings exceeds the file");
      v.strings.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) v.strings.push_back(c.string("array string"));
    } else if (v.element == ValueType::Array) {
      for (std::uint64_t i = 0; i < n; ++i) skip_array(c, f, key, 1);
    } else {
      const std::uint64_t s = scalar_size(v.element);
      if (n > c.left() / s)
        f.fail("metadata " + key + ": array of " + std::to_string(n) + " " + std::string(value_type_name(v.element)) +
               " exceeds the file");
      const bool fl = v.element == ValueType::F32 || v.element == ValueType::F64;
      (fl ? v.numbers.reserve(n) : v.integers.reserve(n));
      for (std::uint64_t i = 0; i < n; ++i) {
        std::int64_t iv = 0;
        double dv = 0;
        read_scalar(c, v.element, f, key, iv, dv);
        if (fl)
          v.numbers.push_back(dv);
        else
          v.integers.push_back(iv);
      }
    }
  } else {
    read_scalar(c, v.type, f, key, v.integer, v.number);
  }
  return v;
}

}  // namespace

const TypeInfo* type_info(std::uint32_t type) {
  for (const TypeEntry& e : kTypes)
    if (e.id == type) return &e.info;
  return nullptr;
}

std::string type_name(std::uint32_t type) {
  const TypeInfo* t = type_info(type);
  return t ? t->name : "type " + std::to_string(type);
}

std::uint64_t row_bytes(std::uint32_t type, std::int64_t n) {
  const TypeInfo* t = type_info(type);
  return static_cast<std::uint64_t>(n / t->block) * t->bytes;
}

std::string_view value_type_name(ValueType type) {
  static constexpr std::array<std::string_view, 13> names = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                                             "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<std::uint32_t>(type);
  return i < names.size() ? names[i] : "unknown";
}

bool Value::is_integer() const { return type != ValueType::String && type != ValueType::Array && !is_float(); }

std::int64_t Tensor::elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : ne) n *= d;
  return n;
}

bool is_gguf_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  // Named .gguf: meant as one, so that a truncated or foreign file is
  // refused as a GGUF ("no GGUF magic"), not read as a tokenizer.json.
  if (path.extension() == ".gguf") return true;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

// Keys and tensor names are the file's bytes: escaped, so the message stays one line.
void File::fail(const std::string& what) const { throw Error(path().string() + ": " + what); }  // Error: one line

File::File(const std::filesystem::path& path) : file_(path) {
  Cursor c(*this, file_.data(), file_.size());
  if (file_.size() < 4 || std::memcmp(file_.data(), "GGUF", 4) != 0) fail("not a GGUF file (no GGUF magic)");
  c.skip(4, "magic");
  version_ = c.read<std::uint32_t>("version");
  if (version_ != 2 && version_ != 3)
    fail("GGUF version " + std::to_string(version_) + " is not supported (expected 2 or 3)");
  const auto n_tensors = c.read<std::uint64_t>("tensor count");
  const auto n_kv = c.read<std::uint64_t>("metadata count");
  // Each key-value pair takes at least 12 bytes, each tensor entry at least 24.
  if (n_kv > c.left() / 12) fail("metadata count " + std::to_string(n_kv) + " exceeds the file");
  if (n_tensors > c.left() / 24) fail("tensor count " + std::to_string(n_tensors) + " exceeds the file");

  for (std::uint64_t i = 0; i < n_kv; ++i) {
    const std::string key(c.string("metadata key"));
    if (key.empty()) fail("metadata entry " + std::to_string(i) + " has an empty key");
    Value v = read_value(c, *this, key);
    if (!metadata_.emplace(key, std::move(v)).second) fail("metadata " + key + " appears twice");
  }
  if (const Value* a = find("general.alignment")) {
    if (!a->is_integer() || a->integer < 1 || (a->integer & (a->integer - 1)) != 0 || a->integer > (1 << 20))
      fail("metadata general.alignment: expected a power of two, got " +
           (a->is_integer() ? std::to_string(a->integer) : std::string(value_type_name(a->type))));
    alignment_ = static_cast<std::uint64_t>(a->integer);
  }

  tensors_.reserve(n_tensors);
  for (std::uint64_t i = 0; i < n_tensors; ++i) {
    Tensor t;
    t.name = std::string(c.string("tensor name"));
    const std::string what = "tensor " + t.name;
    if (t.name.empty() || t.name.size() >= kMaxName)
      fail("tensor " + std::to_string(i) + ": name of " + std::to_string(t.name.size()) + " bytes (expected 1 to 63)");
    const auto n_dims = c.read<std::uint32_t>("tensor dimensions");
    if (n_dims < 1 || n_dims > kMaxDims)
      fail(what + ": " + std::to_string(n_dims) + " dimensions (expected 1 to " + std::to_string(kMaxDims) + ")");
    std::int64_t elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = c.read<std::int64_t>("tensor dimension");
      if (ne < 1) fail(what + ": dimension " + std::to_string(d) + " is " + std::to_string(ne));
      if (elements > std::numeric_limits<std::int64_t>::max() / 8 / ne) fail(what + ": too many elements");
      elements *= ne;
      t.ne.push_back(ne);
    }
    t.type = c.read<std::uint32_t>("tensor type");
    t.offset = c.read<std::uint64_t>("tensor offset");
    const TypeInfo* ti = type_info(t.type);
    if (!ti) fail(what + ": unknown ggml type " + std::to_string(t.type));
    if (t.ne[0] % ti->block != 0)
      fail(what + ": row length " + std::to_string(t.ne[0]) + " is not a multiple of " + ti->name + "'s block of " +
           std::to_string(ti->block));
    t.bytes = static_cast<std::uint64_t>(elements / ti->block) * ti->bytes;
    if (t.offset % alignment_ != 0)
      fail(what + ": offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
           std::to_string(alignment_));
    if (!by_name_.emplace(t.name, tensors_.size()).second) fail(what + " appears twice");
    tensors_.push_back(std::move(t));
  }
  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  if (data_offset_ > file_.size() && !tensors_.empty())
    fail("truncated: the tensor data would start at " + std::to_string(data_offset_) + ", past the end (" +
         std::to_string(file_.size()) + " bytes)");
  const std::uint64_t data_size = file_.size() - std::min<std::uint64_t>(data_offset_, file_.size());

  // Every tensor inside the file, and no two overlapping.
  std::vector<const Tensor*> by_offset;
  for (Tensor& t : tensors_) {
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      fail("tensor " + t.name + ": " + std::to_string(t.bytes) + " bytes at data offset " + std::to_string(t.offset) +
           " run past the end of the file (truncated?)");
    t.data = file_.data() + data_offset_ + t.offset;
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const Tensor* a, const Tensor* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i - 1]->offset + by_offset[i - 1]->bytes > by_offset[i]->offset)
      fail("tensors " + by_offset[i - 1]->name + " and " + by_offset[i]->name + " overlap");
}

const Value* File::find(std::string_view key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const Tensor* File::tensor(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

std::optional<std::string_view> File::optional_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != ValueType::String)
    fail("metadata " + std::string(key) + ": expected a string, got " + std::string(value_type_name(v->type)));
  return v->string;
}

std::string_view File::string(std::string_view key) const {
  auto v = optional_string(key);
  if (!v) fail("metadata " + std::string(key) + ": missing");
  return *v;
}

std::optional<std::int64_t> File::optional_integer(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_integer())
    fail("metadata " + std::string(key) + ": expected an integer, got " + std::string(value_type_name(v->type)));
  return v->integer;
}

std::int64_t File::integer(std::string_view key) const {
  auto v = optional_integer(key);
  if (!v) fail("metadata " + std::string(key) + ": missing");
  return *v;
}

std::optional<double> File::optional_number(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_float()) return v->number;
  if (v->is_integer() && v->type != ValueType::Bool) return static_cast<double>(v->integer);
  fail("metadata " + std::string(key) + ": expected a number, got " + std::string(value_type_name(v->type)));
}

double File::number(std::string_view key) const {
  auto v = optional_number(key);
  if (!v) fail("metadata " + std::string(key) + ": missing");
  return *v;
}

const std::vector<std::string_view>& File::string_array(std::string_view key) const {
  const Value* v = find(key);
  if (!v) fail("metadata " + std::string(key) + ": missing");
  if (v->type != ValueType::Array || v->element != ValueType::String)
    fail("metadata " + std::string(key) + ": expected an array of strings");
  return v->strings;
}

const std::vector<std::int64_t>& File::integer_array(std::string_view key) const {
  const Value* v = find(key);
  if (!v) fail("metadata " + std::string(key) + ": missing");
  if (v->type != ValueType::Array || v->element == ValueType::String || v->element == ValueType::Array ||
      v->element == ValueType::F32 || v->element == ValueType::F64)
    fail("metadata " + std::string(key) + ": expected an array of integers");
  return v->integers;
}

}  // namespace qwen3::gguf
