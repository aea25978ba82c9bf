/**
 * `npm run bench -- --vs-torch`: runs loaders/tools/torch_gpt.py (a copy of ../shared/bench/torch_gpt.py)
 * for the same size in the same run as the tfjs figures, and prints torch's rows and the ratio
 * tfjs / torch as JSON lines, so nobody compares numbers measured in different minutes. Torch runs at
 * each thread setting in TORCH_SETTINGS and the best one is the reference (on 2 cores the fastest
 * differs by size). Without python3 + torch it prints one skip line and exits 0.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const TORCH_SCRIPT = fileURLToPath(new URL("./torch_gpt.py", import.meta.url));

/** torch.set_num_threads × OPENBLAS_NUM_THREADS settings tried (the research's best two on 2 cores, then plain). */
export const TORCH_SETTINGS = [
  { threads: 2, blas: 1 },
  { threads: 1, blas: 2 },
] as const;

export type TorchRow = Record<string, unknown> & { kind: string; size: string; batch: number; tokens_per_s: number };

/** The python to run: ALIGNER_PYTHON, else /usr/bin/python3 (Debian's torch), else python3 on PATH. */
export function torchPython(): string {
  return process.env.ALIGNER_PYTHON || (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
}

/** Why torch cannot run here, or undefined when it can. */
export function torchSkipReason(python = torchPython()): string | undefined {
  if (!existsSync(TORCH_SCRIPT)) return `${TORCH_SCRIPT} is missing`;
  const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  if (probe.error) return `${python} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `${python} has no torch (apt-get install python3-torch libopenblas0-pthread)`;
  return undefined;
}

/** torch_gpt.py's JSON lines for one setting; throws with its stderr when it fails. */
export function runTorch(args: string[], setting: { threads: number; blas: number }, python = torchPython()): TorchRow[] {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(setting.blas), OMP_NUM_THREADS: String(setting.threads) };
  const out = spawnSync(python, [TORCH_SCRIPT, ...args, "--threads", String(setting.threads)], {
    encoding: "utf8",
    env,
    maxBuffer: 1 << 24,
  });
  if (out.status !== 0)
    throw new Error(`torch_gpt.py ${args.join(" ")} failed: ${(out.stderr || String(out.error)).trim().split("\n").at(-1)}`);
  return out.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => ({ ...(JSON.parse(line) as TorchRow), openblas_threads: setting.blas }));
}

/** The best torch row per (kind, batch) over every setting. */
export function bestTorch(rows: TorchRow[]): TorchRow[] {
  const best = new Map<string, TorchRow>();
  for (const row of rows) {
    const key = `${row.kind}/${row.batch}`;
    if (!best.has(key) || best.get(key)!.tokens_per_s < row.tokens_per_s) best.set(key, row);
  }
  return [...best.values()];
}

/** One ratio line per tfjs row that torch measured too: tfjs tokens/s ÷ torch's best. */
export function ratioRows(tfjsRows: TorchRow[], torchRows: TorchRow[]): Array<Record<string, unknown>> {
  return tfjsRows.flatMap((t) => {
    const ref = torchRows.find((r) => r.kind === t.kind && r.size === t.size && r.batch === t.batch);
    if (!ref) return [];
    return [
      {
        kind: "ratio",
        what: t.kind,
        size: t.size,
        batch: t.batch,
        tfjs_backend: t.backend,
        tfjs_workers: t.workers ?? 1, // tfjs threads (engine/dataparallel.ts): training's and generation's workers
        tfjs_tokens_per_s: t.tokens_per_s,
        torch_tokens_per_s: ref.tokens_per_s,
        torch_threads: ref.threads,
        torch_openblas_threads: ref.openblas_threads,
        ratio: Number((t.tokens_per_s / ref.tokens_per_s).toFixed(3)),
      },
    ];
  });
}
