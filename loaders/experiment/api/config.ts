/**
 * The `api` slice of a preset: which parts of an experiment run behind OpenAI-compatible endpoints.
 * A preset can mix them freely with the local pipeline: the world's questions, API upstreams answering
 * them beside the world's own upstreams, a local Aligner or an API corrector, the oracle or an API
 * judge. Base URLs and models come from the preset or the environment (`ALIGNER_UPSTREAM_BASE_URL`,
 * `ALIGNER_CORRECTOR_BASE_URL`, `ALIGNER_JUDGE_BASE_URL`, and `…_MODEL` for the corrector and judge);
 * keys only from the environment (`ALIGNER_UPSTREAM_KEY`, `ALIGNER_CORRECTOR_KEY`, `ALIGNER_JUDGE_KEY`).
 */
import { ConfigError, mergeConfig } from "../../engine/settings.js";
import { Checks } from "../limits.js";
import { TEMPLATE_IDS } from "../templates.js";

/** What every API client of a preset may set. */
export interface ApiClientSlice {
  baseURL: string;
  model: string;
  concurrency: number;
  retries: number;
  timeoutMs: number;
  maxTokens: number;
  temperature: number;
}

export interface ApiUpstreamSlice extends ApiClientSlice {
  /** The upstream's name in the tables (prefixed `api:`). */
  name: string;
  /** A system message before each question; "" for none (the question alone, as the paper asks it). */
  system: string;
  /** Sent as vLLM's `truncate_prompt_tokens` (keep the prompt's last N tokens), as the local engine does; 0 = not sent. */
  truncatePromptTokens: number;
}

export interface ApiCorrectorSlice extends ApiClientSlice {
  /** "local": the run trains its own Aligner; "api": the endpoint corrects (no local Aligner, sweep or weak-to-strong). */
  use: "local" | "api";
  /** The template the served corrector was trained on. */
  template: string;
  /** Sent as vLLM's `truncate_prompt_tokens` (keep the prompt's last N tokens), as the local engine does; 0 = not sent. */
  truncatePromptTokens: number;
}

export interface ApiJudgeSlice extends ApiClientSlice {
  /** "oracle": the world's exact oracle only; "api": also the paper's pairwise GPT-4 protocol (the `judgements` table). */
  use: "oracle" | "api";
}

export interface ApiSlice {
  /** Upstreams over chat completions; each answers every test question beside the world's upstreams. */
  upstreams: ApiUpstreamSlice[];
  corrector: ApiCorrectorSlice;
  judge: ApiJudgeSlice;
}

const CLIENT: ApiClientSlice = { baseURL: "", model: "", concurrency: 8, retries: 4, timeoutMs: 120_000, maxTokens: 64, temperature: 0 };
export const UPSTREAM_SLICE_DEFAULTS: ApiUpstreamSlice = { name: "", system: "", truncatePromptTokens: 0, ...CLIENT };

export const API_SLICE_DEFAULTS: ApiSlice = {
  upstreams: [],
  corrector: { use: "local", template: "aligner-v1.0", truncatePromptTokens: 0, ...CLIENT },
  judge: { use: "oracle", ...CLIENT, maxTokens: 1024 },
};

/** Upper bounds of the clients' numbers: generous, refusing only what no endpoint serves or a typo. */
export const API_LIMITS = {
  /** Requests in flight per client: 256 is past what one vLLM instance batches by default (max_num_seqs 256). */
  concurrency: 256,
  /** Retries per request: 20, with exponential backoff from 0.5 s, is already days of waiting. */
  retries: 20,
  /** Per-request timeout: one hour (3,600,000 ms). */
  timeoutMs: 3_600_000,
  /** Tokens per completion (and kept prompt tokens): 1,048,576, the longest contexts served today. */
  maxTokens: 1_048_576,
} as const;

/** The environment prefixes of the three clients. */
export const ENV_PREFIX = { upstream: "ALIGNER_UPSTREAM", corrector: "ALIGNER_CORRECTOR", judge: "ALIGNER_JUDGE" } as const;

/** Fills each upstream's defaults and checks names, enums and templates; throws ConfigError naming the key. */
export function validateApiSlice(api: ApiSlice, where = "preset"): ApiSlice {
  const upstreams = api.upstreams.map((u, i) => mergeConfig(UPSTREAM_SLICE_DEFAULTS, u, where, `api.upstreams[${i}]`));
  const names = new Set<string>();
  for (const [i, u] of upstreams.entries()) {
    if (!/^[A-Za-z0-9_.-]+$/.test(u.name))
      throw new ConfigError(`${where}: "api.upstreams[${i}].name" must be letters, digits, _ . or -, got ${JSON.stringify(u.name)}`);
    if (names.has(u.name)) throw new ConfigError(`${where}: "api.upstreams[${i}].name" repeats "${u.name}"`);
    names.add(u.name);
  }
  if (!["local", "api"].includes(api.corrector.use))
    throw new ConfigError(`${where}: "api.corrector.use" must be local|api, got "${api.corrector.use}"`);
  if (!["oracle", "api"].includes(api.judge.use))
    throw new ConfigError(`${where}: "api.judge.use" must be oracle|api, got "${api.judge.use}"`);
  if (!(TEMPLATE_IDS as string[]).includes(api.corrector.template)) {
    throw new ConfigError(`${where}: "api.corrector.template" must be one of ${TEMPLATE_IDS.join(", ")}, got "${api.corrector.template}"`);
  }
  const clients: [string, ApiClientSlice][] = [
    ...upstreams.map((u, i): [string, ApiClientSlice] => [`api.upstreams[${i}]`, u]),
    ["api.corrector", api.corrector],
    ["api.judge", api.judge],
  ];
  const check = new Checks(where);
  check.list("api.upstreams", upstreams);
  for (const [at, c] of clients) {
    check.int(`${at}.concurrency`, c.concurrency, 1, API_LIMITS.concurrency);
    check.int(`${at}.retries`, c.retries, 0, API_LIMITS.retries);
    check.int(`${at}.timeoutMs`, c.timeoutMs, 1, API_LIMITS.timeoutMs);
    check.int(`${at}.maxTokens`, c.maxTokens, 1, API_LIMITS.maxTokens);
    check.nonNegative(`${at}.temperature`, c.temperature);
  }
  check.int("api.corrector.truncatePromptTokens", api.corrector.truncatePromptTokens, 0, API_LIMITS.maxTokens, "0 = not sent");
  for (const [i, u] of upstreams.entries())
    check.int(`api.upstreams[${i}].truncatePromptTokens`, u.truncatePromptTokens, 0, API_LIMITS.maxTokens, "0 = not sent");
  return { ...api, upstreams };
}
