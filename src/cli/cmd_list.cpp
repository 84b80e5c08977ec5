// `qwen3 list`: the models in the Hugging Face cache (ours and those Python
// tools downloaded), with their size on disk and cached revisions.
//   MODEL               SIZE      REVISIONS
//   Qwen/Qwen3-4B       8.05 GB   main (1cfa9a7208912126), v1 (...)
// `--json` gives the same as an array of objects.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "qwen3/hub.h"

namespace qwen3::cli::cmd_list {
namespace {

std::string size_text(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= 1000000000ull)
    std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1000000ull)
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
  return buf;
}

// "main (1cfa9a720891)", or the short commit alone; "(incomplete)" when files are missing.
std::string revision_text(const hub::CachedRevision& r) {
  std::string refs;
  for (const auto& ref : r.refs) refs += (refs.empty() ? "" : "+") + ref;
  std::string text = refs.empty() ? r.commit.substr(0, 12) : refs + " (" + r.commit.substr(0, 12) + ")";
  if (!r.complete) text += " incomplete";
  return text;
}

void run(bool json) {
  const hub::HubOptions options = hub::options_from_environment();
  const auto models = hub::list_cache(options);
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& m : models) {
      nlohmann::ordered_json revisions = nlohmann::ordered_json::array();
      for (const auto& r : m.revisions)
        revisions.push_back(
            {{"commit", r.commit}, {"refs", r.refs}, {"size", r.size}, {"complete", r.complete}, {"files", r.files}});
      out.push_back({{"model", m.repo},
                     {"size", m.size},
                     {"path", m.folder.string()},
                     {"last_modified", m.last_modified},
                     {"revisions", revisions}});
    }
    std::cout << out.dump() << "\n";
    return;
  }
  if (models.empty()) {
    std::cout << "no models in " << options.cache_dir.string() << "\n";
    return;
  }
  std::size_t width = 5;
  for (const auto& m : models) width = std::max(width, m.repo.size());
  std::printf("%-*s  %10s  %s\n", static_cast<int>(width), "MODEL", "SIZE", "REVISIONS");
  for (const auto& m : models) {
    std::string revisions;
    for (const auto& r : m.revisions) revisions += (revisions.empty() ? "" : ", ") + revision_text(r);
    std::printf("%-*s  %10s  %s\n", static_cast<int>(width), m.repo.c_str(), size_text(m.size).c_str(),
                revisions.c_str());
  }
}

const CommandRegistration registration("list", [](CLI::App& program) {
  auto* cmd = program.add_subcommand(
      "list", "The models in the Hugging Face cache ($HF_HUB_CACHE, else ~/.cache/huggingface/hub): sizes, revisions");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "One JSON array: model, size, path, last_modified, revisions (commit, refs, files)");
  cmd->callback([json] { run(*json); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_list
