#pragma once
// Continuous batching: `parallel` slots, each a ModelRunner (its own KV
// cache), fed by one scheduler thread. At every step the next token of every
// decoding sequence, plus a bounded chunk of prompt tokens, go through one
// forward_batch (the weights read once for all of them, batch-invariant); a
// long prompt is thus prefilled in chunks between decode steps. Requests wait
// in a bounded queue; a new one takes the free slot whose cache shares the
// longest prefix with its prompt (the next turn of a chat pays only for the
// new tokens). A cancelled job leaves its slot at the next step. With an
// engine on an endpoint, the slots are remote requests instead.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "qwen3/engine.h"

namespace qwen3::server {

// What a job reports to the thread that waits for it.
struct JobEvent {
  enum class Type { Piece, Done };
  Type type = Type::Piece;
  ReplyPiece piece{PieceKind::Content, ""};
  std::vector<TokenLogprob> logprobs;  // of the tokens produced since the last event
  std::vector<TokenId> ids;            // the tokens produced since the last event
};

class Job {
 public:
  // `keep` stays alive as long as the job (what options point into).
  Job(std::vector<TokenId> prompt, GenerationOptions options, std::shared_ptr<const void> keep = {});

  // Blocks until there are events (or the timeout passes) and takes them.
  std::vector<JobEvent> wait(std::chrono::milliseconds timeout);
  // Asks the scheduler to stop it (the client went away); takes effect at the next step.
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

  // After the Done event: the result, or why it could not run.
  const GenerationResult& result() const { return result_; }
  const std::string& error() const { return error_; }
  double queue_ms() const { return queue_ms_; }

  const std::vector<TokenId>& prompt() const { return prompt_; }
  const GenerationOptions& options() const { return options_; }

 private:
  friend class Scheduler;
  void push(JobEvent event);

  std::vector<TokenId> prompt_;
  GenerationOptions options_;
  std::shared_ptr<const void> keep_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<JobEvent> events_;
  GenerationResult result_;
  std::string error_;
  double queue_ms_ = 0;
  std::chrono::steady_clock::time_point submitted_;
  std::size_t logprobs_sent_ = 0;  // scheduler thread only
  std::size_t ids_sent_ = 0;
};

struct SchedulerOptions {
  int parallel = 4;          // slots
  int queue = 64;            // requests waiting for a slot, beyond which submit() refuses
  int prefill_tokens = 256;  // prompt tokens per step, over all slots
};

// Live figures for /metrics.
struct SchedulerStats {
  int active = 0;  // slots in use
  int queued = 0;
  std::uint64_t steps = 0;
  std::uint64_t prompt_tokens = 0;     // prompt tokens computed (cache reuse excluded)
  std::uint64_t reused_tokens = 0;     // prompt tokens found in a slot's cache
  std::uint64_t generated_tokens = 0;  // generated (sampled or inserted) tokens
  std::uint64_t completed = 0, cancelled = 0, failed = 0;
  double ttft_seconds_sum = 0;  // submit to first token, over completed jobs that produced one
  std::uint64_t ttft_count = 0;
  double decode_seconds = 0;  // time in steps that decoded, and the tokens they produced
  std::uint64_t decode_tokens = 0;
};

class Scheduler {
 public:
  Scheduler(const Engine& engine, SchedulerOptions options);
  // Finishes every submitted job, then stops the thread.
  ~Scheduler();

  // Queues a job; nullptr when the queue is full. Throws nothing.
  std::shared_ptr<Job> submit(std::vector<TokenId> prompt, GenerationOptions options,
                              std::shared_ptr<const void> keep = {});
  SchedulerStats stats() const;
  const SchedulerOptions& options() const { return options_; }
  int context_length() const;

 private:
  struct Slot {
    std::unique_ptr<ModelRunner> runner;
    std::shared_ptr<Job> job;
    std::unique_ptr<Generation> generation;
    std::uint64_t last_used = 0;
    bool first_token_seen = false;
  };

  void loop();
  // An engine on an endpoint: `parallel` threads, each running one job at a
  // time as a remote request (the server batches; nothing runs here).
  void remote_loop();
  bool admit();  // a queued job into a free slot; false when none could
  void start(Slot& slot, std::shared_ptr<Job> job);
  void finish(Slot& slot);
  void step();

  const Engine* engine_;
  SchedulerOptions options_;
  std::vector<Slot> slots_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  SchedulerStats stats_;
  std::uint64_t clock_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace qwen3::server
