/**
 * The `aligner` command line. stdout carries results (JSON); progress goes to stderr.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, listPresets, loadPreset } from "./config.js";
import { createLogger } from "./log.js";
import { ownVersion } from "./record.js";
import { runExperiment } from "./run.js";

const HELP = `aligner — Aligner Workbench: learn to correct answers, measure it, publish it.

Usage: aligner <command> [options]

Commands:
  run [--preset NAME|FILE.json]   run an experiment end to end into runs/<preset>/ (default preset:
                                  $ALIGNER_PRESET or "default"); prints the run record as JSON
  presets                         list the presets in data/presets with their merged settings

Options:
  -h, --help      show this help
  -v, --version   print the version

Environment: ALIGNER_PRESET (preset), ALIGNER_BACKEND (auto|tensorflow|wasm|cpu), ALIGNER_LOG (silent..debug).
`;

/** Thrown for a command line the CLI cannot run; the message says what was wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

const COMMANDS: Record<string, { options: ParseArgsConfig["options"]; run(values: Record<string, unknown>): Promise<unknown> }> = {
  run: {
    options: { preset: { type: "string", short: "p" } },
    run: async (values) => runExperiment(loadPreset(values.preset as string | undefined), { log: createLogger("run") }),
  },
  presets: {
    options: {},
    run: async () => listPresets().map(({ name, file, config }) => ({ name, file, config })),
  },
};

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      err.write(HELP);
      return 2;
    }
    if (command === "-h" || command === "--help" || command === "help") {
      out.write(HELP);
      return 0;
    }
    if (command === "-v" || command === "--version") {
      out.write(`${ownVersion()}\n`);
      return 0;
    }
    const spec = COMMANDS[command];
    if (!spec) throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(", ")}; see aligner --help)`);
    let values: Record<string, unknown>;
    try {
      ({ values } = parseArgs({ args: rest, options: { ...spec.options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }));
    } catch (error) {
      throw new UsageError(`${command}: ${(error as Error).message}`);
    }
    if (values.help) {
      out.write(HELP);
      return 0;
    }
    const result = await spec.run(values);
    out.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    const known = error instanceof UsageError || error instanceof ConfigError;
    err.write(`aligner: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    return known ? 2 : 1;
  }
}
