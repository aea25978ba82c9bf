import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS, PRESETS_DIR, flattenConfig, listPresets, loadPreset, validateConfig } from "../../loaders/experiment/config.js";
import { ConfigError, mergeConfig } from "../../loaders/engine/settings.js";

const presetFile = (body: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "aligner-preset-")), "p.json");
  writeFileSync(file, body);
  return file;
};

describe("mergeConfig", () => {
  it("overrides only the keys a preset names, recursively", () => {
    const merged = mergeConfig(DEFAULTS, { world: { testQuestions: 7 } });
    expect(merged.world).toEqual({ ...DEFAULTS.world, testQuestions: 7 });
    expect(merged.seed).toBe(DEFAULTS.seed);
    expect(DEFAULTS.world.testQuestions).not.toBe(7); // defaults untouched
  });

  it("ignores _comment keys", () => {
    expect(mergeConfig(DEFAULTS, { _why: "because", seed: 3 }).seed).toBe(3);
  });

  it.each([
    [{ sede: 1 }, /unknown key "sede"/],
    [{ world: { trainQuestion: 1 } }, /unknown key "world\.trainQuestion"/],
    [{ seed: "1" }, /"seed" must be number, got string/],
    [{ world: 5 }, /world must be an object, got number/],
    [{ backend: ["wasm"] }, /"backend" must be string, got array/],
    [{ constructor: 1 }, /unknown key "constructor"/],
    [{ toString: "x" }, /unknown key "toString"/],
    [{ world: { hasOwnProperty: 1 } }, /unknown key "world\.hasOwnProperty"/],
  ])("rejects %j naming the key", (override, message) => {
    expect(() => mergeConfig(DEFAULTS, override, "p.json")).toThrow(ConfigError);
    expect(() => mergeConfig(DEFAULTS, override, "p.json")).toThrow(message);
  });
});

describe("loadPreset", () => {
  const saved = process.env.ALIGNER_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.ALIGNER_BACKEND;
    else process.env.ALIGNER_BACKEND = saved;
  });

  it("lists every preset file by name, sorted and merged, the ones tests and docs use among them", () => {
    const names = listPresets().map((p) => p.name);
    const files = readdirSync(PRESETS_DIR)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.replace(/\.json$/, ""));
    expect(names).toEqual([...files].sort());
    expect(names).toEqual(expect.arrayContaining(["default", "http", "quick", "tiny"]));
    for (const preset of listPresets()) expect(preset.file).toBe(join(PRESETS_DIR, `${preset.name}.json`));
    expect(loadPreset("tiny").config.world.trainQuestions).toBeLessThan(loadPreset("default").config.world.trainQuestions);
  });

  it.each([
    ['{"seed": 1,}', /:1:12: not valid JSON: Expected double-quoted property name$/],
    ['{\n  "seed": 1,\n  "world": x\n}', /:3:12: not valid JSON: Unexpected token 'x'$/],
    ['{"backend": "tpu"}', /"backend" must be one of auto\|tensorflow\|wasm\|cpu/],
    ['{"world": {"testQuestions": 0}}', /"world.testQuestions" must be a positive integer/],
    ["[1, 2]", /top level must be an object/],
    ['{"aligner": {"copyMargins": []}}', /"aligner.copyMargins" needs at least one margin/],
    ['{"aligner": {"copyMargins": [0, -1]}}', /"aligner.copyMargins\[1\]" must be a finite number ≥ 0, got -1/],
    ['{"aligner": {"copyMinTokenProbs": [1]}}', /"aligner.copyMinTokenProbs\[0\]" must be a number in \[0, 1\), got 1/],
    ['{"aligner": {"answersPerQuestion": 1.5}}', /"aligner.answersPerQuestion" must be an integer ≥ 0 \(0: all\), got 1.5/],
    ['{"aligner": {"train": {"lossTruncation": 1}}}', /"aligner.train.lossTruncation" must be a number in \[0, 1\)/],
  ])("rejects the file %s naming the file and key", (body, message) => {
    const file = presetFile(body);
    expect(() => loadPreset(file)).toThrow(message);
    expect(() => loadPreset(file)).toThrow(file);
  });

  it.each([
    ['{"world": {"trainQuestions": 100000000}}', /"world.trainQuestions" must be a positive integer and ≤ 100,000, got 100000000/],
    ['{"world": {"trainQuestions": 1e12}}', /"world.trainQuestions" must be a positive integer and ≤ 100,000/],
    ['{"world": {"trainQuestions": 90000, "testQuestions": 20000}}', /"world.trainQuestions" \+ "world.testQuestions" must be ≤ 100000/],
    ['{"tokenizer": {"vocabSize": 1000000}}', /"tokenizer.vocabSize" must be a positive integer and ≤ 65,536/],
    ['{"aligner": {"model": {"dModel": 1048576}}}', /"aligner.model.dModel" must be a positive integer and ≤ 8,192/],
    ['{"aligner": {"model": {"nLayers": 1000}}}', /"aligner.model.nLayers" must be a positive integer and ≤ 128/],
    ['{"aligner": {"model": {"nHeads": 0}}}', /"aligner.model.nHeads" must be a positive integer/],
    ['{"aligner": {"model": {"maxLen": 100000}}}', /"aligner.model.maxLen" must be a positive integer and ≤ 8,192/],
    [
      '{"aligner": {"model": {"dModel": 8192, "nHeads": 4, "nLayers": 64}}}',
      /"aligner.model" has ~5.2e\+10 parameters, over the limit of 1e\+9/,
    ],
    ['{"aligner": {"train": {"steps": 0}}}', /"aligner.train.steps" must be a positive integer/],
    ['{"aligner": {"train": {"steps": 1e9}}}', /"aligner.train.steps" must be a positive integer and ≤ 1,000,000/],
    ['{"aligner": {"train": {"batchSize": 100000}}}', /"aligner.train.batchSize" must be a positive integer and ≤ 4,096/],
    ['{"aligner": {"train": {"lr": -0.001}}}', /"aligner.train.lr" must be > 0 and finite, got -0.001/],
    ['{"aligner": {"train": {"lr": 1e999}}}', /"aligner.train.lr" must be > 0 and finite, got null/],
    ['{"zoo": {"train": {"weightDecay": -0.1}}}', /"zoo.train.weightDecay" must be ≥ 0 and finite/],
    ['{"zoo": {"train": {"lrWarmupRatio": 2}}}', /"zoo.train.lrWarmupRatio" must be in \[0, 1\] and finite/],
    ['{"aligner": {"train": {"evalEvery": -1}}}', /"aligner.train.evalEvery" must be a non-negative integer/],
    ['{"zoo": {"train": {"checkpointEvery": 2.5}}}', /"zoo.train.checkpointEvery" must be a non-negative integer/],
    ['{"aligner": {"decoding": {"temperature": -1}}}', /"aligner.decoding.temperature" must be ≥ 0 and finite/],
    ['{"zoo": {"decoding": {"topP": 5}}}', /"zoo.decoding.topP" must be in \(0, 1\] and finite, got 5/],
    ['{"zoo": {"decoding": {"topP": 0}}}', /"zoo.decoding.topP" must be in \(0, 1\]/],
    ['{"zoo": {"decoding": {"topK": 1.5}}}', /"zoo.decoding.topK" must be a non-negative integer/],
    ['{"aligner": {"decoding": {"maxNewTokens": 0}}}', /"aligner.decoding.maxNewTokens" must be a positive integer/],
    ['{"aligner": {"decoding": {"batchSize": 1e6}}}', /"aligner.decoding.batchSize" must be a positive integer and ≤ 4,096/],
    ['{"seed": -1.5}', /"seed" must be a non-negative integer and ≤ 4,294,967,295, got -1.5/],
    ['{"seed": 1e20}', /"seed" must be a non-negative integer/],
    ['{"zoo": {"models": [1]}}', /"zoo.models\[0\]" must be one of lm_unsafe, lm_refuser, lm_sloppy, got 1/],
    ['{"zoo": {"models": ["lm_nobody"]}}', /"zoo.models\[0\]" must be one of .*got "lm_nobody"/],
    ['{"zoo": {"models": ["lm_unsafe", "lm_unsafe"]}}', /"zoo.models\[1\]" must be named once/],
    ['{"aligner": {"rounds": 1000}}', /"aligner.rounds" must be a positive integer and ≤ 100/],
    ['{"warmupSweep": {"steps": 0}}', /"warmupSweep.steps" must be a positive integer/],
    ['{"warmupSweep": {"lr": 0}}', /"warmupSweep.lr" must be > 0/],
    ['{"warmupSweep": {"model": {"dModel": 1048576}}}', /"warmupSweep.model.dModel" must be a positive integer and ≤ 8,192/],
    ['{"warmupSweep": {"testQuestions": 0}}', /"warmupSweep.testQuestions" must be a positive integer/],
    ['{"w2s": {"model": {"nLayers": 1000}}}', /"w2s.model.nLayers" must be a positive integer and ≤ 128/],
    ['{"w2s": {"pretrain": {"lr": -1}}}', /"w2s.pretrain.lr" must be > 0 and finite/],
    ['{"w2s": {"sft": {"steps": 1e7}}}', /"w2s.sft.steps" must be a positive integer and ≤ 1,000,000/],
    ['{"w2s": {"sft": {"weightDecay": -1}}}', /"w2s.sft.weightDecay" must be ≥ 0/],
    ['{"w2s": {"dpo": {"lr": 0}}}', /"w2s.dpo.lr" must be > 0/],
    ['{"w2s": {"dpo": {"batchSize": 1e6}}}', /"w2s.dpo.batchSize" must be a positive integer and ≤ 4,096/],
    ['{"w2s": {"dpo": {"sftWeight": -1}}}', /"w2s.dpo.sftWeight" must be ≥ 0/],
    ['{"w2s": {"decoding": {"topP": 1.5}}}', /"w2s.decoding.topP" must be in \(0, 1\]/],
    ['{"w2s": {"trainTemperature": -0.5}}', /"w2s.trainTemperature" must be ≥ 0/],
    ['{"w2s": {"minGap": 2}}', /"w2s.minGap" must be in \[0, 1\)/],
    ['{"w2s": {"trainQuestions": 1e9}}', /"w2s.trainQuestions" must be a non-negative integer and ≤ 100,000/],
    ['{"w2s": {"corpus": [{"upstream": "verbose", "share": 1, "weight": 2}]}}', /unknown key "w2s.corpus\[0\].weight"/],
    ['{"api": {"judge": {"concurrency": 0}}}', /"api.judge.concurrency" must be a positive integer and ≤ 256/],
    ['{"api": {"corrector": {"retries": -1}}}', /"api.corrector.retries" must be a non-negative integer/],
    ['{"api": {"corrector": {"timeoutMs": 1e10}}}', /"api.corrector.timeoutMs" must be a positive integer and ≤ 3,600,000/],
    ['{"api": {"judge": {"temperature": -1}}}', /"api.judge.temperature" must be ≥ 0/],
    ['{"api": {"corrector": {"truncatePromptTokens": -1}}}', /"api.corrector.truncatePromptTokens" must be a non-negative integer/],
    [
      '{"api": {"upstreams": [{"name": "a", "truncatePromptTokens": 1.5}]}}',
      /"api.upstreams\[0\].truncatePromptTokens" must be a non-negative integer/,
    ],
    [
      '{"api": {"upstreams": [{"name": "a", "maxTokens": 1e9}]}}',
      /"api.upstreams\[0\].maxTokens" must be a positive integer and ≤ 1,048,576/,
    ],
  ])("refuses %s up front, naming the real dotted key and its limit", (body, message) => {
    const file = presetFile(body);
    expect(() => loadPreset(file)).toThrow(ConfigError);
    expect(() => loadPreset(file)).toThrow(message);
  });

  it("keeps the defaults and every shipped preset within the limits, unchanged by the checks", () => {
    for (const preset of listPresets()) {
      const raw = JSON.parse(readFileSync(preset.file, "utf-8"));
      expect(validateConfig(structuredClone(preset.config), preset.file)).toEqual(preset.config);
      expect(preset.config).toEqual(validateConfig(mergeConfig(DEFAULTS, raw, preset.file), preset.file));
    }
    expect(validateConfig(structuredClone(DEFAULTS))).toEqual(DEFAULTS);
  });

  it("names a missing preset", () => {
    expect(() => loadPreset("nope")).toThrow(/preset "nope": no file .*nope\.json/);
  });

  it("lets ALIGNER_BACKEND override the preset's backend, and checks it", () => {
    process.env.ALIGNER_BACKEND = "cpu";
    expect(loadPreset("tiny").config.backend).toBe("cpu");
    process.env.ALIGNER_BACKEND = "gpu";
    expect(() => loadPreset("tiny")).toThrow(/ALIGNER_BACKEND: "backend" must be one of/);
  });
});

it("flattenConfig gives dotted keys", () => {
  expect(flattenConfig({ a: 1, b: { c: "x", d: { e: true } } })).toEqual({ a: 1, "b.c": "x", "b.d.e": true });
});
