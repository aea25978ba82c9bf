/**
 * `aligner serve`: a run's trained Aligner and its zoo LM upstreams behind an OpenAI-compatible API,
 * so the paper's pipeline (upstream answers over chat completions, corrections over completions with
 * a template, as vLLM serves the released Aligner-7B) can run against our own models over HTTP.
 *
 *   const server = await startServer({ run: "runs/tiny" });   // 127.0.0.1, port 8000 unless told
 *   new OpenAI({ baseURL: server.url, apiKey: "…" });         // server.url ends in /v1
 *   await server.close();
 *
 * The parts: `serve/registry.ts` (which models a run has), `serve/batcher.ts` (concurrent requests in
 * one `generate` call), `serve/protocol.ts` (the OpenAI wire format), `serve/http.ts` (routes, key,
 * size limit, JSON errors).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { selectBackend, type BackendInfo, type BackendRequest } from "../engine/backend.js";
import { silentLogger, type Logger } from "../engine/log.js";
import { createBatcher, type BatchStats } from "./batcher.js";
import { createHandler, type HttpStats } from "./http.js";
import { loadModels, modelTable, scanRun, ServeError, unloadModels } from "./registry.js";

export { ServeError } from "./registry.js";
export { keyMatches } from "./http.js";

export interface ServeOptions {
  /** The run folder (`runs/<preset>/` or an `aligner run --out` folder). */
  run: string;
  port?: number; // 8000; 0 picks a free port
  host?: string; // "127.0.0.1": loopback only unless asked
  /** Requests must carry `Authorization: Bearer <apiKey>`; unset = no key. */
  apiKey?: string;
  maxBodyBytes?: number; // 1 MiB: larger bodies get 413
  windowMs?: number; // 5: how long an idle server waits to batch a first request with others
  maxBatch?: number; // 32: sequences per generate call
  backend?: BackendRequest; // $ALIGNER_BACKEND or "auto"
  log?: Logger;
}

export type ServeStats = { backend: string; uptime_s: number } & HttpStats & BatchStats;

export interface ServerHandle {
  /** The OpenAI base URL, e.g. `http://127.0.0.1:8000/v1`. */
  url: string;
  port: number;
  /** Served model ids, aliases included. */
  models: string[];
  backend: BackendInfo;
  stats(): ServeStats;
  /** Stops taking connections, lets requests in flight finish (up to `graceMs`), frees the models. */
  close(graceMs?: number): Promise<void>;
}

const _urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host);

/** Loads the run's models and listens; resolves once the server takes requests. */
export async function startServer(options: ServeOptions): Promise<ServerHandle> {
  const { run, port = 8000, host = "127.0.0.1", apiKey, maxBodyBytes = 1 << 20, windowMs = 5, maxBatch = 32, log = silentLogger } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServeError(`port must be an integer in 0..65535, got ${port}`);
  if (apiKey === "") throw new ServeError("the API key must not be empty");
  const entries = scanRun(run);
  const backend = await selectBackend(options.backend);
  const served = await loadModels(entries);
  const models = modelTable(served);
  log.info(
    `backend ${backend.backend}; models: ${served.map((m) => `${[m.id, ...m.aliases].join(" = ")} (maxLen ${m.maxLen}, ${m.dir})`).join("; ")}`,
  );
  const batcher = createBatcher({ windowMs, maxBatch, log });
  const handler = createHandler({
    models,
    batcher,
    ...(apiKey !== undefined ? { apiKey } : {}),
    maxBodyBytes,
    backend: backend.backend,
    log,
  });
  const server = createServer(handler.handle);
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => (server.off("error", reject), resolve()));
    });
  } catch (error) {
    unloadModels(served);
    throw new ServeError(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  server.on("clientError", (error, socket) => {
    log.debug(`client error: ${error.message}`);
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${_urlHost(host)}:${bound}/v1`;
  log.info(`listening on ${url}${apiKey === undefined ? " (no API key)" : " (API key required)"}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    port: bound,
    models: [...models.keys()],
    backend,
    stats: handler.stats,
    close: (graceMs = 5000) =>
      (closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => (clearTimeout(force), resolve()));
        server.closeIdleConnections();
      }).then(() => {
        batcher.close();
        unloadModels(served);
        log.info("stopped");
      })),
  };
}

/**
 * The CLI's `aligner serve`: starts the server, calls `ready(url)` (the CLI prints it on stdout for
 * scripts), serves until SIGINT or SIGTERM, shuts down cleanly and returns the final counters.
 */
export async function serveUntilSignal(options: ServeOptions, ready: (url: string) => void): Promise<ServeStats> {
  const server = await startServer(options);
  ready(server.url);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (s: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(s);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  options.log?.info(`${signal}: shutting down`);
  const stats = server.stats();
  await server.close();
  return stats;
}
