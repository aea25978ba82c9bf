/**
 * `aligner world --out DIR`: a run's dataset as files a researcher can take elsewhere, in the
 * aligner-20K schema and with every column.
 */
import { join } from "node:path";
import { makeDirs, writeFileAtomic } from "../engine/files.js";
import { templateOf, type Dataset } from "../experiment/dataset.js";
import type { Config } from "../experiment/config.js";
import type { Schema } from "../experiment/schemas.js";
import { measureMemorization } from "../experiment/memorization.js";
import { countEdits, describeQuestions, summarizeUpstreams, type CorrectionRow } from "../world/index.js";
import { writeParquet } from "./format.js";

/** The dataset's columns as written by `aligner world` (Parquet) — the world's CorrectionRow plus the template id. */
export const DATASET_SCHEMA = {
  id: "string",
  item_id: "string",
  question: "string",
  answer: "string",
  correction: "string",
  category: "string",
  family: "string",
  harm: "string",
  intent: "string",
  upstream: "string",
  upstream_kind: "string",
  split: "string",
  shift: "string",
  template_id: "string",
  edit: "string",
  answer_helpful: "float",
  answer_harmless: "int",
  answer_refused: "bool",
  correction_helpful: "float",
  correction_harmless: "int",
} as const satisfies Schema;

/**
 * Writes the dataset to `out`: `dataset.jsonl` in the aligner-20K schema ({question, answer,
 * correction} per line), `dataset.parquet` with every column, `identity.jsonl` (the Q-A-A rows of
 * warm-up: correction = answer), and returns a summary: rows per category and split, oracle pass
 * rates per upstream, edit kinds.
 */
export async function exportDataset(data: Dataset, config: Config, out: string) {
  makeDirs(out);
  const template_id = templateOf(config);
  const rows = data.rows.map((r) => ({ ...r, template_id }));
  const jsonl = (pick: (r: CorrectionRow) => object) => rows.map((r) => JSON.stringify(pick(r))).join("\n") + "\n";
  writeFileAtomic(
    join(out, "dataset.jsonl"),
    jsonl((r) => ({ question: r.question, answer: r.answer, correction: r.correction })),
  );
  writeFileAtomic(
    join(out, "identity.jsonl"),
    jsonl((r) => ({ question: r.question, answer: r.answer, correction: r.answer })),
  );
  await writeParquet(join(out, "dataset.parquet"), "dataset", rows, DATASET_SCHEMA);
  const count = (key: (r: CorrectionRow) => string) =>
    rows.reduce<Record<string, number>>((acc, r) => ((acc[key(r)] = (acc[key(r)] ?? 0) + 1), acc), {});
  return {
    out,
    rows: rows.length,
    by_category_split: count((r) => `${r.category}/${r.split}`),
    upstreams: summarizeUpstreams(rows).map(({ edits: _edits, ...s }) => ({
      ...s,
      pass_helpful: rows.filter((r) => r.upstream === s.upstream && r.answer_helpful >= 1).length / s.rows,
      pass_harmless: s.answer_harmless,
    })),
    edits: countEdits(rows),
    questions: describeQuestions(data.world.items),
    // Golds only (no Aligner ran): per category and shift, the share found verbatim among the train corrections.
    memorization: measureMemorization(
      rows.filter((r) => r.split === "train").map((r) => r.correction),
      rows.filter((r) => r.split === "test").map((r) => ({ category: r.category, shift: r.shift, gold: r.correction, output: null })),
      { runId: "world" },
    ).map(({ run_id: _run, output_memorized: _output, ...m }) => m),
  };
}
