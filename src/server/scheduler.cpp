#include "server/scheduler.h"

#include <algorithm>

#include "qwen3/endpoint.h"
#include "qwen3/error.h"

namespace qwen3::server {

using Clock = std::chrono::steady_clock;

namespace {
double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

Job::Job(std::vector<TokenId> prompt, GenerationOptions options, std::shared_ptr<const void> keep)
    : prompt_(std::move(prompt)), options_(std::move(options)), keep_(std::move(keep)), submitted_(Clock::now()) {}

void Job::push(JobEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

std::vector<JobEvent> Job::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return !events_.empty(); });
  std::vector<JobEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

Scheduler::Scheduler(const Engine& engine, SchedulerOptions options) : engine_(&engine), options_(options) {
  if (options_.parallel < 1) throw Error("parallel = " + std::to_string(options_.parallel) + ": expected >= 1 slot");
  if (options_.queue < 0) throw Error("queue = " + std::to_string(options_.queue) + ": expected >= 0");
  if (options_.prefill_tokens < 1)
    throw Error("prefill_tokens = " + std::to_string(options_.prefill_tokens) + ": expected >= 1");
  if (engine.remote()) {
    for (int i = 0; i < options_.parallel; ++i) threads_.emplace_back([this] { remote_loop(); });
    return;
  }
  slots_.resize(static_cast<std::size_t>(options_.parallel));
  for (Slot& slot : slots_) slot.runner = std::make_unique<ModelRunner>(engine.model());
  threads_.emplace_back([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& thread : threads_) thread.join();
}

int Scheduler::context_length() const {
  return engine_->remote() ? engine_->remote()->context_length() : slots_.front().runner->context_length();
}

std::shared_ptr<Job> Scheduler::submit(std::vector<TokenId> prompt, GenerationOptions options,
                                       std::shared_ptr<const void> keep) {
  auto job = std::make_shared<Job>(std::move(prompt), std::move(options), std::move(keep));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || static_cast<int>(queue_.size()) + stats_.active >= options_.parallel + options_.queue)
      return nullptr;
    queue_.push_back(job);
    stats_.queued = static_cast<int>(queue_.size());
  }
  cv_.notify_all();
  return job;
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || stats_.active > 0; });
      if (stopping_ && queue_.empty() && stats_.active == 0) return;
    }
    while (admit()) {
    }
    for (Slot& slot : slots_)
      if (slot.job && slot.job->cancelled()) {
        slot.generation->cancel();
        finish(slot);
      }
    step();
  }
}

void Scheduler::remote_loop() {
  const std::unique_ptr<Backend> backend = engine_->backend();
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every job is done
      job = std::move(queue_.front());
      queue_.pop_front();
      stats_.queued = static_cast<int>(queue_.size());
      ++stats_.active;
    }
    job->queue_ms_ = seconds_between(job->submitted_, Clock::now()) * 1000;
    bool first = true;
    auto on_piece = [&](const ReplyPiece& piece) {
      if (first) {
        first = false;
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.ttft_seconds_sum += seconds_between(job->submitted_, Clock::now());
        ++stats_.ttft_count;
      }
      job->push(JobEvent{JobEvent::Type::Piece, piece, {}, {}});
      return !job->cancelled();
    };
    JobEvent done{JobEvent::Type::Done, {PieceKind::Content, ""}, {}, {}};
    try {
      if (job->options().logprobs) throw Error("logprobs are not available from a server on an endpoint");
      // The pieces carry no ids (the backend streams text): a completion
      // through this front says no token_ids, and its clients re-tokenize.
      job->result_ = backend->generate(engine_->tokenizer(), job->prompt(), job->options(), on_piece);
    } catch (const Error& e) {
      job->error_ = e.what();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --stats_.active;
      if (!job->error_.empty())
        ++stats_.failed;
      else if (job->result_.finish_reason == FinishReason::Cancelled)
        ++stats_.cancelled;
      else
        ++stats_.completed;
      stats_.prompt_tokens += job->prompt().size();
      stats_.generated_tokens += job->result_.ids.size();
    }
    job->push(std::move(done));
  }
}

bool Scheduler::admit() {
  std::shared_ptr<Job> job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty() || stats_.active >= options_.parallel) return false;
    job = std::move(queue_.front());
    queue_.pop_front();
    stats_.queued = static_cast<int>(queue_.size());
    ++stats_.active;
  }
  // The free slot whose cache shares the longest prefix with the prompt; on
  // a tie, the one used longest ago.
  Slot* best = nullptr;
  std::size_t best_common = 0;
  for (Slot& slot : slots_) {
    if (slot.job) continue;
    const auto& cached = slot.runner->tokens();
    const auto& prompt = job->prompt();
    const std::size_t common =
        std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end()).first - cached.begin();
    if (!best || common > best_common || (common == best_common && slot.last_used < best->last_used)) {
      best = &slot;
      best_common = common;
    }
  }
  start(*best, std::move(job));
  return true;
}

void Scheduler::start(Slot& slot, std::shared_ptr<Job> job) {
  job->queue_ms_ = seconds_between(job->submitted_, Clock::now()) * 1000;
  slot.job = std::move(job);
  slot.first_token_seen = false;
  Job* j = slot.job.get();
  auto on_piece = [this, &slot, j](const ReplyPiece& piece) {
    JobEvent event{JobEvent::Type::Piece, piece, {}, {}};
    const auto& logprobs = slot.generation->result().logprobs;
    event.logprobs.assign(logprobs.begin() + static_cast<std::ptrdiff_t>(j->logprobs_sent_), logprobs.end());
    j->logprobs_sent_ = logprobs.size();
    const auto& ids = slot.generation->result().ids;
    event.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(j->ids_sent_), ids.end());
    j->ids_sent_ = ids.size();
    j->push(std::move(event));
    return !j->cancelled();
  };
  try {
    slot.generation = std::make_unique<Generation>(*slot.runner, engine_->tokenizer(), j->prompt(), j->options(),
                                                   std::move(on_piece));
  } catch (const Error& e) {
    j->error_ = e.what();
    finish(slot);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.reused_tokens += j->prompt().size() - slot.generation->input().size();
}

void Scheduler::finish(Slot& slot) {
  Job& job = *slot.job;
  JobEvent done{JobEvent::Type::Done, {PieceKind::Content, ""}, {}, {}};
  if (slot.generation) {
    job.result_ = slot.generation->result();
    const auto& logprobs = job.result_.logprobs;
    done.logprobs.assign(logprobs.begin() + static_cast<std::ptrdiff_t>(job.logprobs_sent_), logprobs.end());
    const auto& ids = job.result_.ids;
    done.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(job.ids_sent_), ids.end());
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --stats_.active;
    if (!job.error_.empty())
      ++stats_.failed;
    else if (job.result_.finish_reason == FinishReason::Cancelled)
      ++stats_.cancelled;
    else
      ++stats_.completed;
  }
  job.push(std::move(done));
  slot.generation.reset();
  slot.job.reset();
  slot.last_used = ++clock_;
}

void Scheduler::step() {
  struct Planned {
    Slot* slot;
    std::size_t chunk;  // prompt tokens fed without logits; 0: the whole input, with logits
    bool decode;
  };
  std::vector<Slot*> busy;
  for (Slot& slot : slots_)
    if (slot.generation && !slot.generation->finished()) busy.push_back(&slot);
  if (busy.empty()) return;
  // Decoding sequences first, then prompts, the shortest first: a short
  // request is not held up behind a long prompt's prefill.
  std::stable_sort(busy.begin(), busy.end(), [](const Slot* a, const Slot* b) {
    return a->generation->input().size() < b->generation->input().size();
  });
  std::vector<ModelStep> steps;
  std::vector<Planned> plan;
  std::size_t budget = static_cast<std::size_t>(options_.prefill_tokens);
  for (Slot* slot : busy) {
    Generation& g = *slot->generation;
    const auto input = g.input();
    if (input.size() == 1) {
      steps.push_back({slot->runner.get(), input, g.logits(), g.allowed_rows()});
      plan.push_back({slot, 0, true});
      continue;
    }
    if (budget == 0) continue;  // its turn comes at a later step
    const std::size_t n = std::min(budget, input.size());
    budget -= n;
    if (n < input.size()) {
      steps.push_back({slot->runner.get(), input.first(n), nullptr, nullptr});
      plan.push_back({slot, n, false});
    } else {
      steps.push_back({slot->runner.get(), input, g.logits(), g.allowed_rows()});
      plan.push_back({slot, 0, false});
    }
  }
  const auto t0 = Clock::now();
  try {
    forward_batch(steps);
  } catch (const std::exception& e) {
    for (const Planned& p : plan) {
      p.slot->job->error_ = e.what();
      p.slot->generation->cancel();
      finish(*p.slot);
    }
    return;
  }
  const auto t1 = Clock::now();
  std::uint64_t generated = 0, decoded = 0, prompt_tokens = 0;
  double ttft_sum = 0;
  std::uint64_t ttft_count = 0;
  std::vector<Slot*> finished;
  for (const Planned& p : plan) {
    Generation& g = *p.slot->generation;
    if (p.chunk) {
      prompt_tokens += p.chunk;
      g.consumed(p.chunk);
      continue;
    }
    if (!p.decode) prompt_tokens += g.input().size();
    const std::size_t before = g.result().ids.size();
    const bool done = g.accept_logits();
    const std::size_t produced = g.result().ids.size() - before;
    generated += produced;
    if (p.decode) ++decoded;
    if (!p.slot->first_token_seen && (produced > 0 || done)) {
      p.slot->first_token_seen = true;
      if (produced > 0) {
        ttft_sum += seconds_between(p.slot->job->submitted_, Clock::now());
        ++ttft_count;
      }
    }
    if (done) finished.push_back(p.slot);
  }
  {
    // Before the finished jobs are told: their figures are in /metrics by then.
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.steps;
    stats_.generated_tokens += generated;
    stats_.prompt_tokens += prompt_tokens;
    stats_.ttft_seconds_sum += ttft_sum;
    stats_.ttft_count += ttft_count;
    if (decoded) {
      stats_.decode_seconds += seconds_between(t0, t1);
      stats_.decode_tokens += decoded;
    }
  }
  for (Slot* slot : finished) finish(*slot);
}

}  // namespace qwen3::server
