/**
 * The models `aligner serve` offers, found by scanning a run folder once at start-up: the trained
 * Aligner (`stages/aligner-<hash>/model/`) and each zoo LM upstream (`stages/zoo-<name>-<hash>/model/`).
 * Requests name a model by id and the id is looked up in this table; a path is never built from a
 * request, so no model name can reach the file system.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadCheckpoint } from "../engine/checkpoint.js";
import { disposeModel, type GPT } from "../engine/model.js";
import { TEMPLATE_IDS, type TemplateId } from "../experiment/templates.js";
import { type Tokenizer } from "../engine/tokenizer/bpe.js";
import { fromTokenizerJson } from "../engine/tokenizer/json.js";

/** A user-facing failure of `aligner serve` (bad run folder, bad option); the CLI prints its message. */
export class ServeError extends Error {
  override name = "ServeError";
}

export interface ModelEntry {
  /** The model id requests use (`aligner`, `lm_unsafe`, …). */
  id: string;
  /** Other ids for the same model (`aligner/aligner-v1.0`). */
  aliases: string[];
  kind: "aligner" | "upstream";
  /** The checkpoint folder. */
  dir: string;
  /** When its stage finished (seconds since the epoch): OpenAI's `created`. */
  created: number;
}

export interface ServedModel extends ModelEntry {
  model: GPT;
  tok: Tokenizer;
  /** The longest sequence (prompt + completion) the model takes. */
  maxLen: number;
  /** The Aligner's prompt template, as recorded in its checkpoint. */
  template?: TemplateId;
}

const STAGE = /^(aligner|zoo-([A-Za-z0-9_.]+))-[0-9a-f]{12}$/;

/**
 * The finished model stages of a run, one per model: where a config change left several stages of the
 * same model behind, the most recently finished one.
 */
export function scanRun(runDir: string): ModelEntry[] {
  const stages = join(runDir, "stages");
  if (!existsSync(stages)) throw new ServeError(`${runDir}: not a run folder (no stages/; make one with \`aligner run --out DIR\`)`);
  const newest = new Map<string, ModelEntry>();
  for (const name of readdirSync(stages).sort()) {
    const match = STAGE.exec(name);
    const done = join(stages, name, "done.json");
    const dir = join(stages, name, "model");
    if (!match || !existsSync(done) || !existsSync(join(dir, "config.json"))) continue;
    const id = match[2] ?? "aligner";
    const created = Math.floor(statSync(done).mtimeMs / 1000);
    const seen = newest.get(id);
    if (!seen || created > seen.created) newest.set(id, { id, aliases: [], kind: match[2] ? "upstream" : "aligner", dir, created });
  }
  if (newest.size === 0) throw new ServeError(`${runDir}: no finished aligner-* or zoo-* stage with a model/ folder`);
  return [...newest.values()].sort((a, b) => (a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind === "aligner" ? -1 : 1));
}

/** Loads every entry's checkpoint and tokenizer; the Aligner also answers to `aligner/<template>`. */
export async function loadModels(entries: readonly ModelEntry[]): Promise<ServedModel[]> {
  const served: ServedModel[] = [];
  try {
    for (const entry of entries) {
      const ckpt = await loadCheckpoint(entry.dir);
      let tok: Tokenizer;
      try {
        if (ckpt.tokenizerJson === undefined) throw new ServeError(`${entry.dir}: no tokenizer.json beside the weights`);
        tok = fromTokenizerJson(ckpt.tokenizerJson);
      } catch (error) {
        disposeModel(ckpt.model);
        throw error;
      }
      const model: ServedModel = { ...entry, aliases: [...entry.aliases], model: ckpt.model, tok, maxLen: ckpt.config.maxLen };
      served.push(model);
      const template = ckpt.extra.template;
      if (entry.kind === "aligner" && typeof template === "string" && (TEMPLATE_IDS as string[]).includes(template)) {
        model.template = template as TemplateId;
        model.aliases.push(`aligner/${template}`);
      }
    }
  } catch (error) {
    unloadModels(served);
    throw error;
  }
  return served;
}

export function unloadModels(models: readonly ServedModel[]): void {
  for (const m of models) disposeModel(m.model);
}

/** id or alias → model. */
export function modelTable(models: readonly ServedModel[]): ReadonlyMap<string, ServedModel> {
  return new Map(models.flatMap((m) => [m.id, ...m.aliases].map((id) => [id, m] as const)));
}
