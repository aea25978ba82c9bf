/**
 * The main job: a preset's experiment end to end into `runs/<preset>/`: the dataset (world, tokenizer,
 * zoo), the Aligner, its corrections of every upstream's test answers, their evaluation, the warm-up
 * sweep and weak-to-strong. Every stage is cached (cache.ts); this file only orders them and returns
 * the run's rows. Writing them as tables is the table layer's job (tables/materialize.ts).
 */
import { join } from "node:path";
import { selectBackend } from "../../engine/backend.js";
import { defaultWorkers } from "../../engine/dataparallel.js";
import type { Generated } from "../../engine/lm.js";
import { silentLogger, type Logger } from "../../engine/log.js";
import type { StepRow } from "../../engine/train.js";
import { judge as oracleJudge, type CorrectionRow } from "../../world/index.js";
import { answerWithApi, correctWithApi, judgeWithApi, type ApiRecord } from "../api/remote.js";
import { timeStages } from "../cache.js";
import { runsRoot, sweepFractions, type Preset } from "../config.js";
import { buildDataset, templateOf } from "../dataset.js";
import { residualOps, scoreCorrections, type CorrectionCase, type Judge } from "../evaluate.js";
import { measureMemorization } from "../memorization.js";
import { COPY_RULE_METHOD, headline, PAPER_METHOD, SCRATCH_METHOD, summarize } from "../summary.js";
import { baseFor } from "../base.js";
import { packageVersions } from "../record.js";
import type { CorrectionTableRow, TrainingRow, WarmupSweepRow } from "../schemas.js";
import { runWeakToStrong } from "../weak-to-strong/run.js";
import { isCurrentIn, prepareDir, runDir, runIdOf, type RunRecord, type RunResult } from "./runs.js";
import { helperHasWork, runJobs, startHelper } from "./helper.js";
import { correctStage, mainAlignerStages, scratchAlignerStages } from "./stages.js";
import { runProgress } from "./eta.js";
import { sweepOmegas, sweepRows, sweepStages } from "./sweep.js";

/** Runs every stage of `preset` (with a helper process where it has work) and returns the run's rows. */
export async function runExperiment(preset: Preset, options: { log?: Logger; dir?: string } = {}): Promise<RunResult> {
  const log = options.log ?? silentLogger;
  const dir = options.dir ?? runDir(preset.name);
  prepareDir(dir, options.dir === undefined ? "runs folder" : "--out");
  const jobs = runJobs();
  const helper = jobs > 1 && helperHasWork(preset.config) && !isCurrentIn(dir, preset) ? startHelper(preset, dir, log) : null;
  if (helper)
    log.info(`helper process ${helper.pid} computes the zoo, the warm-up sweep and the strong LM alongside (ALIGNER_JOBS=1 turns it off)`);
  let timed: Awaited<ReturnType<typeof timeStages<RunResult>>>;
  const progress = runProgress(log, dir, preset.config, { jobs: helper ? 2 : 1 });
  try {
    timed = await timeStages(() => _runStages(preset, dir, log, progress.lap));
  } finally {
    progress.end();
    helper?.stop();
  }
  await helper?.done.catch((error: unknown) => log.warn(`${(error as Error).message} (the main process computed what it left)`));
  const { result, stages } = timed;
  result.record.jobs = helper ? 2 : 1;
  result.record.stages = stages;
  result.record.compute_s = stages.every((s) => s.seconds !== null) ? stages.reduce((a, s) => a + s.seconds!, 0) : null;
  return result;
}

/** The run, top to bottom. */
async function _runStages(preset: Preset, dir: string, log: Logger, onLap: (part: string) => void): Promise<RunResult> {
  const { config } = preset;
  const started = Date.now();
  const lap = _stopwatch(onLap);
  const backend = await selectBackend(config.backend);
  const runId = runIdOf(preset);
  log.info(`run ${runId}: preset ${preset.name}, seed ${config.seed}, backend ${backend.backend} (${backend.threads} thread)`);

  // 1. The dataset: the world's rows and the zoo LMs' answers.
  const data = await buildDataset(dir, config, log);
  lap("dataset");

  // 2. The Aligner (local, or a corrector behind an API) and the upstreams' test answers.
  const api: ApiRecord = { upstreams: [], corrector: null, judge: null };
  const remote = { cacheDir: join(runsRoot(), "api-cache"), log, where: preset.file };
  const local = config.api.corrector.use === "local";
  const aligner = local ? await mainAlignerStages(dir, config, data, log) : null;
  lap("aligner");
  const testItems = data.world.items.filter((i) => i.split === "test");
  const answered = config.api.upstreams.length ? await answerWithApi(config.api, testItems, remote) : { rows: [], record: [] };
  api.upstreams = answered.record;
  const test = [...data.rows.filter((r) => r.split === "test"), ...answered.rows];
  lap("api_upstreams");

  // 3. Correction of every test answer (k rounds): the paper's plain greedy decoding, and our copy rule's choice beside it.
  let rounds: Generated[][];
  let greedy: Generated[];
  if (aligner) ({ rounds, greedy } = await correctStage(dir, config, data, aligner, test, "correct", log));
  else ({ outputs: rounds, record: api.corrector } = await correctWithApi(config.api, test, config.aligner.rounds, remote));
  // The ablation beside an Aligner from a base: the same Aligner from scratch, plain greedy.
  const scratch = aligner ? await scratchAlignerStages(dir, config, data, test, log) : null;
  lap("correct");

  // 4. Evaluation by the world's oracle (and an API judge when the preset has one).
  const items = new Map(data.world.items.map((i) => [i.id, i]));
  const judge: Judge = (itemId, text) => oracleJudge(items.get(itemId)!, text);
  const template = aligner ? templateOf(config) : config.api.corrector.template;
  const copyRule = aligner !== null && config.aligner.copyCandidate;
  const score = (outputs: readonly Generated[], k: number, method: string) =>
    scoreCorrections(caseRows(test, outputs, k === 0 ? undefined : rounds[k - 1]!.map((g) => g.text)), judge, {
      runId,
      template,
      round: k + 1,
      method,
    });
  // With a copy rule, the plain Aligner is round 1's decoded text (later rounds correct the copy rule's outputs).
  const corrections: CorrectionTableRow[] = copyRule
    ? [...score(greedy!, 0, PAPER_METHOD), ...rounds.flatMap((outputs, k) => score(outputs, k, COPY_RULE_METHOD))]
    : rounds.flatMap((outputs, k) => score(outputs, k, PAPER_METHOD));
  if (scratch) corrections.push(...score(scratch.greedy, 0, SCRATCH_METHOD));
  const firstRound = corrections.filter((r) => r.round === 1);
  const summary = summarize(firstRound, judge, { runId, seed: config.seed });
  const paper = firstRound.filter((r) => r.method === PAPER_METHOD);
  const judged = config.api.judge.use === "api" ? await judgeWithApi(config.api, paper, config.seed, remote) : null;
  api.judge = judged?.record ?? null;
  lap("evaluate");

  // 5. The warm-up sweep (local Aligners only).
  const sweep: WarmupSweepRow[] = [];
  const sweepTraining: TrainingRow[] = [];
  const rows = sweepRows(config, data, test);
  if (!local && config.warmupSweep.fractions.length)
    log.info("warm-up sweep skipped: it trains local Aligners and this preset corrects over the API");
  else if (config.world.evalWorld !== "dev" && config.warmupSweep.fractions.length)
    log.info('warm-up sweep skipped: it is an ablation, measured on the dev world (world.evalWorld: "dev"), never on the test world');
  for (const fraction of sweepFractions(config)) {
    const { trained, outputs } = await sweepStages(dir, config, data, fraction, rows, log);
    sweep.push(
      ...sweepOmegas(scoreCorrections(caseRows(rows, outputs), judge, { runId, template }), fraction, { runId, seed: config.seed }),
    );
    sweepTraining.push(
      ...trainingRows(runId, backend.backend, `sweep:${fraction}`, "warmup", trained.training.warmup),
      ...trainingRows(runId, backend.backend, `sweep:${fraction}`, "main", trained.training.main),
    );
  }
  lap("warmup_sweep");

  // 6. Weak-to-strong (the local Aligner is the weak supervisor).
  if (!aligner && config.w2s.enabled)
    log.info("weak-to-strong skipped: the weak supervisor is a local Aligner and this preset corrects over the API");
  const w2s = aligner
    ? await runWeakToStrong(dir, config, config.w2s, data, aligner, { runId, backend: backend.backend, log, judge })
    : { w2s: [], categories: [], training: [] };
  lap("w2s");

  // 7. The run's record and rows.
  const large = aligner && config.w2s.enabled ? await baseFor(config, "large", log) : null;
  const training: TrainingRow[] = [
    ...[data.base, large].flatMap((b) => (b ? trainingRows(runId, backend.backend, `base:${b.size}`, "pretrain", b.training) : [])),
    ...data.zoo.flatMap((z) => trainingRows(runId, backend.backend, `upstream:${z.name}`, "lm", z.training)),
    ...trainingRows(runId, backend.backend, "aligner", "warmup", aligner?.training.warmup ?? []),
    ...trainingRows(runId, backend.backend, "aligner", "main", aligner?.training.main ?? []),
    ...trainingRows(runId, backend.backend, SCRATCH_METHOD, "warmup", scratch?.training.warmup ?? []),
    ...trainingRows(runId, backend.backend, SCRATCH_METHOD, "main", scratch?.training.main ?? []),
    ...sweepTraining,
    ...w2s.training,
  ];
  const record: RunRecord = {
    run_id: runId,
    preset: preset.name,
    seed: config.seed,
    eval_world: config.world.evalWorld,
    backend: { ...backend, workers: defaultWorkers() },
    template,
    headline: headline(summary),
    config,
    versions: packageVersions(),
    started_at: new Date(started).toISOString(),
    duration_s: (Date.now() - started) / 1000,
    stages_s: lap.laps,
    ...(aligner ? { copy_rule: aligner.calibration } : {}),
    ...(config.api.upstreams.length || !local || judged ? { api } : {}),
    dir,
  };
  const runs = [
    {
      run_id: runId,
      preset: preset.name,
      seed: config.seed,
      eval_world: config.world.evalWorld,
      backend: backend.backend,
      threads: backend.threads,
      template,
      config: JSON.stringify(config),
      versions: JSON.stringify({ ...record.versions, ...backend.versions }),
      started_at: record.started_at,
      duration_s: record.duration_s,
    },
  ];
  const tables = {
    runs,
    corrections,
    summary,
    training,
    warmup_sweep: sweep,
    residual_ops: residualOps(firstRound),
    w2s: w2s.w2s,
    w2s_categories: w2s.categories,
    memorization: measureMemorization(
      data.rows.filter((r) => r.split === "train").map((r) => r.correction),
      paper.map((r) => ({ category: r.category!, shift: r.shift!, gold: r.gold_correction ?? "", output: r.correction })),
      { runId },
    ),
    ...(judged ? { judgements: judged.judgements } : {}),
  };
  return { record, tables };
}

/** Seconds per named part of the run: `lap(name)` closes the part that began at the previous lap. */
function _stopwatch(onLap: (name: string) => void) {
  let mark = Date.now();
  const laps: Record<string, number> = {};
  return Object.assign(
    (name: string) => {
      laps[name] = (Date.now() - mark) / 1000;
      mark = Date.now();
      onLap(name);
    },
    { laps },
  );
}

/** The rows scoreCorrections measures: each test row with its correction (and, after round 1, the previous round's text as the answer). */
export const caseRows = (rows: readonly CorrectionRow[], outputs: readonly Generated[], answers?: readonly string[]): CorrectionCase[] =>
  rows.map((r, i) => ({
    id: r.id,
    item_id: r.item_id,
    split: r.split,
    shift: r.shift,
    category: r.category,
    family: r.family,
    intent: r.intent,
    harm: r.harm,
    upstream: r.upstream,
    upstream_kind: r.upstream_kind,
    question: r.question,
    answer: answers?.[i] ?? r.answer,
    correction: outputs[i]!.text,
    gold_correction: r.correction,
    hit_limit: outputs[i]!.hitLimit,
  }));

/** One model's training log as `training` table rows. */
export const trainingRows = (runId: string, backend: string, model: string, stage: string, steps: readonly StepRow[]): TrainingRow[] =>
  steps.map((s) => ({
    run_id: runId,
    model,
    stage,
    step: s.step,
    loss: s.loss,
    val_loss: s.val_loss,
    lr: s.lr,
    tokens_per_s: s.tokens_per_s,
    backend,
  }));
