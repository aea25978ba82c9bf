// Every npm script (and the CI script) that runs Observable Framework turns its telemetry off: the
// build must not print a notice or try to reach the network.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf-8")).scripts;

describe("Framework's telemetry", () => {
  it.each(Object.entries(scripts).filter(([, command]) => /\bobservable\s/.test(command)))(
    "is disabled in npm script %s",
    (_name, command) => {
      for (const call of command.split(/&&|;|\|\|/).filter((c) => /\bobservable\s/.test(c)))
        expect(call.trim()).toMatch(/^OBSERVABLE_TELEMETRY_DISABLE=true observable /);
    },
  );

  it("is disabled for the whole CI script, before it builds", () => {
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf-8");
    expect(ci.indexOf("export OBSERVABLE_TELEMETRY_DISABLE=true")).toBeGreaterThan(-1);
    expect(ci.indexOf("export OBSERVABLE_TELEMETRY_DISABLE=true")).toBeLessThan(ci.indexOf("npm run build"));
  });

  it("covers build and dev", () => {
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["build", "dev"]));
    expect(scripts.build).toMatch(/observable build/);
    expect(scripts.dev).toMatch(/observable preview/);
  });
});
