// Pretrained bases (loaders/experiment/base.ts): the corpus holds train-range contents only, each model
// fine-tunes from a copy of its base, and the tiny-base preset runs end to end with the scratch ablation beside it.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { saveCheckpoint, loadCheckpoint } from "../../loaders/engine/checkpoint.js";
import { createModel, disposeModel, readParams } from "../../loaders/engine/model.js";
import { BOS_ID, EOS_ID } from "../../loaders/engine/tokenizer/bpe.js";
import { trainTokenizer } from "../../loaders/engine/tokenizer/train.js";
import { chatPrompt } from "../../loaders/engine/lm.js";
import { baseCorpus, baseItems, documentExample, fineTuneSettings, startingModel, trainRangeOnly } from "../../loaders/experiment/base.js";
import { DEFAULTS, loadPreset, validateConfig, type Config } from "../../loaders/experiment/config.js";
import type { RunRecord } from "../../loaders/experiment/pipeline/runs.js";
import { materializeRun } from "../../loaders/tables/materialize.js";
import { fromArrow } from "../../loaders/tables/format.js";
import { questionRange } from "../../loaders/world/index.js";
import { useBackend } from "../_tf.js";

const bases = { ...DEFAULTS.bases, corpus: { ...DEFAULTS.bases.corpus, questions: 600 } };

describe("the base corpus", () => {
  const items = baseItems(bases);
  const docs = baseCorpus(bases, items);

  it("is written from train-range questions only, one document per question", () => {
    expect(items).toHaveLength(600);
    expect(trainRangeOnly(items)).toBe(true);
    expect(items.every((i) => i.split === "train" && questionRange(i) === "train")).toBe(true);
    expect(docs.map((d) => d.item_id)).toEqual(items.map((i) => i.id));
  });

  it("mixes the three kinds by their shares, and is the same for the same seed", () => {
    const share = (kind: string) => docs.filter((d) => d.kind === kind).length / docs.length;
    expect(share("qa")).toBeGreaterThan(0.5);
    expect(share("qa")).toBeLessThan(0.7);
    expect(share("facts")).toBeGreaterThan(0.12);
    expect(share("copy")).toBeGreaterThan(0.12);
    expect(baseCorpus(bases, items)).toEqual(docs);
    expect(baseCorpus({ ...bases, seed: bases.seed + 1 }, items)).not.toEqual(docs);
    const only = baseCorpus({ ...bases, corpus: { ...bases.corpus, qa: 0, facts: 0, copy: 1 } }, items);
    expect(only.every((d) => d.kind === "copy")).toBe(true);
  });

  it("answers questions in the chat format in several styles, the gold among them", () => {
    const qa = docs.filter((d) => d.kind === "qa");
    const byId = new Map(items.map((i) => [i.id, i]));
    expect(qa.every((d) => d.text.startsWith(`${chatPrompt(byId.get(d.item_id)!.question)} `))).toBe(true);
    const golds = qa.filter((d) => d.text.endsWith(` ${byId.get(d.item_id)!.gold}`)).length;
    expect(golds / qa.length).toBeGreaterThan(0.05); // the gold is one style of several
    expect(golds / qa.length).toBeLessThan(0.5);
  });

  it("repeats a span behind a cue in copy documents, and states exact-answer golds in facts documents", () => {
    for (const d of docs.filter((x) => x.kind === "copy")) {
      const [first, second] = d.text.split("\n");
      expect(second!.endsWith(first!)).toBe(true);
    }
    const exactGolds = new Set(items.filter((i) => i.facts.kind === "number" || i.facts.kind === "word").map((i) => i.gold));
    for (const d of docs.filter((x) => x.kind === "facts")) expect([...exactGolds].some((g) => d.text.startsWith(g))).toBe(true);
  });

  it("trains on every token of a document: the prompt is BOS alone, the target ends with EOS", () => {
    const tok = trainTokenizer(
      docs.slice(0, 50).map((d) => d.text),
      { vocabSize: 300 },
    );
    const ex = documentExample(tok, docs[0]!.text);
    expect(ex.prompt).toEqual([BOS_ID]);
    expect(ex.target.at(-1)).toBe(EOS_ID);
    expect(tok.decode(ex.target.slice(0, -1))).toBe(docs[0]!.text);
  });
});

describe("starting from a base", () => {
  beforeAll(() => useBackend("wasm"));

  it("copies the base's weights (a fresh model otherwise) and refuses another vocabulary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aligner-base-"));
    const size = { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 32 };
    const base = createModel({ vocabSize: 64, ...size }, { seed: 3 });
    await saveCheckpoint(join(dir, "model"), base);
    const want = readParams(base);
    disposeModel(base);
    const fromBase = await startingModel({ dir }, 64, { ...size, dModel: 32 }, 9); // the base's size, not the one asked
    expect(readParams(fromBase)).toEqual(want);
    disposeModel(fromBase);
    const fresh = await startingModel(null, 64, size, 9);
    expect(readParams(fresh)).not.toEqual(want);
    disposeModel(fresh);
    await expect(startingModel({ dir }, 65, size, 9)).rejects.toThrow(/vocabulary \(64\) is not the run's \(65\)/);
    expect((await loadCheckpoint(join(dir, "model"))).config.dModel).toBe(16);
  });

  it("fine-tunes at bases.fineTuneLrScale × the stage's learning rate, from scratch at its own", () => {
    const train = { steps: 10, lr: 2e-3 };
    expect(fineTuneSettings(train, { dir: "x" }, DEFAULTS)).toEqual({ steps: 10, lr: 2e-3 * DEFAULTS.bases.fineTuneLrScale });
    expect(fineTuneSettings(train, null, DEFAULTS)).toBe(train);
  });

  it("checks the preset's base keys, naming the key", () => {
    const config = (patch: Partial<Config>) => validateConfig({ ...structuredClone(DEFAULTS), ...patch }, "p.json");
    expect(() => config({ base: "gemma" as Config["base"] })).toThrow(/p\.json: "base" must be one of none\|world, got "gemma"/);
    expect(() => config({ bases: { ...DEFAULTS.bases, corpus: { ...DEFAULTS.bases.corpus, qa: 0, facts: 0, copy: 0 } } })).toThrow(
      /"bases\.corpus"/,
    );
    expect(() =>
      config({ bases: { ...DEFAULTS.bases, small: { ...DEFAULTS.bases.small, model: { ...DEFAULTS.bases.small.model, dModel: 30 } } } }),
    ).toThrow(/"bases\.small\.model\.dModel"/);
    expect(() => config({ bases: { ...DEFAULTS.bases, fineTuneLrScale: 0 } })).toThrow(/"bases\.fineTuneLrScale"/);
    expect(config({ base: "world" }).base).toBe("world");
  });
});

describe("the tiny-base preset end to end", () => {
  let record: RunRecord;
  let root: string;
  const table = (name: string) => fromArrow(readFileSync(join(root, "tiny-base", "tables", `${name}.arrow`)));
  const preset = loadPreset("tiny-base");

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "aligner-base-run-"));
    process.env.ALIGNER_RUNS = root;
    record = await materializeRun(preset);
  }, 300_000);

  it("pretrains both bases once, under the runs root, and fine-tunes every model from them", () => {
    const names = record.stages!.map((s) => s.name);
    for (const s of ["base-tokenizer", "base-small", "base-large", "aligner", "aligner-scratch", "correct-scratch"])
      expect(names).toContain(s);
    expect(names.filter((n) => n === "base-small")).toHaveLength(1);
    const folder = (name: string) => record.stages!.find((s) => s.name === name)!.folder!;
    // the bases live under the runs root, shared by every run with the same base settings; the rest in the run's folder
    const stage = (name: string) => join(root, ...(name.startsWith("base-") ? ["bases"] : ["tiny-base"]), "stages", folder(name));
    const config = (name: string) => JSON.parse(readFileSync(join(stage(name), "model", "config.json"), "utf-8"));
    const small = preset.config.bases.small.model;
    const large = preset.config.bases.large.model;
    // the zoo LM and the Aligner have the small base's size, the strong model the large one's; the scratch Aligner aligner.model's
    expect(config("zoo-lm_unsafe").n_embd).toBe(small.dModel);
    expect(config("aligner").n_embd).toBe(small.dModel);
    expect(config("aligner").aligner.extra.base).toMatch(/^base-small-/);
    expect(config("w2s-strong")).toMatchObject({ n_embd: large.dModel, n_layer: large.nLayers });
    expect(config("aligner-scratch").aligner.extra.base).toBeNull();
    expect(config("aligner-scratch").n_embd).toBe(preset.config.aligner.model.dModel);
    // a Hugging Face-style base checkpoint: weights, config and tokenizer
    for (const f of ["model.safetensors", "config.json", "tokenizer.json"])
      expect(readFileSync(join(stage("base-small"), "model", f)).length).toBeGreaterThan(0);
  });

  it("corrects the same answers from scratch beside the base Aligner (method aligner-scratch), and logs the base curves", () => {
    const corrections = table("corrections");
    const ids = (m: string) => corrections.filter((r) => r.method === m).map((r) => r.id);
    expect(ids("aligner-scratch")).toEqual(ids("aligner"));
    expect(ids("aligner").length).toBeGreaterThan(0);
    expect(new Set(table("summary").map((r) => r.method))).toContain("aligner-scratch");
    const training = table("training");
    const models = new Set(training.map((r) => `${r.model}/${r.stage}`));
    for (const m of ["base:small/pretrain", "base:large/pretrain", "aligner-scratch/main", "aligner/main"]) expect(models).toContain(m);
    const curve = training.filter((r) => r.model === "base:small");
    expect(curve).toHaveLength(preset.config.bases.small.train.steps);
    expect(curve.some((r) => r.val_loss !== null)).toBe(true);
  });
});
