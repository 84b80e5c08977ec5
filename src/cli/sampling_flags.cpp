#include "cli/sampling_flags.h"

#include <string>

#include "qwen3/error.h"
#include "settings/fields.h"

namespace qwen3::cli {
namespace {

// Help for each flag, in visit_sampling's order.
constexpr const char* kHelp[] = {
    "Sampling temperature, >= 0; 0 = greedy (thinking preset 0.6, non-thinking 0.7)",
    "Nucleus sampling: keep the best tokens holding this much probability, 0 < p <= 1 (0.95 / 0.8)",
    "Keep only the K most likely tokens; 0 = off (20)",
    "Drop tokens less likely than MIN_P x the best token's probability, 0..1; 0 = off (0)",
    "Subtract this from the logit of every token already generated, -2..2 (0; up to 1.5 against repetition)",
    "Subtract this x the token's count so far, -2..2 (0)",
    "Divide positive / multiply negative logits of generated tokens (HF), > 0; 1 = off (1)",
    "Random seed (an integer, or 'random'); the same seed and input give the same output",
    "Stop after this many new tokens, >= 1 (32768)",
};

}  // namespace

void add_sampling_flags(CLI::App& cmd, SamplingOverrides& out) {
  int index = 0;
  settings::visit_sampling(out, [&](std::string_view key, auto& target) {
    const std::string flag = settings::flag_name(key);
    cmd.add_option_function<std::string>(
           flag,
           [&target, flag](const std::string& text) {
             typename std::decay_t<decltype(target)>::value_type value{};
             if (!settings::parse_text(text, value))
               throw Error(flag + " = \"" + text + "\": expected " +
                           std::string(settings::expected<decltype(value)>()));
             target = value;
           },
           kHelp[index++])
        ->type_name(key == "seed" ? "N|random" : (key == "top_k" || key == "max_new_tokens") ? "N" : "F");
  });
}

}  // namespace qwen3::cli
