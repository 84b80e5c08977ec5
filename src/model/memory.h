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

// Throws qwen3::Error when weights + KV cache exceed the available memory,
// naming both figures and how to need less.
void check_memory(std::uint64_t weight_bytes, std::uint64_t kv_bytes, std::int64_t ctx);

std::string gib(std::uint64_t bytes);  // "7.49 GiB"

}  // namespace qwen3::model
