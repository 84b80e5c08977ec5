#include "cli/input.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "qwen3/error.h"
#include "qwen3/utf8.h"

namespace qwen3::cli {

std::vector<TokenId> parse_ids(const std::string& text, const std::string& source) {
  const std::string expected = " (expected token ids: integers from 0 to 2147483647 separated by commas)";
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto skip_space = [&] {
    while (i < n && space(text[i])) ++i;
  };
  skip_space();
  const bool bracket = i < n && text[i] == '[';
  if (bracket) ++i;
  std::vector<TokenId> ids;
  bool need_item = false;  // after a comma, an id must follow
  for (;;) {
    skip_space();
    if (i == n || (bracket && text[i] == ']')) break;
    std::size_t end = i;
    while (end < n && !space(text[end]) && text[end] != ',' && text[end] != ']') ++end;
    const std::string item = text.substr(i, end - i);
    if (item.empty()) throw Error(source + ": an empty id between commas" + expected);
    TokenId v = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || p != item.data() + item.size() || v < 0 || item[0] == '+')
      throw Error(source + ": \"" + item.substr(0, 40) + "\" is not a token id" + expected);
    ids.push_back(v);
    i = end;
    skip_space();
    need_item = i < n && text[i] == ',';
    if (need_item) ++i;
  }
  if (need_item) throw Error(source + ": a comma with no id after it" + expected);
  if (bracket) {
    if (i == n) throw Error(source + ": missing ']' at the end of the id list");
    ++i;
    skip_space();
  }
  if (i != n) throw Error(source + ": unexpected text after the ids" + expected);
  if (ids.empty()) throw Error(source + ": no token ids" + expected);
  return ids;
}

namespace {
std::string checked(std::string text, const std::string& flag) {
  if (!is_valid_utf8(text)) throw Error(flag + ": invalid UTF-8 (expected UTF-8 text)");
  return text;
}
}  // namespace

std::string read_text_argument(const std::string& value, const std::string& flag) {
  if (value != "-") return checked(value, flag);
  std::ostringstream text;
  text << std::cin.rdbuf();
  return checked(text.str(), flag + " - (standard input)");
}

std::string read_whole_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder (expected a file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read the file (" + std::string(std::strerror(errno)) + ")");
  std::string data(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) throw Error(path + ": read failed");
  return data;
}

std::string read_text_file(const std::string& path, const std::string& flag) {
  return checked(read_whole_file(path), flag + " " + path);
}

}  // namespace qwen3::cli
