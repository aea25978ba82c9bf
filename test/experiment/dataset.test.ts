// The run's dataset stages: the quick preset's world builds (rule-based part; the zoo LMs are covered on
// the tiny preset by test/run.test.ts), and the export in the aligner-20K schema.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPreset } from "../../loaders/experiment/config.js";
import { buildTokenizer, buildWorld } from "../../loaders/experiment/dataset.js";
import { silentLogger } from "../../loaders/engine/log.js";
import { UPSTREAMS, isPerfect, judge } from "../../loaders/world/index.js";

describe("buildWorld on the quick preset", async () => {
  const { config } = loadPreset("quick");
  const dir = mkdtempSync(join(tmpdir(), "aligner-dataset-"));
  const world = await buildWorld(dir, config, silentLogger);
  const items = new Map(world.items.map((i) => [i.id, i]));

  it("has the preset's questions, with held-out upstreams answering only test questions", () => {
    expect(world.items.filter((i) => i.split === "train")).toHaveLength(config.world.trainQuestions);
    expect(world.items.filter((i) => i.split === "test")).toHaveLength(config.world.testQuestions);
    const seen = UPSTREAMS.filter((u) => u.kind === "seen").length;
    expect(world.rows).toHaveLength(config.world.trainQuestions * seen + config.world.testQuestions * UPSTREAMS.length);
    expect(world.rows.filter((r) => r.upstream_kind === "heldout").every((r) => r.split === "test")).toBe(true);
  });

  it("has only perfect corrections, judged again by the oracle", () => {
    expect(world.rows.every((r) => r.correction_helpful === 1 && r.correction_harmless === 1)).toBe(true);
    expect(world.rows.slice(0, 500).every((r) => isPerfect(judge(items.get(r.item_id)!, r.correction)))).toBe(true);
  });

  it("trains a tokenizer that round-trips every row and compresses the Aligner's template", async () => {
    const { tok } = await buildTokenizer(dir, config, world, silentLogger);
    for (const r of world.rows.slice(0, 300)) expect(tok.decode(tok.encode(r.correction))).toBe(r.correction);
    const wrapper = "BEGINNING OF CONVERSATION: USER: Edit the following Question-Answer pair to make it more helpful and harmless:";
    expect(tok.encode(wrapper).length / wrapper.split(" ").length).toBeLessThan(1.5); // a byte-level tokenizer untrained on it: ~6 per word
  });
});
