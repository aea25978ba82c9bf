/**
 * The OpenAI-compatible HTTP layer under every API client (upstream, corrector, judge): a small
 * `ApiConfig`, a concurrency limit, retries with exponential backoff and jitter on 429/5xx/network
 * errors (honouring Retry-After), a per-request timeout, an on-disk response cache and token counts.
 * It uses Node's global `fetch`, so the library needs no API package at run time.
 *
 * The key is sent as a bearer header and nowhere else: cache keys and files, log lines, errors and
 * stats are built from the URL, model and body only (`describeApi` gives a config without it).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hashOf } from "../cache.js";
import { PROJECT_ROOT } from "../config.js";
import { ConfigError, mergeConfig } from "../../engine/settings.js";
import { silentLogger, type Logger } from "../../engine/log.js";
import { wordTokens } from "../metrics.js";
import { makeDirs, writeFileAtomic } from "../../engine/files.js";

export interface ApiConfig {
  /** The server's OpenAI-compatible root, e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  /** The served model name sent with every request. */
  model: string;
  /** Sent as `Authorization: Bearer …`; comes from the environment, never from a preset. */
  apiKey?: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Retries after the first attempt on 429, 5xx, network errors and timeouts. */
  retries: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Where responses are cached, one JSON file per request. */
  cacheDir: string;
}

/** What a preset slice may set (everything but the key), with defaults. */
export const API_DEFAULTS: Omit<ApiConfig, "apiKey"> = {
  baseURL: "", // required: the preset slice or <prefix>_BASE_URL
  model: "", // required: the preset slice or <prefix>_MODEL
  concurrency: 4, // polite to a hosted API; a local vLLM takes more
  retries: 4, // 1 + 4 attempts, backoff 0.5 s, 1 s, 2 s, 4 s
  timeoutMs: 120_000, // long generations from a busy server
  cacheDir: join(PROJECT_ROOT, "runs", "api-cache"), // runs/ is git-ignored
};

/**
 * An `ApiConfig` from a preset slice and the environment: `<prefix>_BASE_URL` and `<prefix>_MODEL`
 * override the slice (as ALIGNER_BACKEND overrides the preset), `<prefix>_KEY` is the only source of
 * the key. Unknown keys (an `apiKey` in a preset included) and wrong types are errors.
 */
export function apiConfig(
  slice: unknown = {},
  { env = process.env, prefix = "ALIGNER_API", where = "api" }: { env?: NodeJS.ProcessEnv; prefix?: string; where?: string } = {},
): ApiConfig {
  const config: ApiConfig = mergeConfig(API_DEFAULTS, slice, where);
  config.baseURL = env[`${prefix}_BASE_URL`] || config.baseURL;
  config.model = env[`${prefix}_MODEL`] || config.model;
  const key = env[`${prefix}_KEY`];
  if (key) config.apiKey = key;
  if (!config.baseURL) throw new ConfigError(`${where}: no baseURL (set it in the preset or ${prefix}_BASE_URL)`);
  if (!/^https?:\/\//.test(config.baseURL))
    throw new ConfigError(`${where}: baseURL must start with http:// or https://, got "${config.baseURL}"`);
  if (!config.model) throw new ConfigError(`${where}: no model (set it in the preset or ${prefix}_MODEL)`);
  const counts: [string, number, number][] = [
    ["concurrency", config.concurrency, 1],
    ["retries", config.retries, 0],
    ["timeoutMs", config.timeoutMs, 1],
  ];
  for (const [name, value, min] of counts) {
    if (!Number.isInteger(value) || value < min) throw new ConfigError(`${where}: "${name}" must be an integer ≥ ${min}, got ${value}`);
  }
  return config;
}

/** The config without its key: what a run may record. */
export function describeApi({ apiKey: _key, ...rest }: ApiConfig): Omit<ApiConfig, "apiKey"> {
  return rest;
}

/** What a client spent this process. Cache hits cost nothing and add no tokens. */
export interface ClientStats {
  /** HTTP attempts made (retries included). */
  requests: number;
  retries: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** Responses without `usage`, whose tokens were estimated with `wordTokens`. */
  estimated: number;
}

/** A request that failed for good: the URL (never the key), the last status and the attempts. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    message: string,
    readonly url: string,
    readonly status: number | null,
    readonly attempts: number,
  ) {
    super(message);
  }
}

export interface ApiReply {
  /** The reply's text, as `read` found it. */
  text: string;
  json: Record<string, unknown>;
  cached: boolean;
}

/** How to read one endpoint's reply: its text (throw on a wrong shape) and the prompt, for estimates. */
export interface ReplyReader {
  prompt: string;
  read(json: Record<string, unknown>): string;
}

export interface ApiClient {
  /**
   * POSTs `body` (JSON) to `baseURL + path`, or returns the cached reply to the same URL and body.
   * A reply `reader.read` rejects is an error and is not cached.
   */
  post(path: string, body: Record<string, unknown>, reader: ReplyReader): Promise<ApiReply>;
  stats(): ClientStats;
  readonly config: ApiConfig;
}

export interface ClientOptions {
  log?: Logger;
  /** First backoff delay; each retry doubles it, times a jitter in [0.5, 1). */
  backoffMs?: number;
  /** Longest wait between attempts, Retry-After included. */
  maxBackoffMs?: number;
}

interface _CacheEntry {
  url: string;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  at: string;
}

/** A cache entry, or null when absent or unreadable (a torn file from a killed process is a miss). */
function _readEntry(file: string): _CacheEntry | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf-8")) as _CacheEntry;
  } catch {
    return null;
  }
}

const _sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const _retryable = (status: number) => status === 429 || status >= 500;

/** Retry-After (seconds or an HTTP date) or OpenAI's retry-after-ms, in ms; null when absent. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.get("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** A counting semaphore: at most `n` holders at once, first come first served. */
function _semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next)
        next(); // hand the slot over directly
      else free++;
    }
  };
}

/** One client over one config; each client keeps its own stats and concurrency limit. */
export function createApiClient(
  config: ApiConfig,
  { log = silentLogger, backoffMs = 500, maxBackoffMs = 60_000 }: ClientOptions = {},
): ApiClient {
  const root = config.baseURL.replace(/\/+$/, "");
  const limit = _semaphore(config.concurrency);
  const stats: ClientStats = { requests: 0, retries: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, estimated: 0 };
  const inFlight = new Map<string, Promise<{ text: string; json: Record<string, unknown> }>>();
  const redact = (text: string) => (config.apiKey ? text.replaceAll(config.apiKey, "***") : text);

  async function attempt(url: string, body: string): Promise<{ status: number; headers: Headers; text: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${config.timeoutMs} ms`)), config.timeoutMs);
    try {
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
      if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
      const response = await fetch(url, { method: "POST", headers, body, signal: controller.signal });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } finally {
      clearTimeout(timer);
    }
  }

  async function fetchJson(url: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const text = JSON.stringify(body);
    let last = "";
    let lastStatus: number | null = null;
    for (let i = 0; i <= config.retries; i++) {
      let wait: number | null = null;
      stats.requests++;
      try {
        const reply = await attempt(url, text);
        lastStatus = reply.status;
        if (reply.status >= 200 && reply.status < 300) {
          try {
            return JSON.parse(reply.text) as Record<string, unknown>;
          } catch {
            throw new ApiError(
              `POST ${url}: HTTP ${reply.status} with a body that is not JSON: ${redact(reply.text.slice(0, 200))}`,
              url,
              reply.status,
              i + 1,
            );
          }
        }
        last = `HTTP ${reply.status}: ${redact(reply.text.slice(0, 300))}`;
        if (!_retryable(reply.status)) throw new ApiError(`POST ${url} failed: ${last}`, url, reply.status, i + 1);
        wait = retryAfterMs(reply.headers);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        const cause = (error as Error).cause as Error | undefined;
        last = redact(`network error: ${(error as Error).message}${cause?.message ? ` (${cause.message})` : ""}`);
        lastStatus = null;
      }
      if (i === config.retries) break;
      stats.retries++;
      const delay = Math.min(maxBackoffMs, wait ?? backoffMs * 2 ** i * (0.5 + Math.random() / 2));
      log.warn(`POST ${url}: ${last.split("\n")[0]}; retry ${i + 1}/${config.retries} in ${Math.round(delay)} ms`);
      await _sleep(delay);
    }
    const attempts = config.retries + 1;
    throw new ApiError(`POST ${url} failed after ${attempts} attempt${attempts > 1 ? "s" : ""}: ${last}`, url, lastStatus, attempts);
  }

  function count(json: Record<string, unknown>, prompt: string, text: string) {
    const usage = json.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
    if (typeof usage?.prompt_tokens === "number" && typeof usage.completion_tokens === "number") {
      stats.promptTokens += usage.prompt_tokens;
      stats.completionTokens += usage.completion_tokens;
    } else {
      stats.promptTokens += wordTokens(prompt).length;
      stats.completionTokens += wordTokens(text).length;
      stats.estimated++;
    }
  }

  return {
    config,
    stats: () => ({ ...stats }),
    async post(path, body, reader) {
      const url = `${root}${path}`;
      const key = hashOf({ url, body });
      const file = join(config.cacheDir, `${key}.json`);
      const entry = _readEntry(file);
      if (entry && entry.url === url && JSON.stringify(entry.request) === JSON.stringify(body)) {
        stats.cacheHits++;
        return { text: reader.read(entry.response), json: entry.response, cached: true };
      }
      const running = inFlight.get(key);
      if (running) return { ...(await running), cached: false }; // the same request already on its way
      const work = limit(() => fetchJson(url, body)).then((json) => {
        let text: string;
        try {
          text = reader.read(json);
        } catch (error) {
          throw new ApiError(
            `POST ${url}: unexpected reply (${(error as Error).message}): ${redact(JSON.stringify(json).slice(0, 300))}`,
            url,
            200,
            1,
          );
        }
        count(json, reader.prompt, text);
        makeDirs(config.cacheDir);
        const fresh: _CacheEntry = { url, request: body, response: json, at: new Date().toISOString() };
        writeFileAtomic(file, `${JSON.stringify(fresh)}\n`);
        log.debug(`POST ${url}: ok (cached as ${key})`);
        return { text, json };
      });
      inFlight.set(key, work);
      try {
        return { ...(await work), cached: false };
      } finally {
        inFlight.delete(key);
      }
    },
  };
}
