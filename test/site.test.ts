// The published site, built offline-ready from the tiny preset and loaded in Debian's Chromium.
import { existsSync, mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, CHROMIUM, buildSite, openBrowser, serveDir, type Browser } from "./_browser.js";

const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)(`site in Chromium (${CHROMIUM})`, () => {
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    const dir = buildSite("tiny");
    ({ server, base } = await serveDir(dir));
    browser = await openBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("renders the overview's SQL result, table and Plot chart with no error and no external request", async () => {
    const { page, problems, external } = browser;
    await page.goto(`${base}/`, { waitUntil: "load" });
    const sql = page.locator("#sql-result");
    await sql.waitFor({ timeout: 60_000 });
    expect(await sql.textContent()).toMatch(/SQL rows: 6; presets: default, quick, tiny/);
    await page.locator("figure svg").first().waitFor({ timeout: 30_000 });
    expect(await page.locator("figure svg [aria-label='bar'] rect").count()).toBe(6);
    await page.locator("form table tbody tr").first().waitFor({ timeout: 30_000 });
    expect(await page.locator("form table tbody tr").count()).toBeGreaterThan(0);
    await page.waitForTimeout(500);
    expect(await page.locator(".observablehq--error").allTextContents()).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "overview.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
  }, 120_000);
});
