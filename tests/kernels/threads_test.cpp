// The kernels' thread pool: every item runs exactly once, whatever the thread
// count, the number of items, back-to-back jobs, changes of the thread count
// between jobs, and parallel_for called from inside an item.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "kernels/kernels.h"

namespace qwen3::kernels {
namespace {

class Threads : public ::testing::Test {
 protected:
  void TearDown() override { set_num_threads(saved_); }
  const int saved_ = num_threads();
};

TEST_F(Threads, EveryItemRunsOnceOnAValidThread) {
  for (int threads : {1, 2, 3, 5, 1, 4}) {
    set_num_threads(threads);
    for (std::int64_t n : {0, 1, 2, 3, 17, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<bool> bad_thread{false};
      parallel_for(n, [&](std::int64_t i, int t) {
        hits[i].fetch_add(1);
        if (t < 0 || t >= threads) bad_thread = true;
      });
      for (std::int64_t i = 0; i < n; ++i)
        ASSERT_EQ(hits[i].load(), 1) << threads << " threads, item " << i << " of " << n;
      EXPECT_FALSE(bad_thread);
    }
  }
}

TEST_F(Threads, ManyShortJobsBackToBack) {
  set_num_threads(2);
  std::int64_t total = 0;
  for (int job = 0; job < 20000; ++job) {
    std::atomic<std::int64_t> sum{0};
    parallel_for(job % 5 + 1, [&](std::int64_t i, int) { sum.fetch_add(i + 1); });
    total += sum.load();
  }
  std::int64_t want = 0;
  for (int job = 0; job < 20000; ++job) want += (job % 5 + 1) * (job % 5 + 2) / 2;
  EXPECT_EQ(total, want);
}

TEST_F(Threads, NestedCallsRunSerially) {
  set_num_threads(3);
  std::vector<std::atomic<int>> hits(8 * 8);
  parallel_for(8, [&](std::int64_t i, int outer) {
    parallel_for(8, [&](std::int64_t j, int inner) {
      hits[i * 8 + j].fetch_add(1);
      EXPECT_EQ(inner, 0);
    });
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST_F(Threads, CallsFromSeveralThreadsAtOnce) {
  set_num_threads(2);
  std::atomic<std::int64_t> sum{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&] {
      for (int job = 0; job < 2000; ++job) parallel_for(4, [&](std::int64_t i, int) { sum.fetch_add(i); });
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(sum.load(), 3 * 2000 * 6);
}

}  // namespace
}  // namespace qwen3::kernels
