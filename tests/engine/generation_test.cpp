// The step-wise Generation (what generate() loops over and the server feeds
// in batches), the repetition guard and log-probabilities, on a model whose
// logits the test controls.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/test_paths.h"
#include "engine/scripted_model.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

using test::greedy;
using test::prompt;
using test::ScriptedModel;
using test::tok;

// Plays `script` after `prompt_size` tokens, then repeats its last token.
ScriptedModel::Rule play(std::vector<TokenId> script, std::size_t prompt_size) {
  return [script, prompt_size](std::span<const TokenId> history) {
    const std::size_t i = history.size() - prompt_size;
    return script[std::min(i, script.size() - 1)];
  };
}

std::vector<TokenId> ids(const std::string& text) { return tok().encode(text); }

TEST(Generation, StepByStepEqualsGenerate) {
  const auto p = prompt();
  const auto script = ids("<think>\nLet me see.\n</think>\n\nHello there, friend.<|im_end|>");
  ScriptedModel a(play(script, p.size())), b(play(script, p.size()));
  const auto expected = generate(a, tok(), p, greedy());
  std::vector<ReplyPiece> pieces;
  Generation g(b, tok(), p, greedy(), [&](const ReplyPiece& piece) {
    pieces.push_back(piece);
    return true;
  });
  int steps = 0;
  while (!g.finished()) {
    b.forward(g.input(), g.logits(), g.allowed_rows());
    g.accept_logits();
    ++steps;
  }
  EXPECT_EQ(g.result().ids, expected.ids);
  EXPECT_EQ(g.result().reasoning, "Let me see.");
  EXPECT_EQ(g.result().content, "Hello there, friend.");
  EXPECT_EQ(g.result().finish_reason, FinishReason::Stop);
  EXPECT_EQ(steps, static_cast<int>(expected.ids.size()) + 1);
  EXPECT_TRUE(g.input().empty());
  std::string reasoning;
  for (const auto& piece : pieces)
    if (piece.kind == PieceKind::Reasoning) reasoning += piece.text;
  EXPECT_EQ(reasoning, "Let me see.");
}

TEST(Generation, ALongInputCanBeFedInChunks) {
  const auto p = prompt("a longer question with several words in it");
  ScriptedModel model(play(ids("Yes.<|im_end|>"), p.size()));
  Generation g(model, tok(), p, greedy());
  ASSERT_EQ(g.input().size(), p.size());
  model.forward(g.input().subspan(0, 5), g.logits(), nullptr);
  g.consumed(5);
  EXPECT_EQ(g.input().size(), p.size() - 5);
  EXPECT_THROW(g.consumed(g.input().size()), Error);  // the last token must come with its logits
  while (!g.finished()) {
    model.forward(g.input(), g.logits(), g.allowed_rows());
    g.accept_logits();
  }
  EXPECT_EQ(g.result().content, "Yes.");
  EXPECT_EQ(model.tokens_run, static_cast<int>(p.size() + g.result().ids.size()));
}

TEST(Generation, CancelEndsItAtOnce) {
  const auto p = prompt();
  ScriptedModel model(play(ids("one two three four five six"), p.size()));
  Generation g(model, tok(), p, greedy());
  for (int i = 0; i < 3; ++i) {
    model.forward(g.input(), g.logits(), nullptr);
    g.accept_logits();
  }
  g.cancel();
  EXPECT_TRUE(g.finished());
  EXPECT_TRUE(g.input().empty());
  EXPECT_EQ(g.result().finish_reason, FinishReason::Cancelled);
  EXPECT_EQ(g.result().ids.size(), 3u);
}

TEST(Generation, ForwardBatchRunsEveryStep) {
  // Scripted models are not ModelRunners: forward_batch runs them one by one.
  const auto p1 = prompt("one"), p2 = prompt("two, three");
  ScriptedModel m1(play(ids("A B<|im_end|>"), p1.size())), m2(play(ids("C D E<|im_end|>"), p2.size()));
  Generation g1(m1, tok(), p1, greedy()), g2(m2, tok(), p2, greedy());
  while (!g1.finished() || !g2.finished()) {
    std::vector<ModelStep> steps;
    for (Generation* g : {&g1, &g2})
      if (!g->finished()) steps.push_back({&g->model(), g->input(), g->logits(), g->allowed_rows()});
    forward_batch(steps);
    for (Generation* g : {&g1, &g2})
      if (!g->finished()) g->accept_logits();
  }
  EXPECT_EQ(g1.result().content, "A B");
  EXPECT_EQ(g2.result().content, "C D E");
}

TEST(RepetitionGuard, EndsACycleRepeatedNTimes) {
  const auto p = prompt();
  // "x y z w" over and over: a cycle of 4 tokens.
  const auto cycle = ids(" alpha beta gamma delta");
  ASSERT_EQ(cycle.size(), 4u);
  ScriptedModel model([&](std::span<const TokenId> h) {
    const std::size_t i = h.size() - p.size();
    return cycle[i % cycle.size()];
  });
  auto options = greedy(200);
  options.repetition_repeats = 3;
  options.repetition_min_period = 2;
  const auto r = generate(model, tok(), p, options);
  EXPECT_EQ(r.finish_reason, FinishReason::Repetition);
  EXPECT_EQ(r.ids.size(), 12u);  // three times the cycle, then no more
  EXPECT_NE(r.message.find("4 tokens"), std::string::npos) << r.message;
  EXPECT_EQ(finish_reason_name(r.finish_reason), "repetition");
}

TEST(RepetitionGuard, OffByDefaultAndBlindToShorterPeriods) {
  const auto p = prompt();
  ScriptedModel model(play(ids(" ha"), p.size()));  // " ha ha ha ...": period 1
  auto r = generate(model, tok(), p, greedy(40));
  EXPECT_EQ(r.finish_reason, FinishReason::Length);
  auto options = greedy(40);
  options.repetition_repeats = 4;
  options.repetition_min_period = 2;  // a run of one token is a cycle of 2 as well
  r = generate(model, tok(), p, options);
  EXPECT_EQ(r.finish_reason, FinishReason::Repetition);
  EXPECT_EQ(r.ids.size(), 8u);
}

TEST(RepetitionGuard, VariedTextIsNotStopped) {
  const auto p = prompt();
  const auto text = ids(" the cat sat on the mat and the dog sat on the log while the bird sang");
  ScriptedModel model(play(text, p.size()));
  auto options = greedy(static_cast<int>(text.size()));
  options.repetition_repeats = 2;
  options.repetition_min_period = 4;
  EXPECT_EQ(generate(model, tok(), p, options).finish_reason, FinishReason::Length);
}

TEST(RepetitionGuard, BadValuesAreRejected) {
  ScriptedModel model(play(ids("x"), 0));
  auto options = greedy();
  options.repetition_repeats = 1;
  EXPECT_THROW(generate(model, tok(), prompt(), options), Error);
  options.repetition_repeats = 3;
  options.repetition_min_period = 0;
  EXPECT_THROW(generate(model, tok(), prompt(), options), Error);
}

TEST(Logprobs, TheChosenTokenAndTheBestAlternatives) {
  const auto p = prompt();
  ScriptedModel model(play(ids("Hello world<|im_end|>"), p.size()));
  model.runner_up = [](std::span<const TokenId>) { return TokenId{42}; };
  auto options = greedy();
  options.logprobs = 2;
  const auto r = generate(model, tok(), p, options);
  ASSERT_EQ(r.logprobs.size(), r.ids.size());
  for (std::size_t i = 0; i < r.ids.size(); ++i) {
    EXPECT_EQ(r.logprobs[i].id, r.ids[i]);
    EXPECT_NEAR(r.logprobs[i].logprob, 0.0, 1e-6);  // logit 100 against 50 and zeros
    ASSERT_EQ(r.logprobs[i].top.size(), 2u);
    EXPECT_EQ(r.logprobs[i].top[0].first, r.ids[i]);
    EXPECT_EQ(r.logprobs[i].top[1].first, 42);
    EXPECT_NEAR(r.logprobs[i].top[1].second, -50.0, 1e-3);
  }
  options.logprobs = 21;
  EXPECT_THROW(generate(model, tok(), p, options), Error);
}

}  // namespace
}  // namespace qwen3
