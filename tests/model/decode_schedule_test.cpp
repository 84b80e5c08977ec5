// The model measures at load the order in which decode reads its packed
// matrices (kernels::tune_decode_schedule), keeps the fastest and reports it:
// a file whose layers are packed has a schedule, one with nothing packed
// (safetensors, Q8_0) none. Every GGUF fixture, and safetensors fixture A.
#include <gtest/gtest.h>

#include <string>

#include "common/gguf.h"
#include "common/test_paths.h"
#include "kernels/kernels.h"
#include "model/gguf_fixtures.h"
#include "model/gguf_model.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {

// Whether any layer tensor of the file has a type with a packed layout in this build.
bool has_packed_layers(const std::filesystem::path& file) {
  const gguf::File f(file);
  for (const auto& t : f.tensors()) {
    if (t.name.rfind("blk.", 0) != 0) continue;
    const auto type = model::weight_type_of(t.type);
    if (!type) continue;
    if (kernels::packed_bytes(kernels::Matrix{nullptr, *type, 16, 256}) > 0) return true;
  }
  return false;
}

void expect_schedule(const Model& model, bool packed) {
  const std::string& s = model.decode_schedule();
  if (!packed) {
    EXPECT_TRUE(s.empty()) << s;
    return;
  }
  // The schedule in force first, then every one measured with its rate.
  EXPECT_EQ(s.rfind(kernels::describe(kernels::decode_schedule()), 0), 0u) << s;
  for (const kernels::DecodeSchedule d : kernels::decode_schedules())
    EXPECT_NE(s.find(kernels::describe(d)), std::string::npos) << s;
  EXPECT_NE(s.find("GB/s"), std::string::npos) << s;
}

class DecodeScheduleGguf : public ::testing::TestWithParam<test::GgufFixture> {};

TEST_P(DecodeScheduleGguf, PackedLayersAreReadInTheOrderMeasuredFastestAtLoad) {
  RunOptions o;
  o.threads = 2;
  o.ctx = 16;
  const auto model = Model::load(GetParam().gguf, o);
  expect_schedule(*model, has_packed_layers(GetParam().gguf));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DecodeScheduleGguf, ::testing::ValuesIn(test::gguf_fixtures()),
                         [](const auto& info) { return test::test_name(info.param.name); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DecodeScheduleGguf);

TEST(DecodeSchedule, SafetensorsHaveNothingToSchedule) {
  RunOptions o;
  o.threads = 2;
  o.ctx = 16;
  expect_schedule(*Model::load(test::fixture_dir(), o), false);
}

}  // namespace
}  // namespace qwen3
