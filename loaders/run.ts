/**
 * The main job: runs a preset's experiment end to end into `runs/<preset>/` and materializes its
 * tables. Stages (world, tokenizer, zoo models, Aligner, correction, warm-up sweep) are cached by the
 * hash of their config and inputs, so a rerun reuses finished work and a killed run resumes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC, tableToIPC, Table } from "apache-arrow";
import { alignerExamples, calibrateCopyRule, copyRuleKey, correctAnswers, LIKELIER_OF_TWO, trainAligner, type AlignerTraining, type CopyRule, type RuleScore } from "./aligner.js";
import { selectBackend, type BackendInfo } from "./backend.js";
import { hashOf, runStage, stageDir, timeStages, type StageTiming } from "./cache.js";
import { readJson, writeFileAtomic, writeJson } from "./files.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { loadPreset, runsRoot, type Config, type ModelSize, type Preset, type TrainSettings } from "./config.js";
import { buildDataset, templateOf, type Dataset } from "./dataset.js";
import { headline, residualOps, scoreCorrections, summarize, type CorrectionCase, type Judge } from "./evaluate.js";
import type { Generated } from "./lm.js";
import { importedTable, importsDir } from "./imports.js";
import { createLogger, silentLogger, type Logger } from "./log.js";
import { omegaInterval } from "./metrics.js";
import { createRng, shuffle } from "./random.js";
import { createModel, disposeModel } from "./model.js";
import { packageVersions } from "./record.js";
import { answerWithApi, correctWithApi, judgeWithApi, type ApiRecord } from "./remote.js";
import { fromArrow, toArrowStream, writeParquet, type Row } from "./tables.js";
import { toTokenizerJson } from "./tokenize.js";
import type { StepRow } from "./train.js";
import { JUDGEMENTS, TABLES, type CorrectionTableRow, type TableName, type TrainingRow, type WarmupSweepRow } from "./types.js";
import { runWeakToStrong } from "./weak-to-strong.js";
import { pretrainStrong } from "./w2s/stages.js";
import { runJobs, startHelper } from "./helper.js";
import { judge as oracleJudge, type CorrectionRow } from "./world/index.js";
import { hashString } from "./world/rng.js";

export interface RunRecord {
  run_id: string;
  preset: string;
  seed: number;
  backend: BackendInfo;
  template: string;
  headline: string;
  config: Config;
  versions: Record<string, string | null>;
  started_at: string;
  duration_s: number;
  /** Seconds per part of this invocation (stages found in the cache take almost none). */
  stages_s: Record<string, number>;
  /** Every cached stage the run used, with the seconds its computation took when it ran. */
  stages?: StageTiming[];
  /** The run's cold cost: the sum of its stages' computation times (null when an older stage has no timing). */
  compute_s?: number | null;
  /** The API clients the preset used (no keys) and what they spent; absent when it used none. */
  api?: ApiRecord;
  /** The main Aligner's copy rule and, when calibrated, every candidate's validation scores. */
  copy_rule?: Calibration;
  /** Processes the run used: 2 with its helper (loaders/helper.ts), else 1. */
  jobs?: number;
  /** The run's folder. */
  dir: string;
}

export { runsRoot };

/** An Aligner's copy rule and the validation scores it was chosen by (null when the preset fixes it). */
export interface Calibration extends CopyRule {
  curve: RuleScore[] | null;
}

/** The folder a preset's run lives in. */
export function runDir(preset: string): string {
  return join(runsRoot(), preset);
}


/**
 * Q-A-C rows for the Aligner: the train split of the seen upstreams, split by question into train and
 * validation (the last 5% of the questions). With `answersPerQuestion` k > 0, each train question keeps
 * k of its answers, chosen by a stream seeded by the seed and the question's id (validation keeps all,
 * for the copy rule's calibration).
 */
export function selectAlignerRows(data: Pick<Dataset, "rows">, config: Pick<Config, "seed" | "aligner">) {
  const rows = data.rows.filter((r) => r.split === "train" && r.upstream_kind === "seen");
  const items = [...new Set(rows.map((r) => r.item_id))];
  const valItems = new Set(items.slice(items.length - Math.max(1, Math.round(items.length * 0.05))));
  const k = config.aligner.answersPerQuestion;
  let train = rows.filter((r) => !valItems.has(r.item_id));
  if (k > 0) {
    const ids = new Map<string, string[]>();
    for (const r of train) {
      const answers = ids.get(r.item_id);
      if (answers) answers.push(r.id);
      else ids.set(r.item_id, [r.id]);
    }
    const kept = new Set([...ids].flatMap(([item, answers]) => shuffle(createRng(hashString(`${config.seed}:${item}`)), answers).slice(0, k)));
    train = train.filter((r) => kept.has(r.id));
  }
  return { train, val: rows.filter((r) => valItems.has(r.item_id)) };
}

/** Trains an Aligner (warm-up, then main) in a cached stage; returns its folder and training log. */
async function _trainAlignerStage(
  dir: string, config: Config, data: Dataset, name: string, settings: { warmupFraction: number; model: ModelSize; train: TrainSettings }, log: Logger,
): Promise<{ dir: string; training: AlignerTraining }> {
  const template = templateOf(config);
  // (lossTruncation joins the key only when on, so runs from before the option keep their cache.)
  const { lossTruncation, ...train } = settings.train;
  // (so does answersPerQuestion when set)
  const k = config.aligner.answersPerQuestion;
  const key = { data: data.key, template, model: settings.model, train: lossTruncation ? settings.train : train, warmupFraction: settings.warmupFraction, seed: config.seed, ...(k > 0 ? { answersPerQuestion: k } : {}) };
  const sdir = stageDir(dir, name, key);
  await runStage(dir, name, key, async ({ dir: here }) => {
    const tok = data.tokenizer.tok;
    const rows = selectAlignerRows(data, config);
    const examples = alignerExamples(rows.train, tok, template, { warmupFraction: settings.warmupFraction, seed: config.seed });
    const val = alignerExamples(rows.val.slice(0, 128), tok, template, { warmupFraction: 0, seed: config.seed }).main;
    log.info(`${name}: ${examples.warmup.length} warm-up (Q-A-A) and ${examples.main.length} Q-A-C examples`);
    const model = createModel({ vocabSize: tok.vocabSize, ...settings.model }, { seed: config.seed });
    try {
      const training = await trainAligner(model, examples, val, {
        train: { ...settings.train, seed: config.seed }, warmupFraction: settings.warmupFraction, log,
        checkpointDir: (stage) => join(here, `checkpoint-${stage}`),
      });
      writeJson(join(here, "training.json"), training);
      await saveCheckpoint(join(here, "model"), model, { tokenizerJson: toTokenizerJson(tok), extra: { template, seed: config.seed, warmupFraction: settings.warmupFraction } });
      return { examples: examples.main.length };
    } finally {
      disposeModel(model);
    }
  }, { log });
  return { dir: sdir, training: readJson(join(sdir, "training.json")) };
}

/** The copy rule an Aligner's corrections use: calibrated on its validation rows in a cached stage, unless the preset fixes it. */
async function _calibrateStage(dir: string, config: Config, data: Dataset, aligner: { dir: string }, name: string, log: Logger): Promise<Calibration> {
  const { copyCandidate, copyMargins: margins, copyMinTokenProbs: minTokenProbs } = config.aligner;
  if (!copyCandidate) return { ...LIKELIER_OF_TWO, curve: null };
  if (margins.length === 1 && minTokenProbs.length === 1) return { margin: margins[0]!, minTokenProb: minTokenProbs[0]!, curve: null };
  const rows = selectAlignerRows(data, config).val;
  const key = { aligner: aligner.dir.replace(/^.*\//, ""), margins, minTokenProbs, decoding: config.aligner.decoding, rows: hashOf(rows.map((r) => r.id)), seed: config.seed, choice: "strictest within 1 SE" };
  const sdir = stageDir(dir, name, key);
  await runStage(dir, name, key, async ({ dir: here }) => {
    const { model } = await loadCheckpoint(join(aligner.dir, "model"));
    try {
      const items = new Map(data.world.items.map((i) => [i.id, i]));
      const result = calibrateCopyRule(model, data.tokenizer.tok, rows, templateOf(config), {
        decoding: { ...config.aligner.decoding, seed: config.seed }, margins, minTokenProbs, log,
        score: (i, text) => oracleJudge(items.get(rows[i]!.item_id)!, text),
      });
      writeJson(join(here, "calibration.json"), result);
      return { margin: result.margin, minTokenProb: result.minTokenProb };
    } finally {
      disposeModel(model);
    }
  }, { log });
  return readJson(join(sdir, "calibration.json"));
}

/** The main Aligner and the copy rule its corrections use (calibrated on its validation rows unless the preset fixes it). */
async function _mainAlignerStages(dir: string, config: Config, data: Dataset, log: Logger) {
  const trained = await _trainAlignerStage(dir, config, data, "aligner", { warmupFraction: config.aligner.warmupFraction, model: config.aligner.model, train: config.aligner.train }, log);
  const calibration = await _calibrateStage(dir, config, data, trained, "calibrate", log);
  const copyRule: CopyRule = { margin: calibration.margin, minTokenProb: calibration.minTokenProb };
  return { ...trained, copyRule, calibration };
}

/** Corrects the given rows with a trained Aligner in a cached stage; returns every round's outputs. */
async function _correctStage(
  dir: string, config: Config, data: Dataset, aligner: { dir: string; copyRule: CopyRule }, rows: readonly CorrectionRow[], name: string, log: Logger,
): Promise<Generated[][]> {
  const remote = rows.filter((r) => r.upstream.startsWith("api:")); // API answers may change between runs: key on their text
  const key = {
    aligner: aligner.dir.replace(/^.*\//, ""), decoding: config.aligner.decoding, rounds: config.aligner.rounds, rows: hashOf(rows.map((r) => r.id)),
    ...(config.aligner.copyCandidate ? { copyCandidate: true } : {}),
    ...(config.aligner.copyCandidate ? copyRuleKey(aligner.copyRule) : {}),
    ...(remote.length ? { answers: hashOf(remote.map((r) => r.answer)) } : {}),
  };
  const sdir = stageDir(dir, name, key);
  await runStage(dir, name, key, async ({ dir: here }) => {
    const { model } = await loadCheckpoint(join(aligner.dir, "model"));
    try {
      const out = correctAnswers(model, data.tokenizer.tok, rows, templateOf(config), {
        decoding: { ...config.aligner.decoding, seed: config.seed }, rounds: config.aligner.rounds, log, copyCandidate: config.aligner.copyCandidate,
        copyRule: aligner.copyRule,
      });
      writeJson(join(here, "corrections.json"), out);
      return { rows: rows.length };
    } finally {
      disposeModel(model);
    }
  }, { log });
  return readJson(join(sdir, "corrections.json"));
}

const _cases = (rows: readonly CorrectionRow[], outputs: readonly Generated[], answers?: readonly string[]): CorrectionCase[] =>
  rows.map((r, i) => ({
    id: r.id, item_id: r.item_id, split: r.split, shift: r.shift, category: r.category, family: r.family, intent: r.intent, harm: r.harm,
    upstream: r.upstream, upstream_kind: r.upstream_kind, question: r.question, answer: answers?.[i] ?? r.answer,
    correction: outputs[i]!.text, gold_correction: r.correction, hit_limit: outputs[i]!.hitLimit,
  }));

const _training = (runId: string, backend: string, model: string, stage: string, steps: readonly StepRow[]): TrainingRow[] =>
  steps.map((s) => ({ run_id: runId, model, stage, step: s.step, loss: s.loss, val_loss: s.val_loss, lr: s.lr, tokens_per_s: s.tokens_per_s, backend }));

/** The sweep asks how warm-up shapes learning, on questions like the training ones (the iid ones, when the world has them). */
function _sweepRows(config: Config, data: Dataset, test: readonly CorrectionRow[]): CorrectionRow[] {
  const testItems = data.world.items.filter((i) => i.split === "test");
  const pool = testItems.some((i) => i.shift === "iid") ? testItems.filter((i) => i.shift === "iid") : testItems;
  const items = new Set(pool.slice(0, config.warmupSweep.testQuestions).map((i) => i.id));
  return test.filter((r) => items.has(r.item_id));
}

/** One point of the warm-up sweep: a small Aligner trained with warm-up `fraction`, and its corrections (likelier-of-two). */
async function _sweepStages(dir: string, config: Config, data: Dataset, fraction: number, rows: readonly CorrectionRow[], log: Logger) {
  const name = `sweep-${fraction}`;
  const { steps, batchSize, lr, model } = config.warmupSweep;
  const trained = await _trainAlignerStage(dir, config, data, name, { warmupFraction: fraction, model, train: { ...config.aligner.train, steps, batchSize, lr } }, log);
  // Every point decodes with the same rule, the likelier of the decoded text and the copy: a calibrated
  // rule would make each weak Aligner copy more and hide what warm-up changed in what it learned.
  const outputs = (await _correctStage(dir, { ...config, aligner: { ...config.aligner, rounds: 1 } }, data, { ...trained, copyRule: LIKELIER_OF_TWO }, rows, `correct-${name}`, log))[0]!;
  return { trained, outputs };
}

/**
 * The helper's share of a run (loaders/helper.ts), in the reverse of the main process's order: the zoo
 * last to first, the warm-up sweep from its last fraction, weak-to-strong's strong LM (none of these
 * needs the main Aligner), then, once the Aligner is trained, weak-to-strong's independent fine-tunes
 * from the last. Presets with API upstreams keep only the zoo here.
 */
export async function prefetchStages(preset: Preset, dir: string, log: Logger): Promise<void> {
  const { config } = preset;
  await selectBackend(config.backend);
  const data = await buildDataset(dir, config, log, { reverse: true });
  if (config.api.corrector.use !== "local" || config.api.upstreams.length > 0) return;
  const rows = _sweepRows(config, data, data.rows.filter((r) => r.split === "test"));
  for (const fraction of [...config.warmupSweep.fractions].reverse()) await _sweepStages(dir, config, data, fraction, rows, log);
  if (!config.w2s.enabled) return;
  await pretrainStrong(dir, config, config.w2s, data, log);
  // Then weak-to-strong's fine-tunes that do not build on each other, once the main Aligner exists
  // (by now the main process is training it: this waits on its lock).
  await runWeakToStrong(dir, config, config.w2s, data, await _mainAlignerStages(dir, config, data, log), { runId: "", backend: "", log, prefetch: true });
}

/** Whether a helper has work in this run: more than one zoo LM, a sweep, or a strong LM to train. */
const _helperHasWork = (config: Config): boolean =>
  config.zoo.models.length > 1 || (config.api.corrector.use === "local" && config.api.upstreams.length === 0 && (config.warmupSweep.fractions.length > 0 || config.w2s.enabled));

/** Runs the experiment of `preset`: every stage, then the tables in `runs/<preset>/tables/`. */
export async function runExperiment(preset: Preset, options: { log?: Logger; dir?: string } = {}): Promise<RunRecord> {
  const log = options.log ?? silentLogger;
  const dir = options.dir ?? runDir(preset.name);
  mkdirSync(dir, { recursive: true });
  const jobs = runJobs();
  const helper = jobs > 1 && _helperHasWork(preset.config) && !_isCurrentIn(dir, preset) ? startHelper(preset, dir, log) : null;
  if (helper) log.info(`helper process ${helper.pid} computes the zoo, the warm-up sweep and the strong LM alongside (ALIGNER_JOBS=1 turns it off)`);
  let result: Awaited<ReturnType<typeof timeStages<RunRecord>>>;
  try {
    result = await timeStages(() => _runExperiment(preset, { ...options, dir, log }));
  } finally {
    helper?.stop();
  }
  await helper?.done.catch((error: unknown) => log.warn(`${(error as Error).message} (the main process computed what it left)`));
  const { result: record, stages } = result;
  record.jobs = helper ? 2 : 1;
  record.stages = stages;
  record.compute_s = stages.every((s) => s.seconds !== null) ? stages.reduce((a, s) => a + s.seconds!, 0) : null;
  writeFileAtomic(join(record.dir, "run.json"), `${JSON.stringify(record, null, 2)}\n`);
  const cold = record.compute_s === null ? "" : `; ${record.compute_s.toFixed(0)} s cold`;
  log.info(`${record.headline} (${record.duration_s.toFixed(1)} s${cold}; tables in ${join(record.dir, "tables")})`);
  return record;
}

async function _runExperiment(preset: Preset, options: { log: Logger; dir?: string }): Promise<RunRecord> {
  const { log } = options;
  const { config } = preset;
  const started = Date.now();
  const stages: Record<string, number> = {};
  let mark = Date.now();
  const lap = (name: string) => { stages[name] = (Date.now() - mark) / 1000; mark = Date.now(); };
  const dir = options.dir ?? runDir(preset.name);
  mkdirSync(dir, { recursive: true });
  const backend = await selectBackend(config.backend);
  const runId = `${preset.name}-${hashOf(config)}`;
  log.info(`run ${runId}: preset ${preset.name}, seed ${config.seed}, backend ${backend.backend} (${backend.threads} thread)`);

  const data = await buildDataset(dir, config, log);
  lap("dataset");
  const api: ApiRecord = { upstreams: [], corrector: null, judge: null };
  const remote = { cacheDir: join(runsRoot(), "api-cache"), log, where: preset.file };
  const local = config.api.corrector.use === "local";
  const aligner = local ? await _mainAlignerStages(dir, config, data, log) : null;
  lap("aligner");
  const testItems = data.world.items.filter((i) => i.split === "test");
  const answered = config.api.upstreams.length ? await answerWithApi(config.api, testItems, remote) : { rows: [], record: [] };
  api.upstreams = answered.record;
  const test = [...data.rows.filter((r) => r.split === "test"), ...answered.rows];
  lap("api_upstreams");
  let rounds: Generated[][];
  if (aligner) rounds = await _correctStage(dir, config, data, aligner, test, "correct", log);
  else ({ outputs: rounds, record: api.corrector } = await correctWithApi(config.api, test, config.aligner.rounds, remote));
  lap("correct");

  const items = new Map(data.world.items.map((i) => [i.id, i]));
  const judge: Judge = (itemId, text) => oracleJudge(items.get(itemId)!, text);
  const template = aligner ? templateOf(config) : config.api.corrector.template;
  const corrections: CorrectionTableRow[] = rounds.flatMap((outputs, k) =>
    scoreCorrections(_cases(test, outputs, k === 0 ? undefined : rounds[k - 1]!.map((g) => g.text)), judge, { runId, template, round: k + 1 }),
  );
  const firstRound = corrections.filter((r) => r.round === 1);
  const summary = summarize(firstRound, judge, { runId, seed: config.seed });
  const judged = config.api.judge.use === "api" ? await judgeWithApi(config.api, firstRound, config.seed, remote) : null;
  api.judge = judged?.record ?? null;
  lap("evaluate");

  const sweep: WarmupSweepRow[] = [];
  const sweepTraining: TrainingRow[] = [];
  const sweepRows = _sweepRows(config, data, test);
  const fractions = local ? config.warmupSweep.fractions : [];
  if (!local && config.warmupSweep.fractions.length) log.info("warm-up sweep skipped: it trains local Aligners and this preset corrects over the API");
  for (const fraction of fractions) {
    const { trained, outputs } = await _sweepStages(dir, config, data, fraction, sweepRows, log);
    const scored = scoreCorrections(_cases(sweepRows, outputs), judge, { runId, template });
    for (const kind of ["seen", "heldout", "all"]) {
      const group = scored.filter((r) => kind === "all" || r.upstream_kind === kind);
      for (const dimension of ["helpful", "harmless"] as const) {
        const w = omegaInterval(group.map((r) => (dimension === "helpful" ? r.verdict_helpful : r.verdict_harmless) as "win" | "tie" | "lose"), { seed: config.seed });
        const after = group.map((r) => (dimension === "helpful" ? r.helpful_after! : r.harmless_after!));
        sweep.push({ run_id: runId, warmup_fraction: fraction, upstream_kind: kind, dimension, n: group.length, omega: w.omega, omega_lo: w.lo, omega_hi: w.hi, score_after: after.reduce((a, b) => a + b, 0) / Math.max(1, after.length) });
      }
    }
    sweepTraining.push(..._training(runId, backend.backend, `sweep:${fraction}`, "warmup", trained.training.warmup), ..._training(runId, backend.backend, `sweep:${fraction}`, "main", trained.training.main));
  }
  lap("warmup_sweep");

  if (!aligner && config.w2s.enabled) log.info("weak-to-strong skipped: the weak supervisor is a local Aligner and this preset corrects over the API");
  const w2s = aligner
    ? await runWeakToStrong(dir, config, config.w2s, data, aligner, { runId, backend: backend.backend, log, judge })
    : { w2s: [], categories: [], training: [] };
  lap("w2s");

  const training: TrainingRow[] = [
    ...data.zoo.flatMap((z) => _training(runId, backend.backend, `upstream:${z.name}`, "lm", z.training)),
    ..._training(runId, backend.backend, "aligner", "warmup", aligner?.training.warmup ?? []),
    ..._training(runId, backend.backend, "aligner", "main", aligner?.training.main ?? []),
    ...sweepTraining,
    ...w2s.training,
  ];
  const record: RunRecord = {
    run_id: runId, preset: preset.name, seed: config.seed, backend, template, headline: headline(summary), config,
    versions: packageVersions(), started_at: new Date(started).toISOString(), duration_s: (Date.now() - started) / 1000,
    stages_s: stages, ...(aligner ? { copy_rule: aligner.calibration } : {}), ...(config.api.upstreams.length || !local || judged ? { api } : {}), dir,
  };
  const runs = [{
    run_id: runId, preset: preset.name, seed: config.seed, backend: backend.backend, threads: backend.threads, template,
    config: JSON.stringify(config), versions: JSON.stringify({ ...record.versions, ...backend.versions }),
    started_at: record.started_at, duration_s: record.duration_s,
  }];
  await writeTables(join(dir, "tables"), {
    runs, corrections, summary, training, warmup_sweep: sweep, residual_ops: residualOps(firstRound), w2s: w2s.w2s, w2s_categories: w2s.categories,
    ...(judged ? { judgements: judged.judgements } : {}),
  });
  lap("tables");
  record.duration_s = (Date.now() - started) / 1000;
  record.stages_s = stages;
  return record;
}

/** What a run may write: the site tables and, when an API judge ran, its judgements. */
const RUN_TABLES = { ...TABLES, judgements: JUDGEMENTS } as const;

/** Writes each table as Arrow IPC stream (site) and Parquet (export), atomically. */
export async function writeTables(dir: string, tables: Partial<Record<keyof typeof RUN_TABLES, readonly Row[]>>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [name, rows] of Object.entries(tables) as [keyof typeof RUN_TABLES, Row[]][]) {
    writeFileAtomic(join(dir, `${name}.arrow`), toArrowStream(name, rows, RUN_TABLES[name]));
    await writeParquet(join(dir, `${name}.parquet`), name, rows, RUN_TABLES[name]);
  }
}

/** The preset's run already finished with this config (loaders skip straight to its tables). */
function _isCurrentIn(dir: string, preset: Preset): boolean {
  const file = join(dir, "run.json");
  return existsSync(file) && readJson<RunRecord>(file).run_id === `${preset.name}-${hashOf(preset.config)}`;
}

/** Tables whose site copy gathers every run under the runs root, so pages can compare runs. */
const ACROSS_RUNS: ReadonlySet<TableName> = new Set(["runs", "summary"]);

/**
 * The bytes of one site table (Arrow IPC stream) for Framework loaders: from $ALIGNER_TABLES_DIR when
 * set (publish an existing run's tables, e.g. one trained elsewhere), else from the run of the preset
 * named by $ALIGNER_PRESET, which runs (or reuses its cached stages) first. `runs` and `summary` also
 * gather the other runs found under the runs root, for the Runs page. `imported` comes from the
 * imports folder whichever the source of the run's tables (see imports.ts).
 */
export async function siteTable(name: TableName, log: Logger = createLogger(`table:${name}`)): Promise<Uint8Array> {
  if (name === "imported") return importedTable(importsDir(), log);
  const fixed = process.env.ALIGNER_TABLES_DIR;
  if (fixed) return readFileSync(join(fixed, `${name}.arrow`));
  const preset = loadPreset();
  const own = join(runDir(preset.name), "tables", `${name}.arrow`);
  if (!_isCurrentIn(runDir(preset.name), preset) || !existsSync(own)) await runExperiment(preset, { log });
  if (!ACROSS_RUNS.has(name)) return readFileSync(own);
  const others = readdirSync(runsRoot())
    .filter((p) => p !== preset.name)
    .map((p) => join(runsRoot(), p, "tables", `${name}.arrow`))
    .filter(existsSync);
  const tables = [own, ...others].map((f) => tableFromIPC(readFileSync(f)));
  const columns = (t: Table) => t.schema.fields.map((f) => `${f.name}:${f.type}`).join(",");
  const batches = tables.filter((t) => columns(t) === columns(tables[0]!)).flatMap((t) => t.batches); // skip runs of an older schema
  return tableToIPC(new Table(batches), "stream");
}

/** One site table as Parquet (the export format), with the same rows as `siteTable(name)`. */
export async function siteParquet(name: TableName, log?: Logger): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), "aligner-site-"));
  try {
    const file = join(dir, `${name}.parquet`);
    await writeParquet(file, name, fromArrow(await siteTable(name, log)) as Row[], TABLES[name]);
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes a loader's bytes to stdout; on failure prints one clear line to stderr and exits non-zero
 * (an uncaught error would make Node print the minified line it came from, e.g. tfjs's wasm glue).
 */
export async function emit(bytes: Promise<Uint8Array | string>): Promise<void> {
  try {
    process.stdout.write(await bytes);
  } catch (error) {
    process.stderr.write(`loader failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
