#pragma once
// How much memory the machine can give us, and how much we used: the
// "too little memory" check before allocating, and the benchmark's peak RSS.
#include <cstdint>
#include <string>

namespace qwen3::model {

// MemAvailable of /proc/meminfo (free memory plus reclaimable page cache).
std::uint64_t available_memory_bytes();
// VmHWM of /proc/self/status: the peak resident set of this process.
std::uint64_t peak_resident_bytes();
// Resets that peak to the current resident set (Linux >= 4.0), so that a
// measurement's own buffer freed before a run does not count as the run's.
// Returns false where the kernel does not support it.
bool reset_peak_resident();

// At load: throws qwen3::Error when the weights + the KV cache of the first
// kv_tokens positions (min(ctx, Model::kKvCheckTokens)) exceed the available
// memory, naming both figures and how to need less.
void check_memory(std::uint64_t weight_bytes, std::uint64_t kv_bytes, std::int64_t kv_tokens, std::int64_t ctx);

// As a session grows: throws qwen3::Error when taking the KV cache from `from`
// to `to` positions needs more than `available` bytes (`bytes`), naming both
// and the context reached. available == 0: unknown, nothing is checked.
void check_kv_growth(std::uint64_t bytes, std::uint64_t available, std::int64_t from, std::int64_t to,
                     std::int64_t ctx);

std::string gib(std::uint64_t bytes);  // "7.49 GiB"

}  // namespace qwen3::model
