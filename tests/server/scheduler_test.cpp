// The scheduler on fixture tiny-qwen3-a: continuous batching gives every
// request exactly the ids it gets alone (batch invariance), cancelled jobs
// free their slot, the queue is bounded, slots reuse their cache.
#include <gtest/gtest.h>

#include <thread>

#include "server/scheduler.h"
#include "server/server_fixture.h"

namespace qwen3::server {
namespace {

using namespace std::chrono_literals;

// Waits for a job's end; returns the pieces' text.
std::string finish(Job& job) {
  std::string text;
  for (;;) {
    for (const JobEvent& e : job.wait(1000ms)) {
      if (e.type == JobEvent::Type::Done) return text;
      text += e.piece.text;
    }
  }
}

// Request i: a chat prompt of its own length, seeded sampling with the
// thinking preset, and a length of its own.
std::pair<std::vector<TokenId>, GenerationOptions> request(int i) {
  const Engine& e = test::fixture_engine();
  ChatRequest r;
  std::string text = "Question " + std::to_string(i) + ":";
  for (int w = 0; w < 3 * i; ++w) text += " word" + std::to_string(w);
  r.messages.push_back({Role::User, text, std::nullopt, {}, ""});
  const auto mode = e.mode_for(r);
  GenerationOptions o = e.options_for(mode);
  o.sampling.seed = 1000 + i;
  o.sampling.max_new_tokens = 12 + 3 * i;
  o.ignore_eos = true;  // every request runs its whole length, so they overlap
  return {e.tokenizer().encode(e.chat_template().render(effective_request(r, o.thinking_budget))), o};
}

// A request that runs until it is cancelled (or fills the context).
std::shared_ptr<Job> submit_endless(Scheduler& s) {
  auto [prompt, options] = request(1);
  options.sampling.max_new_tokens = 100000;
  options.repetition_repeats = 0;
  return s.submit(prompt, options);
}

TEST(Scheduler, EightConcurrentRequestsGiveTheIdsTheyGetOneAtATime) {
  const Engine& e = test::fixture_engine();
  std::vector<std::vector<TokenId>> alone(8), together(8);
  {
    Scheduler one(e, {1, 16, 256});
    for (int i = 0; i < 8; ++i) {
      auto [prompt, options] = request(i);
      auto job = one.submit(prompt, options);
      ASSERT_TRUE(job);
      finish(*job);
      ASSERT_TRUE(job->error().empty()) << job->error();
      alone[i] = job->result().ids;
    }
  }
  {
    // Small prefill chunks: prompts are cut differently than alone, and
    // decode steps mix with prefill.
    Scheduler eight(e, {8, 16, 7});
    std::vector<std::shared_ptr<Job>> jobs;
    for (int i = 0; i < 8; ++i) {
      auto [prompt, options] = request(i);
      jobs.push_back(eight.submit(prompt, options));
      ASSERT_TRUE(jobs.back());
    }
    for (int i = 0; i < 8; ++i) {
      finish(*jobs[i]);
      together[i] = jobs[i]->result().ids;
    }
    const auto stats = eight.stats();
    EXPECT_LT(stats.steps, 8u * 40u);  // batched: far fewer steps than tokens
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(together[i].size(), static_cast<std::size_t>(12 + 3 * i));
    EXPECT_EQ(together[i], alone[i]) << "request " << i;
  }
}

TEST(Scheduler, ACancelledJobFreesItsSlot) {
  const Engine& e = test::fixture_engine();
  Scheduler s(e, {1, 4, 256});
  auto endless = submit_endless(s);
  ASSERT_TRUE(endless);
  // Let it produce something, then go away.
  bool got = false;
  while (!got) got = !endless->wait(1000ms).empty();
  endless->cancel();
  finish(*endless);
  EXPECT_EQ(endless->result().finish_reason, FinishReason::Cancelled);
  auto [p2, o2] = request(2);
  auto next = s.submit(p2, o2);
  ASSERT_TRUE(next);
  finish(*next);
  EXPECT_EQ(next->result().finish_reason, FinishReason::Length);
  EXPECT_EQ(s.stats().cancelled, 1u);
}

TEST(Scheduler, TheQueueIsBounded) {
  const Engine& e = test::fixture_engine();
  Scheduler s(e, {1, 1, 256});
  auto a = submit_endless(s);
  auto b = submit_endless(s);
  auto c = submit_endless(s);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_FALSE(c);  // one running + one waiting: full
  a->cancel();
  b->cancel();
  finish(*a);
  finish(*b);
}

TEST(Scheduler, TheNextTurnReusesTheSlotsCache) {
  const Engine& e = test::fixture_engine();
  Scheduler s(e, {2, 4, 256});
  auto [prompt, options] = request(4);
  auto first = s.submit(prompt, options);
  finish(*first);
  auto longer = prompt;
  longer.insert(longer.end(), first->result().ids.begin(), first->result().ids.end());
  longer.push_back(5);
  auto second = s.submit(longer, options);
  finish(*second);
  EXPECT_GE(s.stats().reused_tokens, prompt.size());
}

TEST(Scheduler, AJobThatCannotStartReportsWhy) {
  const Engine& e = test::fixture_engine();
  Scheduler s(e, {1, 4, 256});
  GenerationOptions o;
  o.sampling.top_p = 7;  // invalid: the Generation refuses it
  auto job = s.submit({1, 2, 3}, o);
  finish(*job);
  EXPECT_NE(job->error().find("top_p"), std::string::npos);
}

}  // namespace
}  // namespace qwen3::server
