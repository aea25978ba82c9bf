#!/usr/bin/env node
// The `aligner` executable: registers tsx so the TypeScript engine runs as is, then hands over.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
