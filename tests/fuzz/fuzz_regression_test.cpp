// The fuzz targets (fuzz/, docs/reliability.md) as regression tests: every
// seed in fuzz/corpus/TARGET and every input that ever crashed, hung or
// broke a property in fuzz/regressions/TARGET goes through the target's
// function again, here built by the ordinary compiler; a broken property
// fails the test (instead of aborting, as in the fuzzer).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "common/file.h"
#include "common/test_paths.h"
#include "fuzz/fuzz.h"

namespace qwen3::fuzz {
namespace {
namespace fs = std::filesystem;

struct PropertyBroken {
  std::string what;
};

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const auto& [name, t] : targets()) names.push_back(name);
  return names;
}

std::vector<fs::path> inputs(const std::string& folder, const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = test::source_dir() / "fuzz" / folder / target;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzTarget : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    set_fail_handler([](const std::string& what) { throw PropertyBroken{what}; });
  }

  // Runs every file through the target; each must return within 20 s.
  void run_all(const std::vector<fs::path>& files) {
    const Target target = targets().at(GetParam());
    for (const fs::path& f : files) {
      const std::string bytes = read_file(f);
      const auto start = std::chrono::steady_clock::now();
      try {
        target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      } catch (const PropertyBroken& e) {
        ADD_FAILURE() << f << ": " << e.what;
      }
      const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EXPECT_LT(seconds, 20.0) << f << " took " << seconds << " s";
    }
  }
};

TEST_P(FuzzTarget, EverySeedPasses) {
  const auto files = inputs("corpus", GetParam());
  EXPECT_GE(files.size(), 2u) << "fuzz/corpus/" << GetParam() << " needs seeds";
  run_all(files);
}

TEST_P(FuzzTarget, EveryInputThatEverFailedPasses) { run_all(inputs("regressions", GetParam())); }

INSTANTIATE_TEST_SUITE_P(All, FuzzTarget, ::testing::ValuesIn(target_names()),
                         [](const auto& info) { return info.param; });

TEST(FuzzTargets, EveryCorpusHasItsTarget) {
  // A corpus folder whose target is not built would never be run.
  for (const auto& e : fs::directory_iterator(test::source_dir() / "fuzz" / "corpus"))
    EXPECT_TRUE(targets().count(e.path().filename().string())) << e.path();
}

}  // namespace
}  // namespace qwen3::fuzz
