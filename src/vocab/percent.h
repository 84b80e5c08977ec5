#pragma once
// The share a part is of a whole, in percent (0 for an empty whole): the
// vocabulary reports' one formula.
namespace qwen3::vocab {

inline double percent(int part, int whole) { return whole ? 100.0 * part / whole : 0.0; }

}  // namespace qwen3::vocab
