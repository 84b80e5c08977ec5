#pragma once
// This process's environment variables, by name.
#include <functional>
#include <map>
#include <string>

namespace qwen3 {

// Every variable whose name `keep` accepts (with its value, possibly empty).
std::map<std::string, std::string> environment_variables(const std::function<bool(const std::string& name)>& keep);

}  // namespace qwen3
