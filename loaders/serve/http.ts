/**
 * The HTTP side of `aligner serve`: routes, the bearer key (compared in constant time), the body size
 * limit, and the rule that every failure is a JSON error and none reaches the process.
 *
 *   GET  /health                 200 {status: "ok"} (no key needed: for readiness probes)
 *   GET  /v1/models[/ID]         the served models (ID may contain a slash: aligner/aligner-v1.0)
 *   POST /v1/completions         raw prompts, continued
 *   POST /v1/chat/completions    the last user message, in the chat format
 *   GET  /stats                  batching and request counters (not OpenAI; for load tests)
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../engine/log.js";
import type { Batcher } from "./batcher.js";
import {
  chatReply,
  completionReply,
  encodePrompt,
  errorBody,
  HttpError,
  modelCard,
  parseChat,
  parseCompletion,
  toChoice,
  type ParsedRequest,
} from "./protocol.js";
import type { ServedModel } from "./registry.js";

export interface HandlerOptions {
  models: ReadonlyMap<string, ServedModel>;
  batcher: Batcher;
  /** Requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  maxBodyBytes: number;
  /** The tfjs backend decoding, reported by /stats. */
  backend: string;
  log: Logger;
}

export interface HttpStats {
  requests: number;
  /** Replies by status class. */
  ok: number;
  client_errors: number;
  server_errors: number;
  /** Clients that disconnected before their request body arrived (no reply possible; not an error of ours). */
  client_aborts: number;
}

/** The client closed the connection before its request body ended. */
class ClientAbort extends Error {
  override name = "ClientAbort";
}

const _digest = (s: string) => createHash("sha256").update(s).digest();

/** The Authorization header carries `Bearer <key>`: both sides hashed first, so the compare's time says nothing. */
export function keyMatches(header: string | undefined, key: string): boolean {
  const given = /^Bearer (.*)$/i.exec(header ?? "")?.[1] ?? "";
  return timingSafeEqual(_digest(given), _digest(key));
}

/** The request body, at most `limit` bytes (413 beyond; the rest is read and dropped so the reply arrives). */
function _readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const tooLarge = () => new HttpError(413, `the request body exceeds ${limit} bytes`, "request_too_large");
    if (declared > 64 * limit) {
      reject(tooLarge()); // not worth draining: the reply closes the connection
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > 64 * limit) {
        reject(tooLarge());
        req.destroy();
      }
    });
    req.on("end", () => {
      ended = true;
      if (size > limit) reject(tooLarge());
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    // A connection closed mid-body ("aborted", ECONNRESET) is the client's doing: no stack, no 5xx.
    const aborted = () => reject(new ClientAbort(`the client disconnected after ${size} of ${declared || "?"} body bytes`));
    req.on("error", aborted);
    req.on("close", () => {
      if (!ended) aborted();
    });
  });
}

/** Reads and drops the rest of a body; past `cap` bytes, gives up and destroys the request. */
function _drain(req: IncomingMessage, cap: number): Promise<void> {
  return new Promise((resolve) => {
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) req.destroy();
    });
    req.on("close", resolve);
    req.on("end", resolve);
    req.resume();
  });
}

function _json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON (${(error as Error).message})`, "invalid_json");
  }
}

/** The request (http) handler and its counters. */
export function createHandler({ models, batcher, apiKey, maxBodyBytes, backend, log }: HandlerOptions) {
  const stats: HttpStats = { requests: 0, ok: 0, client_errors: 0, server_errors: 0, client_aborts: 0 };
  const started = Date.now();
  const snapshot = () => ({ backend, uptime_s: (Date.now() - started) / 1000, ...stats, ...batcher.stats() });
  const list = () => ({ object: "list", data: [...models].map(([id, m]) => modelCard(id, m)) });

  async function generateAll(request: ParsedRequest, defaultMaxTokens: number | "room") {
    const sequences = request.prompts.map((p) => encodePrompt(request, p, defaultMaxTokens)); // all checked before any is queued
    const results = await Promise.all(sequences.map((s) => batcher.submit(request.model, s)));
    return results.map((r, i) => toChoice(request, sequences[i]!, r));
  }

  async function route(req: IncomingMessage, path: string): Promise<unknown> {
    const method = req.method ?? "GET";
    if (path === "/health" && method === "GET") return { status: "ok" };
    const known =
      path === "/v1/models" ||
      path.startsWith("/v1/models/") ||
      path === "/v1/completions" ||
      path === "/v1/chat/completions" ||
      path === "/stats";
    if (!known) throw new HttpError(404, `no route ${method} ${path.slice(0, 100)}`, "not_found");
    if (apiKey !== undefined && !keyMatches(req.headers.authorization, apiKey)) {
      throw new HttpError(401, "missing or wrong API key: send Authorization: Bearer <key>", "invalid_api_key");
    }
    const post = path === "/v1/completions" || path === "/v1/chat/completions";
    if (method !== (post ? "POST" : "GET"))
      throw new HttpError(405, `${path} takes ${post ? "POST" : "GET"}, not ${method}`, "method_not_allowed");
    if (path === "/v1/models") return list();
    if (path === "/stats") return snapshot();
    if (path.startsWith("/v1/models/")) {
      let id: string;
      try {
        id = decodeURIComponent(path.slice("/v1/models/".length));
      } catch {
        throw new HttpError(400, "the model id is not valid percent-encoding", "invalid_value");
      }
      const model = models.get(id);
      if (!model) throw new HttpError(404, `The model "${id.slice(0, 100)}" does not exist`, "model_not_found");
      return modelCard(id, model);
    }
    const body = _json(await _readBody(req, maxBodyBytes));
    if (path === "/v1/completions") {
      const request = parseCompletion(body, models);
      return completionReply(request, await generateAll(request, 16));
    }
    const request = parseChat(body, models);
    return chatReply(request, await generateAll(request, "room"));
  }

  function send(res: ServerResponse, status: number, payload: unknown, close = false): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (status === 401) headers["www-authenticate"] = "Bearer";
    if (close) headers.connection = "close";
    res.writeHead(status, headers).end(JSON.stringify(payload));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    stats.requests++;
    const path = (req.url ?? "/").split("?")[0]!;
    const began = performance.now();
    route(req, path).then(
      (payload) => {
        stats.ok++;
        send(res, 200, payload);
        log.debug(`${req.method} ${path} 200 ${Math.round(performance.now() - began)} ms`);
      },
      (error: unknown) => {
        if (error instanceof ClientAbort) {
          stats.client_aborts++;
          log.info(`${req.method} ${path}: ${error.message}`);
          return; // nobody is left to reply to
        }
        const known = error instanceof HttpError;
        const failure = known ? error : new HttpError(500, "internal error (see the server's log)", "internal_error");
        if (failure.status >= 500) {
          stats.server_errors++;
          log.error(`${req.method} ${path}: ${known ? failure.message : ((error as Error).stack ?? String(error))}`);
        } else {
          stats.client_errors++;
          log.debug(`${req.method} ${path} ${failure.status}: ${failure.message}`);
        }
        // A body not read yet (a route, key or size failure) is drained first, so the client, still
        // sending, gets the reply rather than a reset; a body far over the limit closes the connection.
        const reply = () => send(res, failure.status, errorBody(failure), !req.complete);
        if (req.complete || req.destroyed || failure.status === 413) reply();
        else _drain(req, 64 * maxBodyBytes).then(reply, reply);
      },
    );
  }

  return { handle, stats: snapshot };
}
