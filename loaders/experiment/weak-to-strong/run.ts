/**
 * Weak-to-strong correction (Aligner paper, Appendix A): a strong model, larger than the Aligner and
 * trained on the world's unaligned corpus, answers the train questions; the weak Aligner corrects them;
 * the strong model is fine-tuned on the corrections (SFT), or on (correction ≻ its answer) pairs (DPO);
 * then it answers the test questions. Optional rounds repeat answer → correct → SFT (the paper's IDA).
 *
 * Methods in the W2S table (ω of each against "strong", paired by question; PGR for the weakly
 * supervised ones, against round 1's "weak" and "ceiling"):
 *   strong    the strong model before fine-tuning
 *   weak      the weak Aligner stacked on it at inference: its corrections of the strong model's test
 *             answers, i.e. the quality of the weak supervision (P_weak); round k: of round k − 1's model
 *   w2s       SFT on the weak corrections (P_w2s); round k: SFT of round k − 1's model on round k's
 *   w2s-dpo   DPO on (weak correction ≻ original answer), β from the config
 *   w2s-dpo-nll  the same pairs, DPO + α·NLL of the chosen (ours; when w2s.dpo.sftWeight α > 0)
 *   sft-own   SFT on its own uncorrected answers (the control for "just more training")
 *   ceiling   SFT on the annotator's gold corrections of its answers (P_ceiling)
 */
import type { Config } from "../config.js";
import type { Dataset } from "../dataset.js";
import type { Judge } from "../evaluate.js";
import { silentLogger, type Logger } from "../../engine/log.js";
import type { StepRow } from "../../engine/train.js";
import type { TrainingRow, W2sRow } from "../schemas.js";
import { judge as oracleJudge, rowFor } from "../../world/index.js";
import type { W2sConfig } from "./config.js";
import { scoreMethods, type MethodAnswers, type W2sCategoryRow } from "./score.js";
import type { CopyRule } from "../copy-rule.js";
import { answerAndCorrect, fineTune, pretrainStrong, strongLm, type FineTuned } from "./stages.js";

export { W2S_DEFAULTS, validateW2sConfig, type W2sConfig, type W2sTrain } from "./config.js";
export { meanInterval } from "../metrics.js";
export { performanceGapRecovered, scoreMethods, type W2sCategoryRow } from "./score.js";
export { W2S_CATEGORIES } from "../schemas.js";

export interface WeakToStrongResult {
  /** Rows of the W2S table (all test questions). */
  w2s: W2sRow[];
  /** The same per question category, plus "all" (the proposed `w2s_categories` table). */
  categories: W2sCategoryRow[];
  /** TRAINING rows: model "strong", stages "lm", "sft", "dpo", "sft-own", "sft-gold", "sft-round<k>". */
  training: TrainingRow[];
  /** How many DPO pairs had a correction that differs from the answer (the rest teach nothing). */
  dpoPairs: number;
}

const _training = (runId: string, backend: string, stage: string, steps: readonly StepRow[]): TrainingRow[] =>
  steps.map((s) => ({
    run_id: runId,
    model: "strong",
    stage,
    step: s.step,
    loss: s.loss,
    val_loss: s.val_loss,
    lr: s.lr,
    tokens_per_s: s.tokens_per_s,
    backend,
  }));

const _firstN = <T>(xs: readonly T[], n: number): T[] => (n > 0 ? xs.slice(0, n) : xs.slice());

/**
 * Runs weak-to-strong in cached stages under `dir` (a run folder) with the run's dataset and its trained
 * Aligner (`aligner.dir` holds `model/`), and returns the W2S, per-category and training rows (none
 * when `w2s.enabled` is false).
 */
export async function runWeakToStrong(
  dir: string,
  config: Config,
  w2s: W2sConfig,
  data: Dataset,
  aligner: { dir: string; copyRule?: CopyRule },
  {
    runId,
    backend,
    log = silentLogger,
    judge,
    prefetch = false,
  }: { runId: string; backend: string; log?: Logger; judge?: Judge; prefetch?: boolean },
): Promise<WeakToStrongResult> {
  if (!w2s.enabled) return { w2s: [], categories: [], training: [], dpoPairs: 0 };
  const items = data.world.items;
  const train = _firstN(
    items.filter((i) => i.split === "train"),
    w2s.trainQuestions,
  );
  const test = _firstN(
    items.filter((i) => i.split === "test"),
    w2s.testQuestions,
  );
  const byId = new Map(items.map((i) => [i.id, i]));
  const oracle: Judge = judge ?? ((itemId, text) => oracleJudge(byId.get(itemId)!, text));

  const strong = await pretrainStrong(dir, config, w2s, data, log);
  const r1 = await answerAndCorrect(dir, 1, config, w2s, data, strong, aligner, { train, test }, undefined, log);
  const tune = (name: string, base: { dir: string }, what: Parameters<typeof fineTune>[6]) =>
    fineTune(dir, name, config, w2s, data, base, what, test, log);

  const lm = strongLm(w2s);
  const gold = train.map((item, i) => rowFor(item, lm, r1.train[i]!.answer).correction);
  // A pair whose correction copies the answer has zero DPO gradient; an empty correction is no answer.
  const kept = train.flatMap((q, i) => {
    const c = r1.train[i]!;
    return c.correction.trim() !== "" && c.correction.trim() !== c.answer.trim()
      ? [{ q, pair: { chosen: c.correction, rejected: c.answer } }]
      : [];
  });
  // Plain DPO (the paper's objective) always; DPO + α·NLL of the chosen (ours) beside it when α = w2s.dpo.sftWeight > 0.
  const tuneDpo = (sftWeight = 0) =>
    kept.length > 0
      ? tune(sftWeight > 0 ? "dpo-nll" : "dpo", strong, {
          kind: "dpo",
          questions: kept.map((k) => k.q),
          pairs: kept.map((k) => k.pair),
          sftWeight,
        })
      : Promise.resolve(undefined);
  const tuneOwn = () => tune("sft-own", strong, { kind: "sft", questions: train, targets: r1.train.map((c) => c.answer) });
  const tuneGold = () => tune("sft-gold", strong, { kind: "sft", questions: train, targets: gold });
  if (prefetch) {
    // the run's helper: the fine-tunes that do not build on each other, last first
    if (w2s.dpo.sftWeight > 0) await tuneDpo(w2s.dpo.sftWeight);
    await tuneDpo();
    await tuneGold();
    await tuneOwn();
    return { w2s: [], categories: [], training: [], dpoPairs: kept.length };
  }
  const sft = await tune("sft", strong, { kind: "sft", questions: train, targets: r1.train.map((c) => c.correction) });
  const own = await tuneOwn();
  const ceiling = await tuneGold();
  const dpo = await tuneDpo();
  const dpoNll = w2s.dpo.sftWeight > 0 ? await tuneDpo(w2s.dpo.sftWeight) : undefined;
  if (!dpo) log.warn("w2s: every weak correction copies its answer or is empty; no DPO pairs, no w2s-dpo rows");

  const methods: MethodAnswers[] = [
    { method: "strong", round: 1, answers: r1.test.map((c) => c.answer) },
    { method: "weak", round: 1, answers: r1.test.map((c) => c.correction) },
    { method: "w2s", round: 1, answers: sft.test },
    ...(dpo ? [{ method: "w2s-dpo", round: 1, answers: dpo.test }] : []),
    ...(dpoNll ? [{ method: "w2s-dpo-nll", round: 1, answers: dpoNll.test }] : []),
    { method: "sft-own", round: 1, answers: own.test },
    { method: "ceiling", round: 1, answers: ceiling.test },
  ];
  const training = [
    ..._training(runId, backend, "lm", strong.training),
    ..._training(runId, backend, "sft", sft.training),
    ...(dpo ? _training(runId, backend, "dpo", dpo.training) : []),
    ...(dpoNll ? _training(runId, backend, "dpo-nll", dpoNll.training) : []),
    ..._training(runId, backend, "sft-own", own.training),
    ..._training(runId, backend, "sft-gold", ceiling.training),
  ];
  let previous: FineTuned = sft;
  for (let round = 2; round <= w2s.rounds; round++) {
    const answers = await answerAndCorrect(dir, round, config, w2s, data, previous, aligner, { train, test }, previous.test, log);
    const next = await tune(`sft-round${round}`, previous, {
      kind: "sft",
      questions: train,
      targets: answers.train.map((c) => c.correction),
    });
    methods.push({ method: "weak", round, answers: answers.test.map((c) => c.correction) }, { method: "w2s", round, answers: next.test });
    training.push(..._training(runId, backend, `sft-round${round}`, next.training));
    previous = next;
  }
  const scored = scoreMethods(test, methods, oracle, { runId, seed: config.seed, minGap: w2s.minGap });
  return { ...scored, training, dpoPairs: kept.length };
}
