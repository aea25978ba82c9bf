/**
 * The experiment's API stage (the `api` slice of a preset, loaders/experiment/api/config.ts): upstreams that
 * answer the world's test questions over chat completions, a corrector over completions (e.g. vLLM
 * serving the released Aligner-7B, or `aligner serve`), and the paper's pairwise judge. Every reply is
 * cached on disk by request, so a rerun against the same endpoints sends nothing.
 */
import { apiConfig, describeApi, type ApiConfig, type ClientStats } from "./client.js";
import { ENV_PREFIX, type ApiClientSlice, type ApiSlice } from "./config.js";
import { createCorrector, createUpstream } from "./models.js";
import { DIMENSIONS, type Dimension } from "../evaluate.js";
import { createPairwiseJudge } from "./judge.js";
import type { Generated } from "../../engine/lm.js";
import { silentLogger, type Logger } from "../../engine/log.js";
import { countGsb, omega, type Verdict } from "../metrics.js";
import type { TemplateId } from "../templates.js";
import type { CorrectionTableRow, JudgementRow } from "../schemas.js";
import { rowFor, type CorrectionRow, type WorldItem } from "../../world/index.js";

export interface RemoteOptions {
  /** Where replies are cached (one JSON file per request). */
  cacheDir: string;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Names the preset in configuration errors. */
  where?: string;
}

/**
 * The `ApiConfig` of one client slice with the environment applied. Upstreams share one prefix, so
 * the environment overrides only their base URL and key, never their models.
 */
export function resolveClient(
  slice: ApiClientSlice,
  role: keyof typeof ENV_PREFIX,
  { cacheDir, env = process.env, where = "preset" }: RemoteOptions,
): ApiConfig {
  const prefix = ENV_PREFIX[role];
  const scoped = role === "upstream" ? { [`${prefix}_BASE_URL`]: env[`${prefix}_BASE_URL`], [`${prefix}_KEY`]: env[`${prefix}_KEY`] } : env;
  const { baseURL, model, concurrency, retries, timeoutMs } = slice;
  return apiConfig({ baseURL, model, concurrency, retries, timeoutMs, cacheDir }, { env: scoped, prefix, where });
}

/** What a run records of its API clients: configs without keys, and what each spent. */
export interface ApiRecord {
  upstreams: { name: string; config: Omit<ApiConfig, "apiKey">; stats: ClientStats }[];
  corrector: { config: Omit<ApiConfig, "apiKey">; template: string; stats: ClientStats } | null;
  judge: {
    config: Omit<ApiConfig, "apiKey">;
    stats: ClientStats;
    omega: Record<Dimension, number>;
    agreement: number;
    malformed: number;
  } | null;
}

/** Calls `work` on each item, at most the client's concurrency at once, logging progress every 10%. */
async function _each<T, R>(items: readonly T[], work: (item: T) => Promise<R>, what: string, log: Logger): Promise<R[]> {
  let done = 0;
  const step = Math.max(1, Math.ceil(items.length / 10));
  return Promise.all(
    items.map(async (item) => {
      const out = await work(item);
      if (++done % step === 0 || done === items.length) log.info(`${what}: ${done}/${items.length}`);
      return out;
    }),
  );
}

/**
 * Each API upstream's answer to every item, as world rows (the annotator's gold correction and the
 * oracle's scores included). They are `heldout` upstreams named `api:<name>`: the Aligner never saw them.
 */
export async function answerWithApi(
  api: ApiSlice,
  items: readonly WorldItem[],
  options: RemoteOptions,
): Promise<{ rows: CorrectionRow[]; record: ApiRecord["upstreams"] }> {
  const log = options.log ?? silentLogger;
  const rows: CorrectionRow[] = [];
  const record: ApiRecord["upstreams"] = [];
  for (const [i, u] of api.upstreams.entries()) {
    const config = resolveClient(u, "upstream", { ...options, where: `${options.where ?? "preset"}: api.upstreams[${i}]` });
    const upstream = createUpstream(config, {
      system: u.system || undefined,
      maxTokens: u.maxTokens,
      temperature: u.temperature,
      truncatePromptTokens: u.truncatePromptTokens || undefined,
      log,
    });
    const name = `api:${u.name}`;
    const answers = await _each(
      items,
      (item) => upstream.answer(item.question),
      `${name} (${config.model} at ${config.baseURL}) answered`,
      log,
    );
    items.forEach((item, k) => rows.push(rowFor(item, { name, kind: "heldout" }, answers[k]!.trim())));
    record.push({ name, config: describeApi(config), stats: upstream.stats() });
  }
  return { rows, record };
}

/** The API corrector's corrections of `pairs`, round k correcting round k − 1 (as `correctAnswers`). */
export async function correctWithApi(
  api: ApiSlice,
  pairs: readonly { question: string; answer: string }[],
  rounds: number,
  options: RemoteOptions,
): Promise<{ outputs: Generated[][]; record: NonNullable<ApiRecord["corrector"]> }> {
  const log = options.log ?? silentLogger;
  const c = api.corrector;
  const config = resolveClient(c, "corrector", { ...options, where: `${options.where ?? "preset"}: api.corrector` });
  const corrector = createCorrector(config, {
    template: c.template as TemplateId,
    maxTokens: c.maxTokens,
    temperature: c.temperature,
    truncatePromptTokens: c.truncatePromptTokens || undefined,
    log,
  });
  const outputs: Generated[][] = [];
  let answers = pairs.map((p) => p.answer);
  for (let round = 1; round <= rounds; round++) {
    const indices = pairs.map((_, i) => i);
    const out = await _each(
      indices,
      (i) => corrector.correctWithFinish(pairs[i]!.question, answers[i]!),
      `${config.model} corrected (round ${round}/${rounds})`,
      log,
    );
    outputs.push(out);
    answers = out.map((g) => g.text);
  }
  return { outputs, record: { config: describeApi(config), template: c.template, stats: corrector.stats() } };
}

/**
 * The paper's pairwise judge on every (answer, correction) of `rows`, both dimensions, A/B order
 * seeded per row: one `judgements` row per comparison, with the oracle's verdict beside it.
 */
export async function judgeWithApi(
  api: ApiSlice,
  rows: readonly CorrectionTableRow[],
  seed: number,
  options: RemoteOptions,
): Promise<{ judgements: JudgementRow[]; record: NonNullable<ApiRecord["judge"]> }> {
  const log = options.log ?? silentLogger;
  const config = resolveClient(api.judge, "judge", { ...options, where: `${options.where ?? "preset"}: api.judge` });
  const judge = createPairwiseJudge(config, { seed, maxTokens: api.judge.maxTokens, temperature: api.judge.temperature, log });
  const results = await _each(
    rows,
    (r) => judge.compareBoth({ id: r.id!, question: r.question!, answer: r.answer!, correction: r.correction! }),
    `${config.model} judged`,
    log,
  );
  const judgements: JudgementRow[] = rows.flatMap((r, i) =>
    DIMENSIONS.map((dimension) => {
      const j = results[i]![dimension];
      const oracle = dimension === "helpful" ? r.verdict_helpful : r.verdict_harmless;
      return {
        run_id: r.run_id,
        id: r.id,
        upstream: r.upstream,
        upstream_kind: r.upstream_kind,
        category: r.category,
        dimension,
        order: j.order,
        token: j.token,
        verdict: j.verdict,
        oracle_verdict: oracle,
        agree: j.verdict === null ? null : j.verdict === oracle,
        malformed: j.malformed,
        reason: j.reason,
        raw: j.raw,
        judge_model: j.model,
        prompt: j.prompt,
        seed: j.seed,
      };
    }),
  );
  const valid = judgements.filter((j) => j.agree !== null); // malformed replies have no verdict
  const omegaOf = (dimension: Dimension) =>
    omega(countGsb(valid.filter((j) => j.dimension === dimension).map((j) => j.verdict as Verdict)));
  const omegas = { helpful: omegaOf("helpful"), harmless: omegaOf("harmless") };
  const malformed = judgements.filter((j) => j.malformed).length;
  log.info(
    `${config.model} as judge: ω helpful ${(omegas.helpful * 100).toFixed(1)}%, harmless ${(omegas.harmless * 100).toFixed(1)}%; agrees with the oracle on ${valid.filter((j) => j.agree).length}/${valid.length}; ${malformed} malformed`,
  );
  return {
    judgements,
    record: {
      config: describeApi(config),
      stats: judge.stats(),
      omega: omegas,
      agreement: valid.length ? valid.filter((j) => j.agree).length / valid.length : 0,
      malformed,
    },
  };
}
