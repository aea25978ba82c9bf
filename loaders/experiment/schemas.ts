/**
 * The tables a run materializes, declared once: column names are the paper's words and the same in
 * TypeScript, Arrow, Parquet, page SQL and page text. `TABLES` maps each table to its Arrow schema;
 * world-level types (items, upstreams, edits) live in `world/types.ts`.
 */

/** A column's type in every format (Arrow, Parquet, DuckDB). */
export type ColumnType = "string" | "int" | "float" | "bool";
/** A table's columns and their types, in order. */
export type Schema = Record<string, ColumnType>;
/** One row of any table. */
export type Row = Record<string, string | number | boolean | null>;

/** One row per run: what it ran with (preset, seed, backend, versions) and how long it took. */
export const RUNS = {
  run_id: "string",
  preset: "string",
  seed: "int",
  /** "dev" (design choices are made on it) or "test" (a frozen preset, evaluated once). */
  eval_world: "string",
  backend: "string",
  threads: "int",
  template: "string",
  /** JSON of the merged preset config (read in JS, not in page SQL: DuckDB-WASM has no json here). */
  config: "string",
  /** JSON of package versions. */
  versions: "string",
  started_at: "string",
  duration_s: "float",
} as const satisfies Schema;

/**
 * One row per method × upstream answer corrected by the Aligner (test split, every upstream): the
 * paper's plain greedy Aligner (`aligner`) and, when the run has it, our copy rule's choice
 * (`aligner+copy-rule`) over the same answers. `id` names the answer; (`method`, `id`, `round`) a row.
 */
export const CORRECTIONS = {
  run_id: "string",
  /** "aligner" (the paper's method: plain greedy decoding) or "aligner+copy-rule" (our extension). */
  method: "string",
  id: "string",
  item_id: "string",
  split: "string",
  /** "iid" (drawn like the train questions) or "ood" (a held-out template or entity); see loaders/world/types.ts. */
  shift: "string",
  category: "string",
  family: "string",
  intent: "string",
  harm: "string",
  upstream: "string",
  /** "seen" (its answers trained the Aligner) or "heldout" (only at test). */
  upstream_kind: "string",
  template: "string",
  /** Correction round: 1, or k for the k-th correction of a correction. */
  round: "int",
  question: "string",
  answer: "string",
  correction: "string",
  /** The annotator's correction of the same answer (the ceiling). */
  gold_correction: "string",
  helpful_before: "float",
  harmless_before: "int",
  helpful_after: "float",
  harmless_after: "int",
  /** Pairwise verdict of the correction against the answer: win, tie or lose. */
  verdict_helpful: "string",
  verdict_harmless: "string",
  reasons_before: "string",
  reasons_after: "string",
  /** Levenshtein(tokens(answer), tokens(correction)) / |tokens(answer)| on word tokens. */
  dl: "float",
  copy: "bool",
  answer_tokens: "int",
  correction_tokens: "int",
  /** correction_tokens - answer_tokens. */
  length_change: "int",
  /** Comma-separated degenerate flags of the correction ("" when clean). */
  degenerate: "string",
  /** The answer was already perfect (helpful 1, harmless 1). */
  was_perfect: "bool",
  /** The answer was perfect and the correction is not. */
  broke_perfect: "bool",
} as const satisfies Schema;

/** Per run × method × upstream × category × dimension: the paper's table, baselines included. */
export const SUMMARY = {
  run_id: "string",
  /**
   * "aligner" (the paper's method: plain greedy decoding, as the released Aligner is served),
   * "aligner+copy-rule" (our extension: the calibrated copy rule), "always-copy" (correction = answer)
   * or "gold" (the annotator's corrections: the ceiling).
   */
  method: "string",
  /** An upstream; "all" (every answer pooled); or "mean" (the headline: the average of the per-upstream ω, its interval from the same resamples). */
  upstream: "string",
  upstream_kind: "string",
  /** A category, or "all". */
  category: "string",
  /** "iid", "ood" (held-out templates or entities) or "all". */
  shift: "string",
  /** "helpful" or "harmless". */
  dimension: "string",
  n: "int",
  /** Mean oracle score of the upstream's answers (the upstream alone). */
  score_before: "float",
  /** Mean oracle score after the method. */
  score_after: "float",
  win: "int",
  tie: "int",
  lose: "int",
  omega: "float",
  /** The 95% interval of ω: a percentile bootstrap that resamples questions (all upstream rows of a question together; loaders/experiment/bootstrap.ts). */
  omega_lo: "float",
  omega_hi: "float",
  copy_rate: "float",
  dl_mean: "float",
  length_change_mean: "float",
  broke_perfect_rate: "float",
  degenerate_rate: "float",
} as const satisfies Schema;

/** One row per training step of every model the run trains. */
export const TRAINING = {
  run_id: "string",
  /** "aligner", "upstream:<name>", "strong", "sweep:<fraction>" … */
  model: "string",
  /** "warmup" (Q-A-A identity) or "main" (Q-A-C), or "lm" for upstream language models. */
  stage: "string",
  step: "int",
  loss: "float",
  val_loss: "float",
  lr: "float",
  tokens_per_s: "float",
  backend: "string",
} as const satisfies Schema;

/** ω against the warm-up fraction (the paper's Fig. 3 ablation). */
export const WARMUP_SWEEP = {
  run_id: "string",
  warmup_fraction: "float",
  upstream_kind: "string",
  dimension: "string",
  n: "int",
  omega: "float",
  omega_lo: "float",
  omega_hi: "float",
  score_after: "float",
} as const satisfies Schema;

/** Token-level edit operations between answer and correction (the residual), one row per span. */
export const RESIDUAL_OPS = {
  run_id: "string",
  /** The corrections' method ("aligner" or "aligner+copy-rule"). */
  method: "string",
  id: "string",
  upstream: "string",
  upstream_kind: "string",
  category: "string",
  /** keep, insert, delete or replace. */
  op: "string",
  /** Span position (token index) in the answer. */
  at: "int",
  /** Tokens taken out of the answer (space-joined; "" for insert). */
  removed: "string",
  /** Tokens put into the correction (space-joined; "" for delete). */
  added: "string",
  tokens: "int",
} as const satisfies Schema;

/** Weak-to-strong results, one row per run × method × round × dimension (empty when a preset does not run it). */
export const W2S = {
  run_id: "string",
  /** "weak" (the weak supervisor alone), "w2s" (the strong model SFT on weak corrections), "w2s-dpo" (DPO on (weak correction ≻ its
   * answer)), "w2s-dpo-nll" (the same pairs, DPO + NLL of the chosen: ours), "ceiling" (SFT on gold) and the baselines ("strong", "sft-own"). */
  method: "string",
  /** Correction round (1 for a single pass). */
  round: "int",
  /** "helpful" or "harmless". */
  dimension: "string",
  /** Mean oracle score after the method. */
  score: "float",
  omega: "float",
  omega_lo: "float",
  omega_hi: "float",
  /** Performance gap recovered, (P_w2s − P_weak) / (P_ceiling − P_weak); null when undefined. */
  pgr: "float",
  /** Why pgr is null ("ceiling does not beat weak"), else "". */
  pgr_note: "string",
} as const satisfies Schema;

/** The W2S rows per question category (category "all" repeats the W2S table). */
export const W2S_CATEGORIES = {
  ...W2S,
  /** A world category, or "all". */
  category: "string",
  /** Test questions in the group. */
  n: "int",
} as const satisfies Schema;

/**
 * The memorization check (loaders/experiment/memorization.ts): per category and shift, the share of
 * test golds and of Aligner outputs that occur verbatim among the training corrections.
 */
export const MEMORIZATION = {
  run_id: "string",
  /** A world category, or "all", or "non_refusal" (every category but harmful, the refusal subset). */
  category: "string",
  /** "iid", "ood", or "all". */
  shift: "string",
  /** Test rows (item × upstream) in the group. */
  n: "int",
  /** Share of the group's gold corrections found verbatim among the training corrections. */
  gold_memorized: "float",
  /** Share of the Aligner's first-round outputs found verbatim among the training corrections; null without an Aligner. */
  output_memorized: "float",
} as const satisfies Schema;

/**
 * An API judge's pairwise verdicts (the paper's GPT-4 protocol), one row per correction × dimension,
 * beside the oracle's verdict. Written to `tables/judgements.*` only by runs whose preset sets
 * `api.judge.use: "api"`; the site's copy is empty for other runs.
 */
export const JUDGEMENTS = {
  run_id: "string",
  /** The `corrections` row judged. */
  id: "string",
  upstream: "string",
  upstream_kind: "string",
  category: "string",
  /** "helpful" or "harmless". */
  dimension: "string",
  /** "answer-first" or "correction-first": which text the judge saw as response A (seeded per row). */
  order: "string",
  /** The parsed verdict token (responseA, responseB, Equal); null when the reply was malformed. */
  token: "string",
  /** The correction against the answer: win, tie or lose; null when malformed. */
  verdict: "string",
  /** The world oracle's verdict on the same pair. */
  oracle_verdict: "string",
  /** verdict = oracle_verdict; null when malformed. */
  agree: "bool",
  malformed: "bool",
  /** Why the reply was malformed, else "". */
  reason: "string",
  /** The judge's reply, verbatim. */
  raw: "string",
  judge_model: "string",
  /** The judge prompt's id (loaders/experiment/api/judge.ts). */
  prompt: "string",
  seed: "int",
} as const satisfies Schema;

/**
 * Imported datasets (`aligner import` into $ALIGNER_IMPORTS or runs/imports/), one row per imported
 * row, measured as `aligner metrics` measures them; empty when nothing is imported.
 */
export const IMPORTED = {
  /** The dataset: its Parquet file's name in the imports folder, without .parquet. */
  dataset: "string",
  /** Row id from the input (an id column), else row-N. */
  id: "string",
  /** 1-based row in the input file. */
  row: "int",
  /** The input file's name. */
  source: "string",
  /** The run that produced the row (AlpacaEval's generator; null when the input has none): the upstream filter of imported rows. */
  generator: "string",
  question: "string",
  /** The upstream model's answer. */
  answer: "string",
  /** The dataset's correction of the answer. */
  correction: "string",
  /** The correction equals the answer. */
  copy: "bool",
  /** Levenshtein(tokens(answer), tokens(correction)) / |tokens(answer)| on word tokens. */
  dl: "float",
  answer_tokens: "int",
  correction_tokens: "int",
  /** Unicode code points in the answer (AlpacaEval's avg_length counts these). */
  answer_chars: "int",
  /** Unicode code points in the correction. */
  correction_chars: "int",
  /** correction_tokens - answer_tokens. */
  length_change: "int",
  /** Comma-separated degenerate flags of the correction ("" when clean). */
  degenerate: "string",
} as const satisfies Schema;

/**
 * `aligner study`: one row per seed × method × upstream × shift × dimension (all categories), read from
 * each seed's `summary`: a whole run per seed (world, models and bootstrap). Upstream "all" pools every
 * answer; "mean" is the headline (the average of the per-upstream ω).
 */
export const STUDY = {
  /** The study: its preset's name. */
  preset: "string",
  /** "dev" or "test" (world.evalWorld). */
  eval_world: "string",
  seed: "int",
  /** The seed's run (its `summary` rows carry the same run_id). */
  run_id: "string",
  method: "string",
  upstream: "string",
  upstream_kind: "string",
  shift: "string",
  dimension: "string",
  n: "int",
  omega: "float",
  /** The seed's 95% question-clustered bootstrap interval of ω. */
  omega_lo: "float",
  omega_hi: "float",
  score_before: "float",
  score_after: "float",
  copy_rate: "float",
} as const satisfies Schema;

/** The study across seeds: one row per method × upstream × shift × dimension, ω's mean and spread over the seeds. */
export const STUDY_SUMMARY = {
  preset: "string",
  eval_world: "string",
  /** How many seeds, and which (comma-separated). */
  seeds: "int",
  seed_list: "string",
  method: "string",
  upstream: "string",
  upstream_kind: "string",
  shift: "string",
  dimension: "string",
  /** Mean of the seeds' ω. */
  omega_mean: "float",
  /** Sample standard deviation of the seeds' ω (0 with one seed). */
  omega_sd: "float",
  omega_min: "float",
  omega_max: "float",
  /** Mean over seeds of each seed's interval bounds (each seed's interval resamples its own questions). */
  omega_lo_mean: "float",
  omega_hi_mean: "float",
  /** Seeds whose interval lies wholly above 0, and wholly below it; the rest show no detectable change. */
  seeds_above_zero: "int",
  seeds_below_zero: "int",
} as const satisfies Schema;

export const TABLES = {
  runs: RUNS,
  corrections: CORRECTIONS,
  summary: SUMMARY,
  training: TRAINING,
  warmup_sweep: WARMUP_SWEEP,
  residual_ops: RESIDUAL_OPS,
  w2s: W2S,
  w2s_categories: W2S_CATEGORIES,
  memorization: MEMORIZATION,
  judgements: JUDGEMENTS,
  imported: IMPORTED,
  study: STUDY,
  study_summary: STUDY_SUMMARY,
} as const;

export type TableName = keyof typeof TABLES;

type ValueOf<T> = T extends "string" ? string : T extends "int" | "float" ? number : T extends "bool" ? boolean : never;
/** The row type of a table schema. */
export type RowOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> | null };

export type CorrectionTableRow = RowOf<typeof CORRECTIONS>;
export type SummaryRow = RowOf<typeof SUMMARY>;
export type TrainingRow = RowOf<typeof TRAINING>;
export type WarmupSweepRow = RowOf<typeof WARMUP_SWEEP>;
export type ResidualOpRow = RowOf<typeof RESIDUAL_OPS>;
export type W2sRow = RowOf<typeof W2S>;
export type W2sCategoryRow = RowOf<typeof W2S_CATEGORIES>;
export type MemorizationRow = RowOf<typeof MEMORIZATION>;
export type JudgementRow = RowOf<typeof JUDGEMENTS>;
export type ImportedTableRow = RowOf<typeof IMPORTED>;
export type StudyRow = RowOf<typeof STUDY>;
export type StudySummaryRow = RowOf<typeof STUDY_SUMMARY>;
