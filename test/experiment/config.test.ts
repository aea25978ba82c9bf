import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS, PRESETS_DIR, flattenConfig, listPresets, loadPreset } from "../../loaders/experiment/config.js";
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
    ['{"seed": 1,}', /not valid JSON/],
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
