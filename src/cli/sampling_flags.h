#pragma once
// The sampling flags of the commands that generate (chat, generate, config
// show), so they read the same everywhere:
//   --temperature F  --top-p F  --top-k N  --min-p F  --presence-penalty F
//   --frequency-penalty F  --repetition-penalty F  --seed N|random  --max-new-tokens N
#include <CLI/CLI.hpp>

#include "qwen3/sampling.h"

namespace qwen3::cli {

// Adds the flags to `cmd`; the values given land in `out` (which must outlive
// parsing) and flags not given stay unset. Text that is not a number throws
// qwen3::Error naming the flag; ranges are checked where the values are used
// (qwen3::resolve or qwen3::validate), with messages naming the parameter.
void add_sampling_flags(CLI::App& cmd, SamplingOverrides& out);

}  // namespace qwen3::cli
