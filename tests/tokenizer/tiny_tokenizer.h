#pragma once
// A small tokenizer.json written by the tests themselves: the 256 byte tokens,
// a few merges and two added tokens. Lets the tests check the loader's
// handling of every setting (and every way of breaking it) without parsing
// Qwen3's 11 MB file each time.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "common/test_paths.h"

namespace qwen3::test {

// GPT-2 byte alphabet character for byte b (printable Latin-1 stands for itself).
inline std::string byte_char(int b) {
  int next = 256, cp = -1;
  for (int x = 0; x < 256; ++x) {
    bool printable = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
    int c = printable ? x : next++;
    if (x == b) cp = c;
  }
  std::string s;
  if (cp < 0x80)
    s += static_cast<char>(cp);
  else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// ids 0-255: bytes in order; 256 "he", 257 "ll", 258 "hell", 259 "Ġw";
// 260 "<|end|>" (special), 261 "<x>" (not special). Split pattern: words or
// single other characters (not Qwen2's, so the PCRE2 path runs).
inline nlohmann::json tiny_tokenizer_json() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_char(b)] = b;
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hell"] = 258;
  vocab[byte_char(' ') + "w"] = 259;
  nlohmann::json merges = nlohmann::json::array({{"h", "e"}, {"l", "l"}, {"he", "ll"}, {byte_char(' '), "w"}});
  auto added = [](int id, const char* content, bool special) {
    return nlohmann::json{{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
                          {"rstrip", false}, {"normalized", false}, {"special", special}};
  };
  nlohmann::json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", nlohmann::json::array({added(260, "<|end|>", true), added(261, "<x>", false)})},
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers", nlohmann::json::array({{{"type", "Split"},
                                                  {"pattern", {{"Regex", " ?\\p{L}+|\\s+|."}}},
                                                  {"behavior", "Isolated"},
                                                  {"invert", false}},
                                                 byte_level})}}},
      {"post_processor", byte_level},
      {"decoder", byte_level},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", ""},
        {"end_of_word_suffix", ""},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

// A fresh folder under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "qwen3-tok-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  // Writes DIR/tokenizer.json with the given bytes; returns DIR.
  std::filesystem::path write_tokenizer(const std::string& bytes) const {
    std::ofstream(path_ / "tokenizer.json", std::ios::binary) << bytes;
    return path_;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace qwen3::test
