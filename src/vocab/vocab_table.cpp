// The classified vocabulary, the masks built from it and the statistics table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "qwen3/error.h"
#include "qwen3/vocab.h"
#include "vocab/percent.h"

namespace qwen3::vocab {

VocabTable VocabTable::classify(std::vector<std::string> token_bytes, const std::vector<TokenId>& added, int rows) {
  if (rows < static_cast<int>(token_bytes.size()))
    throw Error("vocab: " + std::to_string(token_bytes.size()) + " tokens do not fit in " + std::to_string(rows) +
                " rows");
  VocabTable table;
  table.classes_.assign(static_cast<std::size_t>(rows), TokenClass::kUnused);
  for (std::size_t id = 0; id < token_bytes.size(); ++id) table.classes_[id] = classify_bytes(token_bytes[id]);
  for (TokenId id : added) {
    if (id < 0 || id >= static_cast<TokenId>(token_bytes.size()))
      throw Error("vocab: added token id " + std::to_string(id) + " is outside the vocabulary");
    table.classes_[static_cast<std::size_t>(id)] = TokenClass::kSpecial;
  }
  token_bytes.resize(static_cast<std::size_t>(rows));
  table.bytes_ = std::move(token_bytes);
  return table;
}

TokenClass VocabTable::class_of(TokenId id) const {
  if (id < 0 || id >= rows())
    throw Error("vocab: token id " + std::to_string(id) + " outside [0, " + std::to_string(rows()) + ")");
  return classes_[static_cast<std::size_t>(id)];
}

const std::string& VocabTable::bytes_of(TokenId id) const {
  class_of(id);  // range check
  return bytes_[static_cast<std::size_t>(id)];
}

std::array<int, kClassCount> VocabTable::class_counts() const {
  std::array<int, kClassCount> counts{};
  for (TokenClass c : classes_) ++counts[static_cast<int>(c)];
  return counts;
}

const std::vector<TokenId>& chat_token_ids() {
  static const std::vector<TokenId> ids = {token::kEndOfText, token::kImEnd, token::kThinkStart, token::kThinkEnd};
  return ids;
}

const std::vector<TokenId>& tool_call_token_ids() {
  static const std::vector<TokenId> ids = {token::kToolCallStart, token::kToolCallEnd};
  return ids;
}

TokenMask build_mask(const VocabTable& table, const Policy& policy, const MaskOptions& options) {
  std::vector<std::uint8_t> allowed(static_cast<std::size_t>(table.rows()), 0);
  for (TokenId id = 0; id < table.rows(); ++id)
    allowed[id] = policy.allows_token(table.class_of(id), table.bytes_of(id));
  auto keep = [&](TokenId id) {
    if (id < table.rows() && table.class_of(id) == TokenClass::kSpecial) allowed[id] = 1;
  };
  for (TokenId id : chat_token_ids()) keep(id);
  if (options.allow_tool_calls)
    for (TokenId id : tool_call_token_ids()) keep(id);
  std::vector<TokenId> ids;
  for (TokenId id = 0; id < table.rows(); ++id)
    if (allowed[id]) ids.push_back(id);
  return TokenMask(std::move(allowed), std::move(ids));
}

namespace {

struct PolicyFigures {
  const BuiltinPolicy* builtin;
  TokenMask mask;
  std::array<int, kClassCount> per_class{};
};

std::vector<PolicyFigures> builtin_figures(const VocabTable& table) {
  std::vector<PolicyFigures> out;
  for (const auto& b : builtin_policies()) {
    PolicyFigures f{&b, build_mask(table, Policy::parse(b.spec)), {}};
    for (TokenId id : f.mask.ids()) ++f.per_class[static_cast<int>(table.class_of(id))];
    out.push_back(std::move(f));
  }
  return out;
}

std::string format_row(const char* fmt, auto... args) {
  char line[256];
  std::snprintf(line, sizeof line, fmt, args...);
  return line;
}

}  // namespace

std::string format_stats(const VocabTable& table) {
  const auto counts = table.class_counts();
  const auto policies = builtin_figures(table);
  const int rows = table.rows();
  const int special = counts[int(TokenClass::kSpecial)], unused = counts[int(TokenClass::kUnused)];
  std::string out = format_row("Vocabulary: %d ids = %d regular tokens + %d added tokens + %d padding rows\n\n", rows,
                               rows - special - unused, special, unused);
  out += format_row("%-14s %7s %8s", "class", "tokens", "share");
  for (const auto& p : policies) out += format_row(" %7.*s", int(p.builtin->name.size()), p.builtin->name.data());
  out += "\n";
  for (int k = 0; k < kClassCount; ++k) {
    auto name = class_name(static_cast<TokenClass>(k));
    out += format_row("%-14.*s %7d %7.2f%%", int(name.size()), name.data(), counts[k], percent(counts[k], rows));
    for (const auto& p : policies) out += format_row(" %7d", p.per_class[k]);
    out += "\n";
  }
  out += format_row("%-14s %7d %7.2f%%", "total", rows, 100.0);
  for (const auto& p : policies) out += format_row(" %7d", p.mask.count());
  out += "\n\n";
  out += format_row("%-8s %7s %8s  %s\n", "policy", "tokens", "share", "definition");
  for (const auto& p : policies) {
    const auto& b = *p.builtin;
    out += format_row("%-8.*s %7d %7.2f%%  ", int(b.name.size()), b.name.data(), p.mask.count(),
                      percent(p.mask.count(), rows));
    out += std::string(b.description) + "\n" + std::string(27, ' ') + "spec: " + std::string(b.spec) + "\n";
  }
  out +=
      "Each policy keeps the 4 chat-format tokens (<|endoftext|> <|im_end|> <think> </think>);\n"
      "with tools it also keeps <tool_call> </tool_call>.\n";
  return out;
}

std::string format_stats_json(const VocabTable& table) {
  const auto counts = table.class_counts();
  const auto policies = builtin_figures(table);
  const int rows = table.rows();
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  for (int k = 0; k < kClassCount; ++k) {
    nlohmann::ordered_json allowed = nlohmann::ordered_json::object();
    for (const auto& p : policies) allowed[std::string(p.builtin->name)] = p.per_class[k];
    classes.push_back({{"class", class_name(static_cast<TokenClass>(k))},
                       {"tokens", counts[k]},
                       {"percent", std::round(percent(counts[k], rows) * 100) / 100},
                       {"allowed", allowed}});
  }
  nlohmann::ordered_json policy_list = nlohmann::ordered_json::array();
  for (const auto& p : policies)
    policy_list.push_back({{"policy", p.builtin->name},
                           {"spec", p.builtin->spec},
                           {"tokens", p.mask.count()},
                           {"percent", std::round(percent(p.mask.count(), rows) * 100) / 100}});
  nlohmann::ordered_json out = {{"rows", rows}, {"classes", classes}, {"policies", policy_list}};
  return out.dump(2) + "\n";
}

}  // namespace qwen3::vocab
