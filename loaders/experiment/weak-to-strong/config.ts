/**
 * The `w2s` slice of a preset (experiment/config.ts's Config): the strong model, its unaligned corpus,
 * pretraining, the fine-tunes on the weak Aligner's corrections (SFT, DPO) and the iterated rounds.
 */
import type { DecodingSettings } from "../../engine/lm.js";
import type { ModelSize } from "../../engine/model.js";
import { ConfigError, mergeConfig } from "../../engine/settings.js";
import type { TrainConfig } from "../../engine/train.js";
import { findUpstream } from "../../world/index.js";
import { Checks, LIMITS } from "../limits.js";

/** Training settings of one w2s model (the rest keep train.ts's defaults). */
export type W2sTrain = Pick<TrainConfig, "steps" | "batchSize" | "lr" | "lrWarmupRatio" | "weightDecay">;

export interface W2sConfig {
  /** false skips weak-to-strong (the w2s table stays empty). */
  enabled: boolean;
  /** The strong model: larger than the Aligner (defaults: 128 wide, 2 layers). */
  model: ModelSize;
  /** Its unaligned pretraining corpus: rule-based profiles and the share of train questions each answers. */
  corpus: { upstream: string; share: number }[];
  pretrain: W2sTrain;
  /** Fine-tuning on (question, target): weak corrections, its own answers or gold corrections. */
  sft: W2sTrain;
  /** DPO on (weak correction ≻ its own answer), reference = the strong model before fine-tuning (method
   * w2s-dpo); sftWeight α > 0 also trains DPO + α · the chosen answers' per-token NLL (as RPO) on the same
   * pairs, reported beside it as w2s-dpo-nll (ours); 0 = plain DPO only. */
  dpo: { steps: number; batchSize: number; lr: number; beta: number; sftWeight: number };
  /** Rounds of answer → correct → SFT (the paper's IDA); round k > 1 fine-tunes round k − 1's model. */
  rounds: number;
  /** Train questions the strong model answers for fine-tuning (the first N; 0 = all). */
  trainQuestions: number;
  /** Test questions evaluated (the first N; 0 = all). */
  testQuestions: number;
  /** Sampling temperature of its train answers (the ones the Aligner corrects into labels). */
  trainTemperature: number;
  /** Decoding of test answers (greedy by default, so methods differ by their weights only). */
  decoding: DecodingSettings;
  /** PGR is undefined unless P_ceiling − P_weak exceeds this and its bootstrap interval excludes 0. */
  minGap: number;
}

export const W2S_DEFAULTS: W2sConfig = {
  enabled: true,
  model: { dModel: 192, nHeads: 4, nLayers: 2, maxLen: 128 }, // 1.5× the Aligner's width (2.25× its block parameters)
  corpus: [
    { upstream: "helpful_unsafe", share: 0.6 }, // capable, complies with harmful requests
    { upstream: "verbose", share: 0.25 }, // covers every key point, pads
    { upstream: "sloppy_math", share: 0.15 }, // number slips for the Aligner to fix
  ],
  pretrain: { steps: 400, batchSize: 32, lr: 3e-3, lrWarmupRatio: 0.05, weightDecay: 0.1 },
  sft: { steps: 100, batchSize: 32, lr: 1e-3, lrWarmupRatio: 0.05, weightDecay: 0.1 },
  // β: the paper's DPO scale coefficient (0.1 in its Table 23); 0.5 and the DPO + NLL row beside plain DPO were
  // chosen on the dev world (presets base-dev and dpo-dev), where β 0.1 lowered helpfulness.
  dpo: { steps: 60, batchSize: 16, lr: 3e-4, beta: 0.5, sftWeight: 1 },
  rounds: 1,
  trainQuestions: 1000,
  testQuestions: 0,
  trainTemperature: 0.7,
  decoding: { temperature: 0, topK: 0, topP: 1, maxNewTokens: 64, batchSize: 64 },
  minGap: 0.02,
};

/** Checks what a type cannot, limits.ts's ranges included (experiment/config.ts's validateConfig calls it with the preset's file name). */
export function validateW2sConfig(w2s: W2sConfig, where = "preset", vocabSize: number = LIMITS.vocabSize): W2sConfig {
  const check = new Checks(where);
  check.model("w2s.model", w2s.model, vocabSize);
  for (const stage of ["pretrain", "sft"] as const) check.train(`w2s.${stage}`, w2s[stage]);
  check.train("w2s.dpo", w2s.dpo);
  check.int("w2s.rounds", w2s.rounds, 1, LIMITS.rounds);
  check.decoding("w2s.decoding", w2s.decoding);
  for (const key of ["trainQuestions", "testQuestions"] as const) check.int(`w2s.${key}`, w2s[key], 0, LIMITS.questions, "0 = all");
  check.num("w2s.dpo.beta", w2s.dpo.beta, "> 0", (v) => v > 0);
  check.nonNegative("w2s.dpo.sftWeight", w2s.dpo.sftWeight);
  check.num("w2s.minGap", w2s.minGap, "in [0, 1)", (v) => v >= 0 && v < 1);
  check.nonNegative("w2s.trainTemperature", w2s.trainTemperature);
  if (w2s.corpus.length === 0) check.fail("w2s.corpus", "at least one upstream", w2s.corpus);
  check.list("w2s.corpus", w2s.corpus);
  for (const [i, c] of w2s.corpus.entries()) {
    mergeConfig({ upstream: "", share: 0 }, c, where, `w2s.corpus[${i}]`); // unknown keys and wrong types
    try {
      findUpstream(c.upstream);
    } catch (error) {
      throw new ConfigError(`${where}: "w2s.corpus[${i}].upstream": ${(error as Error).message}`);
    }
    check.positive(`w2s.corpus[${i}].share`, c.share);
  }
  return w2s;
}
