/**
 * A scriptable OpenAI-compatible server on 127.0.0.1 for tests: `POST /v1/chat/completions` and
 * `POST /v1/completions` with replies shaped like OpenAI's (the official `openai` client parses
 * them). Each request is recorded (path, headers, body); `peak` is the most requests in flight at
 * once. Replies come from the queue given to `script(...)`, then from `handler` (an echo by default).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface MockRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface MockReply {
  /** HTTP status; 200 by default. */
  status?: number;
  headers?: Record<string, string>;
  /** The assistant text (chat) or completion text; wrapped in an OpenAI-shaped body. */
  text?: string;
  /** A raw body instead (an object is sent as JSON, a string as is). */
  body?: unknown;
  /** Leave out `usage`, so the client estimates tokens. */
  noUsage?: boolean;
  /** Wait this long before answering (for timeouts and the concurrency peak). */
  delayMs?: number;
  /** Drop the connection without a reply (a network error). */
  hangUp?: boolean;
}

export type MockHandler = (request: MockRequest, index: number) => MockReply;

export interface MockServer {
  /** The OpenAI-style base URL, ending in /v1. */
  url: string;
  requests: MockRequest[];
  /** The most requests in flight at once so far. */
  readonly peak: number;
  /** Queues replies for the next requests, in order. */
  script(...replies: MockReply[]): void;
  handler: MockHandler;
  close(): Promise<void>;
}

/** The text the default handler returns: `echo: <last user message or prompt>`. */
export function echoText(body: Record<string, unknown>): string {
  const messages = body.messages as { content: string }[] | undefined;
  return `echo: ${messages ? (messages.at(-1)?.content ?? "") : String(body.prompt ?? "")}`;
}

const _words = (s: string) => s.split(/\s+/).filter(Boolean).length;

function _okBody(path: string, body: Record<string, unknown>, text: string, noUsage: boolean, n: number) {
  const prompt = JSON.stringify(body.messages ?? body.prompt ?? "");
  const usage = noUsage
    ? {}
    : { usage: { prompt_tokens: _words(prompt), completion_tokens: _words(text), total_tokens: _words(prompt) + _words(text) } };
  const common = { id: `mock-${n}`, created: 1_700_000_000, model: String(body.model ?? "mock"), ...usage };
  return path.endsWith("/chat/completions")
    ? {
        ...common,
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: "stop", logprobs: null }],
      }
    : { ...common, object: "text_completion", choices: [{ index: 0, text, finish_reason: "stop", logprobs: null }] };
}

/** Starts the mock on 127.0.0.1 and a free port. With `apiKey`, requests without that bearer get 401. */
export async function startMockOpenAI({ apiKey }: { apiKey?: string } = {}): Promise<MockServer> {
  const queue: MockReply[] = [];
  let inFlight = 0;
  let peak = 0;
  const requests: MockRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "invalid JSON" } }));
        return;
      }
      const request = { path, headers: req.headers, body };
      const index = requests.push(request) - 1;
      if (req.method !== "POST" || !["/v1/chat/completions", "/v1/completions"].includes(path)) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
        return;
      }
      if (apiKey && req.headers.authorization !== `Bearer ${apiKey}`) {
        res
          .writeHead(401, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { message: "bad key", type: "invalid_request_error" } }));
        return;
      }
      const reply = queue.shift() ?? mock.handler(request, index);
      inFlight++;
      peak = Math.max(peak, inFlight);
      let open = true;
      const finish = () => {
        if (open) inFlight--;
        open = false;
      };
      res.on("close", finish);
      const send = () => {
        if (!open) return;
        if (reply.hangUp) {
          req.socket.destroy();
          return;
        }
        const status = reply.status ?? 200;
        const payload =
          reply.body !== undefined
            ? reply.body
            : status >= 200 && status < 300
              ? _okBody(path, body, reply.text ?? echoText(body), reply.noUsage ?? false, index)
              : { error: { message: `mock error ${status}`, type: "server_error" } };
        const text = typeof payload === "string" ? payload : JSON.stringify(payload);
        res.writeHead(status, { "content-type": "application/json", ...reply.headers }).end(text);
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => (timers.delete(timer), send()), reply.delayMs);
        timers.add(timer);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const mock: MockServer = {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get peak() {
      return peak;
    },
    script: (...replies) => void queue.push(...replies),
    handler: () => ({}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return mock;
}
