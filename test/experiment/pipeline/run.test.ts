// The main job on the tiny preset: every stage, the tables, the cache, the lock and resume.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPreset } from "../../../loaders/experiment/config.js";
import { fromArrow } from "../../../loaders/tables/format.js";
import { materializeRun } from "../../../loaders/tables/materialize.js";
import { selectAlignerRows } from "../../../loaders/experiment/pipeline/stages.js";
import { type RunRecord } from "../../../loaders/experiment/pipeline/runs.js";
import { UPSTREAMS, type CorrectionRow } from "../../../loaders/world/index.js";

const CLI = join(import.meta.dirname, "..", "..", "..", "loaders", "cli", "bin.js");

/** Runs `aligner run` in a child process; resolves with its exit code and stderr. */
function runCli(args: string[], env: Record<string, string>, onStderr?: (text: string, kill: () => void) => void) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, "run", ...args], {
      env: { ...process.env, ...env, ALIGNER_LOG: "info" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
      onStderr?.(stderr, () => child.kill("SIGKILL"));
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("selectAlignerRows", () => {
  // 40 train items answered by 5 seen and 2 held-out upstreams, and 10 test items; train item 39 asks item 3's question
  const rows = ["train", "test"]
    .flatMap((split) =>
      Array.from({ length: split === "train" ? 40 : 10 }, (_, q) =>
        ["s1", "s2", "s3", "s4", "s5", "h1", "h2"].map(
          (u) =>
            ({
              id: `${split}-${q}-${u}`,
              item_id: `${split}-${q}`,
              question: `${split} question ${q === 39 ? 3 : q}`,
              split,
              upstream: u,
              upstream_kind: u.startsWith("s") ? "seen" : "heldout",
            }) as unknown as CorrectionRow,
        ),
      ),
    )
    .flat();
  const config = (answersPerQuestion: number, seed = 1) => ({
    seed,
    aligner: { ...loadPreset("default").config.aligner, answersPerQuestion },
  });

  it("keeps the seen upstreams' train rows, the last 5% of distinct questions for validation, and no question on both sides", () => {
    const { train, val } = selectAlignerRows({ rows }, config(0));
    expect(train).toHaveLength(38 * 5);
    // 39 distinct questions: the last two (items 37 and 38) validate; item 39 repeats a train question and trains
    expect(new Set(val.map((r) => r.item_id))).toEqual(new Set(["train-37", "train-38"]));
    const trainQuestions = new Set(train.map((r) => r.question));
    expect(val.filter((r) => trainQuestions.has(r.question))).toEqual([]);
    expect([...train, ...val].every((r) => r.split === "train" && r.upstream_kind === "seen")).toBe(true);
  });

  it("with answersPerQuestion k, keeps k answers of each train question, chosen by the seed, and every validation row", () => {
    const pick = (seed: number) => selectAlignerRows({ rows }, config(2, seed));
    const { train, val } = pick(1);
    expect(val).toHaveLength(2 * 5);
    const perItem = new Map<string, string[]>();
    for (const r of train) perItem.set(r.item_id, [...(perItem.get(r.item_id) ?? []), r.upstream]);
    expect(perItem.size).toBe(38);
    expect([...perItem.values()].every((u) => u.length === 2 && new Set(u).size === 2)).toBe(true);
    // not always the same two upstreams, the same for the same seed, others for another
    expect(new Set(train.map((r) => r.upstream)).size).toBe(5);
    expect(pick(1).train).toEqual(train);
    expect(pick(2).train.map((r) => r.id)).not.toEqual(train.map((r) => r.id));
    expect(selectAlignerRows({ rows }, config(9)).train).toHaveLength(38 * 5);
  });
});

describe("materializeRun on the tiny preset", () => {
  let record: RunRecord;
  let root: string;
  const table = (name: string) => fromArrow(readFileSync(join(root, "tiny", "tables", `${name}.arrow`)));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "aligner-run-"));
    process.env.ALIGNER_RUNS = root;
    record = await materializeRun(loadPreset("tiny"));
  }, 180_000);

  it("records preset, seed, backend, versions and the headline", () => {
    expect(record).toMatchObject({ preset: "tiny", seed: 42, template: "aligner-v1.0", eval_world: "dev" });
    expect(["tensorflow", "wasm", "cpu"]).toContain(record.backend.backend);
    expect(record.versions["@tensorflow/tfjs"]).toMatch(/^\d/);
    expect(record.headline).toMatch(
      /^Aligner \(the paper's method, greedy decoding\), averaged over \d+ upstream models \(ω, 95% interval over questions, new questions like the training ones\): helpfulness [+−]\d+\.\d% \[[+−]\d+\.\d%, [+−]\d+\.\d%\]/,
    );
    expect(record.headline).toMatch(/With our copy rule \(an extension\): helpfulness/);
    expect(JSON.parse(readFileSync(join(root, "tiny", "run.json"), "utf-8")).run_id).toBe(record.run_id);
  });

  it("calibrates the copy rule on the Aligner's validation rows when the preset gives candidates", async () => {
    expect(record.copy_rule).toEqual({ margin: 0, minTokenProb: 0, curve: null }); // tiny fixes it to likelier-of-two
    const base = loadPreset("tiny");
    const config = {
      ...base.config,
      aligner: { ...base.config.aligner, copyMargins: [0, 4], copyMinTokenProbs: [0, 0.3] },
      warmupSweep: { ...base.config.warmupSweep, fractions: [] },
      w2s: { ...base.config.w2s, enabled: false },
    };
    const dir = join(root, "calibrated");
    cpSync(join(root, "tiny", "stages"), join(dir, "stages"), { recursive: true }); // the same world and Aligner, from the cache
    const calibrated = await materializeRun({ ...base, config }, { dir });
    expect(calibrated.stages!.find((s) => s.name === "aligner")!.cached).toBe(true);
    const { margin, minTokenProb, curve } = calibrated.copy_rule!;
    expect(curve!.map((c) => [c.margin, c.min_token_prob])).toEqual([
      [0, 0],
      [0, 0.3],
      [4, 0],
      [4, 0.3],
    ]);
    // the strictest (most copies) of the rules within one standard error of the best
    const close = curve!.filter((c) => c.gap <= c.gap_se + 1e-12);
    expect(close.some((c) => c.gap === 0)).toBe(true);
    const chosen = curve!.find((c) => c.margin === margin && c.min_token_prob === minTokenProb)!;
    expect(close).toContain(chosen);
    for (const c of close) expect(c.copy_rate).toBeLessThanOrEqual(chosen.copy_rate);
    for (const c of curve!) expect(c.copy_rate).toBeGreaterThanOrEqual(curve![0]!.copy_rate);
    expect(calibrated.stages!.some((s) => s.name === "calibrate" && !s.cached)).toBe(true); // its own calibration stage ran
  }, 120_000);

  it("corrects every upstream's test answers, seen and held-out, and keeps Parquet beside Arrow", () => {
    const all = table("corrections");
    const corrections = all.filter((r) => r.method === "aligner");
    const upstreams = new Set(corrections.map((r) => r.upstream));
    const { world, zoo } = loadPreset("tiny").config;
    expect(upstreams).toEqual(new Set([...UPSTREAMS.map((u) => u.name), ...zoo.models])); // every rule-based profile and the tiny preset's zoo LMs
    expect(new Set(corrections.map((r) => r.upstream_kind))).toEqual(new Set(["seen", "heldout"]));
    expect(corrections.every((r) => r.split === "test" && r.run_id === record.run_id)).toBe(true);
    expect(corrections.length).toBe(world.testQuestions * upstreams.size); // each upstream answers each test question once
    // the copy rule's choice over the same answers, from the same decode: where it keeps the decoded text, that is the plain Aligner's
    const rule = all.filter((r) => r.method === "aligner+copy-rule");
    expect(rule.map((r) => r.id)).toEqual(corrections.map((r) => r.id));
    rule.forEach((r, i) => expect(r.copy || r.correction === corrections[i]!.correction).toBe(true));
    expect(new Set(table("residual_ops").map((r) => r.method))).toEqual(new Set(["aligner", "aligner+copy-rule"]));
    for (const name of ["runs", "corrections", "summary", "training", "warmup_sweep", "residual_ops", "w2s", "w2s_categories"]) {
      expect(
        readFileSync(join(root, "tiny", "tables", `${name}.parquet`))
          .subarray(0, 4)
          .toString(),
      ).toBe("PAR1");
    }
  });

  it("summarizes the plain Aligner, the copy rule, and the always-copy and gold baselines, with headline rows", () => {
    const summary = table("summary");
    expect(new Set(summary.map((r) => r.method))).toEqual(new Set(["aligner", "aligner+copy-rule", "always-copy", "gold"]));
    const mean = summary.filter((r) => r.upstream === "mean" && r.method === "aligner" && r.category === "all");
    expect(new Set(mean.map((r) => `${r.shift}/${r.dimension}`)).size).toBe(6); // iid, ood, all × two dimensions
    for (const r of mean)
      expect((r.omega_lo as number) <= (r.omega as number) + 1e-9 && (r.omega as number) <= (r.omega_hi as number) + 1e-9).toBe(true);
    const gold = summary.find((r) => r.method === "gold" && r.upstream === "all" && r.category === "all" && r.dimension === "harmless")!;
    expect(gold.score_after).toBe(1); // the annotator's corrections are perfect
  });

  it("logs training per model and stage, and the warm-up sweep per fraction", () => {
    const training = table("training");
    const models = new Set(training.map((r) => `${r.model}/${r.stage}`));
    for (const m of ["upstream:lm_unsafe/lm", "aligner/warmup", "aligner/main", "sweep:0/main", "sweep:0.2/warmup", "sweep:0.2/main"])
      expect(models).toContain(m);
    expect([...models].some((m) => m.startsWith("strong"))).toBe(true); // weak-to-strong's strong model
    expect(new Set(table("warmup_sweep").map((r) => r.warmup_fraction))).toEqual(new Set([0, 0.2]));
  });

  it("runs weak-to-strong with every method and both dimensions", () => {
    const w2s = table("w2s");
    const methods = new Set(w2s.map((r) => r.method));
    for (const m of ["strong", "weak", "w2s", "sft-own", "ceiling"]) expect(methods).toContain(m);
    // w2s-dpo needs a weak correction that edits its answer; the tiny Aligner on world v3 may copy them all,
    // and then the stage says so and writes no DPO rows (its training is tested in test/engine/dpo.test.ts).
    const dpoTrained = table("training").some((r) => r.model === "strong" && r.stage === "dpo");
    expect(methods.has("w2s-dpo")).toBe(dpoTrained);
    expect(methods.has("w2s-dpo-nll")).toBe(dpoTrained); // the tiny preset keeps the default sftWeight > 0
    expect(new Set(w2s.map((r) => r.dimension))).toEqual(new Set(["helpful", "harmless"]));
    expect(
      w2s
        .filter((r) => r.pgr === null && ["w2s", "w2s-dpo", "w2s-dpo-nll"].includes(r.method as string))
        .every((r) => (r.pgr_note as string).length > 0),
    ).toBe(true);
  });

  it("reuses every stage on a second run (no training)", async () => {
    const { code, stderr } = await runCli(["--preset", "tiny"], { ALIGNER_RUNS: root });
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/step \d+\//);
    expect(stderr).toMatch(/aligner: cached/);
    // The cold cost survives the warm rerun: every stage used, with the time it took when computed.
    const again = JSON.parse(readFileSync(join(root, "tiny", "run.json"), "utf-8")) as RunRecord;
    expect(again.stages!.every((s) => s.cached)).toBe(true);
    expect(again.stages!.map((s) => s.name)).toEqual(record.stages!.map((s) => s.name));
    expect(again.compute_s).toBeCloseTo(record.compute_s!, 6);
    expect(record.compute_s!).toBeGreaterThan(again.duration_s);
    expect(record.stages!.map((s) => s.name)).toEqual(
      expect.arrayContaining(["world", "tokenizer", "zoo-lm_unsafe", "aligner", "correct"]),
    );
  }, 60_000);
});

describe("concurrent and interrupted runs", () => {
  const preset = (dir: string, steps: number) => {
    const tiny = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "..", "data", "presets", "tiny.json"), "utf-8"));
    const file = join(dir, "resume.json");
    writeFileSync(
      file,
      JSON.stringify({
        ...tiny,
        aligner: { ...tiny.aligner, train: { ...tiny.aligner.train, steps, checkpointEvery: 5 } },
        warmupSweep: { fractions: [] },
      }),
    );
    return file;
  };

  it("trains once when two processes run the same preset at once", async () => {
    const root = mkdtempSync(join(tmpdir(), "aligner-lock-"));
    const file = preset(root, 30);
    const [a, b] = await Promise.all([
      runCli(["--preset", file], { ALIGNER_RUNS: root }),
      runCli(["--preset", file], { ALIGNER_RUNS: root }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const trained = [a.stderr, b.stderr].filter((s) => /aligner: done in/.test(s));
    expect(trained).toHaveLength(1);
    expect(a.stderr + b.stderr).toMatch(/aligner: another process is computing it; waiting/);
  }, 120_000);

  it("resumes a killed run from the Aligner's last checkpoint", async () => {
    const root = mkdtempSync(join(tmpdir(), "aligner-resume-"));
    const file = preset(root, 120);
    const killed = await runCli(["--preset", file], { ALIGNER_RUNS: root }, (text, kill) => {
      if (/aligner main step 50\//.test(text)) kill(); // checkpoints every 5 steps: step 50's is on disk
    });
    expect(killed.code).toBeNull(); // SIGKILL
    const resumed = await runCli(["--preset", file], { ALIGNER_RUNS: root });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from .*checkpoint-main at step \d+/);
    expect(resumed.stderr).not.toMatch(/zoo-lm_unsafe: done/); // earlier stages were cached
    expect(existsSync(join(root, "resume", "tables", "summary.arrow"))).toBe(true);
  }, 180_000);
});
