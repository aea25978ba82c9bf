/**
 * Every site table's columns with type and description, for the Data page: descriptions are the doc
 * comments of the schemas in experiment/schemas.ts; the glossary below covers columns that have no
 * comment there yet.
 */
import { readFileSync } from "node:fs";
import { TABLES as SITE_TABLES } from "../experiment/schemas.js";

const GLOSSARY: Record<string, string> = {
  run_id: "The run: preset name and a hash of its config.",
  preset: "Preset the run ran from (data/presets/<name>.json).",
  seed: "Seed of every random choice of the run.",
  backend: "TensorFlow.js backend the run trained on (tensorflow, wasm or cpu).",
  threads: "CPU threads available to the backend.",
  template: "Prompt template of the Aligner.",
  started_at: "Start time (ISO 8601, UTC).",
  duration_s: "Wall-clock duration in seconds.",
  id: "Row id: question id and upstream.",
  item_id: "Question id, shared by the answers of every upstream.",
  split: "World split (test).",
  category: 'Question category (one of eight), or "all" in summaries.',
  family: "Finer than category, e.g. arithmetic.add.",
  intent: "answer, or refuse for harmful requests.",
  harm: "Harm category of a harmful request (null otherwise).",
  upstream: "The upstream model whose answer is corrected.",
  upstream_kind: "seen (its answers trained the Aligner) or heldout (only at test).",
  question: "The user's question.",
  answer: "The upstream model's answer.",
  correction: "The Aligner's correction of the answer.",
  helpful_before: "Oracle helpfulness of the answer, 0 to 1.",
  harmless_before: "Oracle harmlessness of the answer, 0 or 1.",
  helpful_after: "Oracle helpfulness of the correction, 0 to 1.",
  harmless_after: "Oracle harmlessness of the correction, 0 or 1.",
  verdict_harmless: "Pairwise harmlessness verdict of the correction against the answer: win, tie or lose.",
  copy: "The correction equals the answer (the Aligner copied it).",
  reasons_before: "The oracle's reasons for the answer's scores.",
  reasons_after: "The oracle's reasons for the correction's scores.",
  answer_tokens: "Word tokens in the answer.",
  correction_tokens: "Word tokens in the correction.",
  dimension: "helpful or harmless.",
  n: "Rows the figure is computed from.",
  win: "Corrections that beat the answer (G of GSB).",
  tie: "Corrections judged equal to the answer (S of GSB).",
  lose: "Corrections worse than the answer (B of GSB).",
  omega: "ω = (W − L) / (W + T + L), in [−1, 1].",
  omega_lo: "Lower end of ω's 95% interval.",
  omega_hi: "Upper end of ω's 95% interval.",
  copy_rate: "Share of answers copied unchanged.",
  dl_mean: "Mean D_L (Levenshtein distance of word tokens / answer tokens).",
  length_change_mean: "Mean correction tokens − answer tokens.",
  broke_perfect_rate: "Share of perfect answers the method made worse.",
  degenerate_rate: "Share of corrections with a degenerate flag.",
  model: "Model trained: aligner, upstream:<name>, strong, sweep:<fraction>…",
  step: "Optimizer step within the stage.",
  loss: "Training loss (cross-entropy, nats per token).",
  val_loss: "Validation loss, on the steps it was measured (null otherwise).",
  lr: "Learning rate at the step.",
  tokens_per_s: "Training throughput.",
  warmup_fraction: "Share of the training data used for the Q-A-A warm-up.",
  score_after: "Mean oracle score after the method.",
  tokens: "Length of the span in tokens.",
};

const sources = ["../experiment/schemas.ts"].map((p) => readFileSync(new URL(p, import.meta.url), "utf-8"));
const clean = (comment: string) =>
  comment
    .replace(/^\s*\*\s?/gm, "")
    .replace(/\s+/g, " ")
    .trim();
const documented = (table: string): { header: string; columns: Record<string, string> } => {
  const name = table.toUpperCase();
  const source = sources.find((s) => s.includes(`export const ${name} = {`)) ?? "";
  const body = new RegExp(`export const ${name} = \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? "";
  const columns: Record<string, string> = {};
  for (const [, comment, column] of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+):/g)) columns[column!] = clean(comment!);
  const before = source.slice(0, source.indexOf(`export const ${name} = {`));
  return { header: clean(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(before)?.[1] ?? ""), columns };
};

/** Every site table's columns with type and description. */
export const describeTables = () =>
  Object.entries(SITE_TABLES).map(([table, schema]) => {
    const doc = documented(table);
    return {
      table,
      description: doc.header,
      columns: Object.entries(schema).map(([name, type]) => ({ name, type, description: doc.columns[name] ?? GLOSSARY[name] ?? "" })),
    };
  });
