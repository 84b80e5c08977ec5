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

std::vector<TokenId> parse_ids(const std::string& csv, const std::string& flag) {
  std::vector<TokenId> ids;
  std::size_t at = 0;
  while (at <= csv.size()) {
    const std::size_t end = std::min(csv.find(',', at), csv.size());
    std::string item = csv.substr(at, end - at);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    TokenId v = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size() || v < 0)
      throw Error(flag + ": \"" + item + "\" is not a token id (expected comma-separated non-negative integers)");
    ids.push_back(v);
    at = end + 1;
  }
  if (ids.empty()) throw Error(flag + ": no token ids");
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
