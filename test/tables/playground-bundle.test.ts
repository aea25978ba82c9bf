// The Playground's worker bundle is browser code: its top level must evaluate in a browser, where no
// bare specifier (such as "tsx") resolves and no `node:` built-in exists. Started here as a module
// Worker in Debian's Chromium from a page served on 127.0.0.1; an unknown message must come back as the worker's own
// error reply, which proves the module evaluated and installed its handler.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundlePlaygroundWorker } from "../../loaders/tables/playground-bundle.js";
import { CHROMIUM, openBrowser, serveDir } from "../_browser.js";

describe.skipIf(!existsSync(CHROMIUM))("the Playground's worker bundle", () => {
  it("evaluates as a module Worker in Chromium and answers an unknown message with an error reply", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aligner-playground-bundle-"));
    writeFileSync(join(dir, "worker.js"), await bundlePlaygroundWorker());
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>worker</title>");
    const { server, base } = await serveDir(dir);
    const browser = await openBrowser();
    try {
      await browser.page.goto(`${base}/index.html`);
      const reply = await browser.page.evaluate(async () => {
        const worker = new Worker("/worker.js", { type: "module" });
        return await new Promise<unknown>((resolve) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.onerror = (event) => resolve({ type: "uncaught", message: event.message });
          worker.postMessage({ type: "bogus" });
          setTimeout(() => resolve({ type: "timeout" }), 30_000);
        });
      });
      expect(reply).toEqual({ type: "error", message: 'unknown message "bogus"' });
    } finally {
      await browser.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
