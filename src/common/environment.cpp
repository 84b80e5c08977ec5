#include "common/environment.h"

#include <unistd.h>  // environ (_GNU_SOURCE)

namespace qwen3 {

std::map<std::string, std::string> environment_variables(const std::function<bool(const std::string& name)>& keep) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    if (keep(name)) env[std::move(name)] = entry.substr(eq + 1);
  }
  return env;
}

}  // namespace qwen3
