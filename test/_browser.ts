/**
 * Browser test helpers: build the site once, serve a folder on 127.0.0.1 (with Range and HEAD, as
 * DuckDB-WASM reads files by range), and drive Debian's Chromium through playwright-core while
 * recording console errors, failed requests and any request that leaves 127.0.0.1.
 */
import { execFile } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { promisify } from "node:util";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const ROOT = join(import.meta.dirname, "..");
export const ARTIFACTS = join(ROOT, "test", "artifacts");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".arrow": "application/vnd.apache.arrow.stream",
  ".parquet": "application/vnd.apache.parquet",
  ".csv": "text/csv",
  ".png": "image/png",
};

/**
 * Builds the site into test/artifacts/site-<name> and returns that folder. `env` overrides the build's
 * environment: ALIGNER_TABLES_DIR publishes fixture tables instead of running the preset `name`.
 * Asynchronous, so vitest's worker stays responsive during the build.
 */
export async function buildSite(name: string, env: Record<string, string> = {}): Promise<string> {
  const out = join(ARTIFACTS, `site-${name}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  await promisify(execFile)("npm", ["run", "build", "--silent"], {
    cwd: ROOT,
    env: { ...process.env, ALIGNER_PRESET: name, ALIGNER_SITE_OUT: out, OBSERVABLE_TELEMETRY_DISABLE: "true", ALIGNER_LOG: "warn", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return out;
}

/** Serves `dir` on 127.0.0.1 with clean URLs; resolves to the server and its base URL. */
export async function serveDir(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    if (path.endsWith("/")) path += "index";
    let file = join(dir, path);
    if (!existsSync(file) || statSync(file).isDirectory()) file += ".html";
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end("not found");
    const size = statSync(file).size;
    const headers = { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "accept-ranges": "bytes" };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      const start = range[1] ? +range[1] : size - +(range[2] ?? 0);
      const end = range[1] && range[2] ? Math.min(+range[2], size - 1) : size - 1;
      res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${size}`, "content-length": end - start + 1 });
      return void (req.method === "HEAD" ? res.end() : createReadStream(file, { start, end }).pipe(res));
    }
    res.writeHead(200, { ...headers, "content-length": size });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and warnings, page errors, failed requests, HTTP statuses >= 400. */
  problems: string[];
  /** Requests that left 127.0.0.1. */
  external: string[];
  close(): Promise<void>;
}

/** Launches Chromium headless with a fresh profile and the project's no-network flags. */
export async function openBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), "aligner-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 1400 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const problems: string[] = [];
  const external: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  context.on("response", (r) => {
    if (r.status() >= 400) problems.push(`http ${r.status()}: ${r.url()}`);
  });
  context.on("request", (r) => {
    const url = r.url();
    if (/^(data|blob):/.test(url)) return;
    if (new URL(url).hostname !== "127.0.0.1") external.push(url);
  });
  return {
    context,
    page,
    problems,
    external,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
