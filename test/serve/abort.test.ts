// A client that disconnects mid-body: counted as a client abort in /stats (not a 5xx), logged on one line.
// Runs the request handler alone (no models are needed to read a body), so it takes no trained run.
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../../loaders/engine/log.js";
import { createBatcher } from "../../loaders/serve/batcher.js";
import { createHandler } from "../../loaders/serve/http.js";

const lines: string[] = [];
const log: Logger = {
  info: (m) => lines.push(`info ${m}`),
  warn: (m) => lines.push(`warn ${m}`),
  error: (m) => lines.push(`error ${m}`),
  debug: (m) => lines.push(`debug ${m}`),
} as Logger;
const handler = createHandler({ models: new Map(), batcher: createBatcher(), maxBodyBytes: 1 << 20, backend: "none", log });
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer(handler.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends headers promising `declared` bytes and `sent` of them, then hangs up. */
async function abortMidBody(declared: number, sent: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write('{"model": "aligner", "prompt": "'.padEnd(sent, "a"), () => setTimeout(() => socket.destroy(), 50));
    });
    socket.on("close", () => resolve());
  });
  for (let i = 0; i < 100 && handler.stats().client_aborts === 0; i++) await new Promise((r) => setTimeout(r, 10));
}

describe("a client that disconnects mid-body", () => {
  it("counts as a client abort, not a server error, and logs one line without a stack", async () => {
    await abortMidBody(10_000, 200);
    const stats = handler.stats();
    expect(stats).toMatchObject({ requests: 1, client_aborts: 1, server_errors: 0, client_errors: 0, ok: 0 });
    expect(lines).toEqual(["info POST /v1/completions: the client disconnected after 200 of 10000 body bytes"]);
  });

  it("keeps serving afterwards", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(handler.stats()).toMatchObject({ requests: 2, ok: 1, client_aborts: 1, server_errors: 0 });
  });
});
