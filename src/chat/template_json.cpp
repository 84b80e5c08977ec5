// The `tojson` filter of Hugging Face's chat templates, i.e. Python's
// json.dumps(value, ensure_ascii=False): nlohmann's own dump() uses "," and
// ":" without spaces, so objects and arrays are written here.
#include <cstdio>

#include "chat/json_parse.h"
#include "qwen3/chat.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

// Python's json escapes exactly '"', '\\' and the C0 controls; everything
// else (non-ASCII, DEL, U+2028) is written raw with ensure_ascii=False.
void append_string(std::string& out, const std::string& s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_value(std::string& out, const OrderedJson& v, int depth) {
  if (depth > chat_detail::kMaxJsonDepth)
    throw Error("chat template: JSON nested deeper than " + std::to_string(chat_detail::kMaxJsonDepth) + " levels");
  switch (v.type()) {
    case OrderedJson::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        append_string(out, key);
        out += ": ";
        append_value(out, item, depth + 1);
      }
      out += '}';
      break;
    }
    case OrderedJson::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ", ";
        first = false;
        append_value(out, item, depth + 1);
      }
      out += ']';
      break;
    }
    case OrderedJson::value_t::string:
      append_string(out, v.get_ref<const std::string&>());
      break;
    default:  // null, booleans and numbers print the same in Python and nlohmann
      out += v.dump();
  }
}

}  // namespace

namespace chat_detail {
bool nests_deeper_than(const OrderedJson& value, int limit) {
  if (!value.is_structured()) return false;
  if (limit == 0) return true;
  for (const auto& item : value)
    if (nests_deeper_than(item, limit - 1)) return true;
  return false;
}

OrderedJson parse_json(std::string_view text, std::string_view prefix) {
  try {
    return OrderedJson::parse(text);
  } catch (const OrderedJson::exception& e) {
    // nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw Error(std::string(prefix) + " not valid JSON: " + what);
  }
}
}  // namespace chat_detail

std::string to_template_json(const OrderedJson& value) {
  std::string out;
  append_value(out, value, 0);
  return out;
}

}  // namespace qwen3
