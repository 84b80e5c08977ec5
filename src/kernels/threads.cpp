// The kernels' threads: a small persistent pool of our own instead of OpenMP.
//
// Why not OpenMP: a decoded token is about 290 parallel regions, and libgomp's
// threads spin at each region's barrier (GOMP_SPINCOUNT, hundreds of
// microseconds) before sleeping. When another process takes one of the cores,
// the spinning burns the time slices our own descheduled thread needs, and
// every region waits for it: measured, two threads decoded slower than one.
// The wait policy cannot be set programmatically once libgomp has read its
// environment at load time.
//
// This pool:
//  - items are claimed one at a time from a shared counter, so a thread the OS
//    delays simply claims fewer; the caller (thread 0) works too, and waits at
//    the end only for items another thread has claimed and not finished, never
//    for a worker that has not woken up yet;
//  - every wait spins briefly (a few tens of microseconds, which covers the
//    gap between two kernels of one token on a quiet machine) and then sleeps
//    on a futex, so an idle or waiting thread gives its core back instead of
//    burning it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "kernels/kernels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

// How long a waiting thread spins before it sleeps.
constexpr auto kSpin = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Sleeps while *word == expected (or returns at once if it already differs);
// wakes all sleepers on a word. Elsewhere than Linux, a yield loop.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
#if defined(__linux__)
  static_assert(sizeof(std::atomic<std::uint32_t>) == 4);
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
#else
  if (word.load() == expected) std::this_thread::yield();
#endif
}

void futex_wake_all(std::atomic<std::uint32_t>& word) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
#endif
}

// Spins until pred() or kSpin has passed; returns pred().
template <class Pred>
bool spin_until(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (pred()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return pred();
  }
}

// Set while a thread runs items of a job: a parallel_for called from inside
// one runs serially on that thread (no nesting, no oversubscription).
thread_local bool t_in_job = false;

class Pool {
 public:
  ~Pool() { resize(0); }

  // Resizes to `workers` threads besides the caller. Only between jobs.
  void resize(int workers) {
    if (workers == static_cast<int>(threads_.size())) return;
    stop_all();
    stopping_.store(false);
    // A worker starts from the generation of its creation, not of the moment
    // it first runs: it must not sleep through a job or a stop posted before.
    const std::uint32_t gen = generation_.load();
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this, w, gen] { worker_loop(w + 1, gen); });
  }

  void run(std::int64_t n, ParallelFn fn, void* ctx) {
    // One job at a time; a caller that finds the pool busy (another thread
    // inside a kernel) does its work alone rather than waiting.
    std::unique_lock lock(dispatch_, std::try_to_lock);
    if (!lock.owns_lock() || t_in_job) return serial(n, fn, ctx);
    resize(std::max(0, num_threads() - 1));
    if (threads_.empty() || n == 1) return serial(n, fn, ctx);

    // The new ticket first: from here on, claims of the previous job fail.
    // A worker that reads any field of this job (acquire) then sees it too.
    const std::uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
    ticket_.store(std::uint64_t{gen} << 32, std::memory_order_seq_cst);
    done_.store(0, std::memory_order_relaxed);
    fn_.store(fn, std::memory_order_release);
    ctx_.store(ctx, std::memory_order_release);
    n_.store(n, std::memory_order_release);
    generation_.store(gen, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst) > 0) futex_wake_all(generation_);

    t_in_job = true;
    const std::int64_t mine = work(gen, n, fn, ctx, 0);
    t_in_job = false;
    // Wait for the items other threads claimed and have not finished.
    const auto finished = [&] { return done_.load(std::memory_order_acquire) + mine == n; };
    if (!spin_until(finished)) {
      main_sleeping_.store(true, std::memory_order_seq_cst);
      for (std::uint32_t d = done_.load(std::memory_order_seq_cst); d + mine != n;
           d = done_.load(std::memory_order_seq_cst))
        futex_wait(done_, d);
      main_sleeping_.store(false, std::memory_order_relaxed);
    }
  }

 private:
  static void serial(std::int64_t n, ParallelFn fn, void* ctx) {
    const bool was = t_in_job;
    t_in_job = true;
    for (std::int64_t i = 0; i < n; ++i) fn(ctx, i, 0);
    t_in_job = was;
  }

  // Claims items of job `gen` until none is left; returns how many it ran.
  // The ticket holds (generation, next item): a thread that wakes up late,
  // after its job has ended, fails to claim and touches nothing.
  std::int64_t work(std::uint32_t gen, std::int64_t n, ParallelFn fn, void* ctx, int thread) {
    std::int64_t ran = 0;
    std::uint64_t t = ticket_.load(std::memory_order_relaxed);
    for (;;) {
      if (static_cast<std::uint32_t>(t >> 32) != gen || static_cast<std::int64_t>(t & 0xffffffffu) >= n) return ran;
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
      fn(ctx, static_cast<std::int64_t>(t & 0xffffffffu), thread);
      ++ran;
      t = ticket_.load(std::memory_order_relaxed);
    }
  }

  void worker_loop(int thread, std::uint32_t seen) {
    t_in_job = true;  // kernels called from inside an item run serially
    for (;;) {
      const auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(changed)) {
        sleeping_.fetch_add(1, std::memory_order_seq_cst);
        while (generation_.load(std::memory_order_seq_cst) == seen) futex_wait(generation_, seen);
        sleeping_.fetch_sub(1, std::memory_order_relaxed);
      }
      // The generation first: stop_all sets stopping_ before it moves the
      // generation, so a worker that sees the stop's generation sees the stop.
      seen = generation_.load(std::memory_order_seq_cst);
      if (stopping_.load(std::memory_order_seq_cst)) return;
      // Fields read here belong to job `seen` whenever a claim of that job
      // succeeds: the caller moves the ticket to the next job before it
      // rewrites them, and the claims read the ticket after the fields.
      const std::int64_t n = n_.load(std::memory_order_acquire);
      const ParallelFn fn = fn_.load(std::memory_order_acquire);
      void* const ctx = ctx_.load(std::memory_order_acquire);
      const std::int64_t ran = work(seen, n, fn, ctx, thread);
      if (ran > 0) {
        done_.fetch_add(static_cast<std::uint32_t>(ran), std::memory_order_seq_cst);
        if (main_sleeping_.load(std::memory_order_seq_cst)) futex_wake_all(done_);
      }
    }
  }

  void stop_all() {
    if (threads_.empty()) return;
    stopping_.store(true, std::memory_order_seq_cst);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(generation_);
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  std::mutex dispatch_;
  std::vector<std::thread> threads_;
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<std::uint64_t> ticket_{0};
  std::atomic<ParallelFn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<std::int64_t> n_{0};
  std::atomic<std::uint32_t> done_{0};  // items finished by the workers (a futex word)
  std::atomic<int> sleeping_{0};
  std::atomic<bool> main_sleeping_{false};
  std::atomic<bool> stopping_{false};
};

std::atomic<int> g_threads{static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw Error("kernels::set_num_threads: expected a thread count >= 1, got " + std::to_string(n));
  g_threads.store(n);
}

int num_threads() { return g_threads.load(); }

void parallel_for(std::int64_t n, ParallelFn fn, void* ctx) {
  if (n <= 0) return;
  if (n >= (std::int64_t{1} << 32)) throw Error("kernels::parallel_for: too many items: " + std::to_string(n));
  pool().run(n, fn, ctx);
}

}  // namespace qwen3::kernels
