/**
 * The Playground's files for the site (src/data/playground/*.ts): the run's Aligner checkpoint
 * (model.safetensors, config.json, tokenizer.json, copied as they are), the world's items for the
 * oracle, and meta.json: what the page needs to correct as the run did (template, decoding, seed, copy
 * rule) and whether the Playground is on. The size guard: when the checkpoint is larger than the
 * preset's `site.playgroundMaxBytes` (0: always off), the Playground is off and the model files are
 * empty; the build prints how many bytes the model adds either way.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createLogger, type Logger } from "../engine/log.js";
import type { DecodingSettings } from "../engine/lm.js";
import { loadPreset } from "../experiment/config.js";
import type { CopyRule } from "../experiment/copy-rule.js";
import { TEMPLATE_IDS } from "../experiment/templates.js";
import { runDir, type RunRecord } from "../experiment/pipeline/runs.js";
import type { WorldItem } from "../world/types.js";
import type { PlaygroundItem } from "./playground-core.js";
import { siteTable } from "./site.js";

/** The checkpoint files the page loads, in the order the build reports them. */
export const CHECKPOINT_FILES = ["model.safetensors", "config.json", "tokenizer.json"] as const;
export type CheckpointFile = (typeof CHECKPOINT_FILES)[number];

export interface PlaygroundMeta {
  enabled: boolean;
  /** Why the Playground is off (null when on). */
  reason: string | null;
  run_id: string | null;
  preset: string;
  /** The Aligner's stage folder, e.g. "aligner-8e71a3cad503". */
  aligner: string | null;
  template: string | null;
  /** Every template the page offers (the Aligner learned `template`). */
  templates: string[];
  /** The Aligner's context length: prompt and correction together. */
  max_len: number | null;
  seed: number | null;
  decoding: DecodingSettings | null;
  copy_candidate: boolean;
  copy_rule: CopyRule | null;
  /** Bytes per checkpoint file, their sum, and the preset's limit. */
  bytes: Record<CheckpointFile, number> & { total: number; limit: number };
}

interface Located {
  meta: PlaygroundMeta;
  /** Folders of the Aligner's checkpoint and of the world (null when the Playground is off). */
  model: string | null;
  world: string | null;
}

const _noBytes = (limit: number) => ({ "model.safetensors": 0, "config.json": 0, "tokenizer.json": 0, total: 0, limit });

/** Finds the run's Aligner (running the preset first if its tables are not current) and applies the size guard. */
export async function locatePlayground(log: Logger = createLogger("playground")): Promise<Located> {
  const preset = loadPreset();
  const limit = preset.config.site.playgroundMaxBytes;
  const off = (reason: string, extra: Partial<PlaygroundMeta> = {}): Located => {
    log.info(`playground off: ${reason}`);
    const base = {
      run_id: null,
      aligner: null,
      template: null,
      templates: TEMPLATE_IDS,
      max_len: null,
      seed: null,
      decoding: null,
      copy_candidate: false,
      copy_rule: null,
    };
    return { meta: { enabled: false, reason, preset: preset.name, ...base, bytes: _noBytes(limit), ...extra }, model: null, world: null };
  };
  if (process.env.ALIGNER_TABLES_DIR) return off("the site publishes fixed tables ($ALIGNER_TABLES_DIR), with no Aligner checkpoint");
  await siteTable("runs", log); // the preset's run, current (every run writes `runs`)
  const record = JSON.parse(readFileSync(join(runDir(preset.name), "run.json"), "utf-8")) as RunRecord;
  const folder = (name: string) => record.stages?.find((s) => s.name === name)?.folder ?? null;
  const aligner = folder("aligner");
  const world = folder("world");
  if (!aligner || !world)
    return off(`${record.run_id} has no local Aligner stage on record (an API corrector, or run.json predates stage folders)`);
  const model = join(runDir(preset.name), "stages", aligner, "model");
  const missing = CHECKPOINT_FILES.filter((f) => !existsSync(join(model, f)));
  if (missing.length) return off(`${model}: missing ${missing.join(", ")}`);
  const sizes = Object.fromEntries(CHECKPOINT_FILES.map((f) => [f, statSync(join(model, f)).size])) as Record<CheckpointFile, number>;
  const total = CHECKPOINT_FILES.reduce((n, f) => n + sizes[f], 0);
  const bytes = { ...sizes, total, limit };
  const described = {
    run_id: record.run_id,
    aligner,
    template: record.template,
    templates: TEMPLATE_IDS,
    max_len: record.config.aligner.model.maxLen,
    seed: record.seed,
    decoding: record.config.aligner.decoding,
    copy_candidate: record.config.aligner.copyCandidate,
    copy_rule: record.copy_rule ? { margin: record.copy_rule.margin, minTokenProb: record.copy_rule.minTokenProb } : null,
    bytes,
  };
  const sizesText = CHECKPOINT_FILES.map((f) => `${f} ${sizes[f].toLocaleString("en-US")}`).join(", ");
  if (limit === 0) return off(`site.playgroundMaxBytes is 0 (the Aligner would add ${total.toLocaleString("en-US")} bytes)`, described);
  if (total > limit)
    return off(
      `the Aligner's checkpoint is ${total.toLocaleString("en-US")} bytes, over site.playgroundMaxBytes ${limit.toLocaleString("en-US")}`,
      described,
    );
  log.info(`playground: the Aligner (${aligner}) adds ${total.toLocaleString("en-US")} bytes to the site (${sizesText})`);
  return {
    meta: { enabled: true, reason: null, preset: preset.name, ...described },
    model,
    world: join(runDir(preset.name), "stages", world),
  };
}

/** meta.json */
export async function playgroundMeta(): Promise<string> {
  return `${JSON.stringify((await locatePlayground()).meta, null, 2)}\n`;
}

/** One checkpoint file as the run wrote it; empty when the Playground is off. */
export async function playgroundCheckpointFile(file: CheckpointFile): Promise<Uint8Array> {
  const { model } = await locatePlayground(createLogger("playground", "warn"));
  return model ? readFileSync(join(model, file)) : new Uint8Array();
}

/** items.json: the world's items as the oracle needs them (no golds); [] when the Playground is off. */
export async function playgroundItems(): Promise<string> {
  const { world } = await locatePlayground(createLogger("playground", "warn"));
  if (!world) return "[]\n";
  const items = JSON.parse(readFileSync(join(world, "items.json"), "utf-8")) as WorldItem[];
  const published: PlaygroundItem[] = items.map(({ id, question, intent, facts, category, split }) => ({
    id,
    question,
    intent,
    facts,
    category,
    split,
  }));
  return `${JSON.stringify(published)}\n`;
}
