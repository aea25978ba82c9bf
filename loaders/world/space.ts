/**
 * The world's question space as `aligner world` reports it: how many distinct questions each category
 * can ask (exactly, on the seen and held-out sides), and how a generated world uses them (distinct
 * train questions, duplicate eval questions, eval questions found among the train ones).
 */
import { CATEGORIES, countQuestions } from "./families/index.js";
import type { Category, WorldItem } from "./types.js";

export interface QuestionSpace {
  /** Distinct questions per category: `seen` (train, dev and test iid share them out by hash) and `heldout` (ood). */
  reachable: Record<Category, { seen: number; heldout: number }>;
  train_questions: number;
  distinct_train_questions: number;
  test_questions: number;
  /** Eval items whose question another eval item already asked (0 by construction). */
  duplicate_test_questions: number;
  /** Eval items whose question is a train question (0 by construction). */
  test_questions_in_train: number;
}

export function reachableQuestions(): QuestionSpace["reachable"] {
  return Object.fromEntries(
    CATEGORIES.map((c) => [c, { seen: countQuestions(c, "seen"), heldout: countQuestions(c, "heldout") }]),
  ) as QuestionSpace["reachable"];
}

export function describeQuestions(items: readonly WorldItem[]): QuestionSpace {
  const train = items.filter((i) => i.split === "train").map((i) => i.question);
  const test = items.filter((i) => i.split === "test").map((i) => i.question);
  const trainSet = new Set(train);
  return {
    reachable: reachableQuestions(),
    train_questions: train.length,
    distinct_train_questions: trainSet.size,
    test_questions: test.length,
    duplicate_test_questions: test.length - new Set(test).size,
    test_questions_in_train: test.filter((q) => trainSet.has(q)).length,
  };
}
