/**
 * The `aligner` command line. stdout carries results (JSON); progress goes to stderr.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { dirname, resolve } from "node:path";
import { DEFAULTS, listPresets, loadPreset, validateConfig } from "../experiment/config.js";
import { ConfigError, mergeConfig } from "../engine/settings.js";
import { readJson } from "../engine/files.js";
import { selectBackend } from "../engine/backend.js";
import type { HelperSpec } from "../experiment/pipeline/helper.js";
import { describeFile, ImportError, parseMap, writeImport, type ImportOptions } from "../tables/import.js";
import { siteHint } from "../tables/imported.js";
import { clearProgress, createLogger } from "../engine/log.js";
import { ownVersion } from "../experiment/record.js";
import { buildDataset } from "../experiment/dataset.js";
import { exportDataset } from "../tables/export.js";
import { materializeRun } from "../tables/materialize.js";
import { materializeStudy } from "../tables/study.js";
import { prefetchStages } from "../experiment/pipeline/helper.js";
import { describeFsError, prepareDir, runDir, RunDirError } from "../experiment/pipeline/runs.js";
import { ServeError, serveUntilSignal } from "../serve/index.js";

const HELP = `aligner — Aligner Workbench: learn to correct answers, measure it, publish it.

Usage: aligner <command> [options]

Commands:
  run [--preset NAME|FILE.json] [--out DIR]
                                  run an experiment end to end (default preset: $ALIGNER_PRESET or
                                  "default") into DIR (default runs/<preset>/): DIR/run.json records
                                  preset, seed, backend and versions, DIR/tables/NAME.parquet and
                                  .arrow hold the results; prints DIR
  study [--preset NAME|FILE.json] [--seeds 42,43,44] [--out DIR]
                                  run the preset once per seed (the preset's "seeds", default 42,43,44;
                                  each a whole run: world, models, bootstrap, cached per seed) into
                                  DIR (default runs/<preset>/; the preset's own seed there, the others
                                  in DIR/seeds/SEED/), then DIR/tables/study.* (per seed × method ×
                                  upstream × shift ω with intervals), study_summary.* (mean and spread
                                  over seeds) and DIR/study.json; prints DIR
  world [--preset NAME] --out DIR the preset's dataset (world questions, every upstream's answers,
                                  corrections) as DIR/dataset.jsonl (aligner-20K schema),
                                  dataset.parquet and identity.jsonl; prints a JSON summary (its
                                  backend: the one run selects, where the zoo LMs trained)
  presets                         list the presets in data/presets with their merged settings
  import FILE --out OUT.parquet   import (question, answer, correction) rows from JSON, JSONL, CSV or
                                  Parquet, plain or .gz/.xz (aligner-20K, template-dataset.json,
                                  AlpacaEval model_outputs.json, ...); prints a one-line JSON summary.
                                  OUT in $ALIGNER_IMPORTS (default runs/imports/), e.g.
                                  runs/imports/NAME.parquet, makes dataset NAME appear on the site
                                  (Residuals, Imported datasets) at the next build
  metrics FILE                    copy rate, D_L, lengths and degenerate counts of an importable file
                                  (or an imported Parquet), as one JSON object
    import and metrics take [--format auto|json|jsonl|csv|parquet] (default: from the extension)
    and [--map question=COL,answer=COL,correction=COL,id=COL] (default: from the column names)
  prefetch --spec DIR/helper.json  (internal) the stages a run's helper process computes alongside
                                  the main one (loaders/experiment/pipeline/helper.ts); run starts it itself
  serve --run DIR [--port N] [--host H] [--api-key KEY]
                                  serve the run's Aligner (model "aligner", also "aligner/<template>")
                                  and its zoo LMs (by name, e.g. "lm_unsafe") as an OpenAI-compatible
                                  API (GET /v1/models, POST /v1/completions, /v1/chat/completions) on
                                  127.0.0.1:8000 by default; with a key (or $ALIGNER_API_KEY) requests
                                  need "Authorization: Bearer KEY"; prints the base URL once ready,
                                  serves until SIGINT/SIGTERM, then prints its counters as JSON

Options:
  -h, --help      show this help
  -v, --version   print the version

Environment: ALIGNER_PRESET (preset), ALIGNER_BACKEND (auto|tensorflow|wasm|cpu), ALIGNER_LOG (silent..debug),
ALIGNER_API_KEY (serve's key), ALIGNER_IMPORTS (the site's imported datasets; default runs/imports),
ALIGNER_RUNS (the runs folder; default runs), ALIGNER_PROGRESS (a terminal gets a progress bar with an ETA;
elsewhere one progress line per this many seconds, default 5; 0 turns progress off),
ALIGNER_JOBS (processes a run may use: 2 by default on 2+ cores, where a helper trains the zoo, the warm-up sweep and the strong LM beside the Aligner; 1 turns it off). A preset's api slice (e.g. the http preset) reads
ALIGNER_{UPSTREAM,CORRECTOR,JUDGE}_BASE_URL, ALIGNER_{CORRECTOR,JUDGE}_MODEL and, for keys only,
ALIGNER_{UPSTREAM,CORRECTOR,JUDGE}_KEY (keys are never written into a run).
`;

/** "42,43,44" -> [42, 43, 44]; anything but comma-separated integers is a usage error. */
function parseSeeds(text: string): number[] {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(text))
    throw new UsageError(`study: --seeds must be comma-separated integers, e.g. 42,43,44; got "${text}"`);
  return text.split(",").map((s) => Number(s.trim()));
}

/** Thrown for a command line the CLI cannot run; the message says what was wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

interface Command {
  options: ParseArgsConfig["options"];
  /** Takes exactly one FILE argument. */
  file?: true;
  /** Prints its result on one line. */
  compact?: true;
  /** Prints its result as plain text, not JSON. */
  text?: true;
  /** `note` writes a line for the user to stderr (never stdout, which carries the result). */
  run(values: Record<string, unknown>, file: string, note: (line: string) => void): Promise<unknown>;
}

const IMPORT_OPTIONS = { format: { type: "string" }, map: { type: "string", multiple: true } } as const;
const importOptions = (values: Record<string, unknown>): ImportOptions => ({
  format: (values.format as ImportOptions["format"] | undefined) ?? "auto",
  map: parseMap(values.map as string[] | undefined),
});

const COMMANDS: Record<string, Command> = {
  run: {
    options: { preset: { type: "string", short: "p" }, out: { type: "string", short: "o" } },
    text: true,
    run: async (values) => {
      const record = await materializeRun(loadPreset(values.preset as string | undefined), {
        log: createLogger("run"),
        ...(values.out !== undefined ? { dir: values.out as string } : {}),
      });
      return record.dir;
    },
  },
  study: {
    options: { preset: { type: "string", short: "p" }, seeds: { type: "string" }, out: { type: "string", short: "o" } },
    text: true,
    run: async (values) => {
      const preset = loadPreset(values.preset as string | undefined);
      const seeds = values.seeds === undefined ? preset.config.seeds : parseSeeds(values.seeds as string);
      validateConfig({ ...preset.config, seeds }, "--seeds");
      const study = await materializeStudy(preset, {
        seeds,
        log: createLogger("study"),
        ...(values.out !== undefined ? { dir: values.out as string } : {}),
      });
      return study.dir;
    },
  },
  world: {
    options: { preset: { type: "string", short: "p" }, out: { type: "string", short: "o" } },
    run: async (values) => {
      if (typeof values.out !== "string") throw new UsageError("world: --out DIR is required");
      const preset = loadPreset(values.preset as string | undefined);
      prepareDir(runDir(preset.name), "runs folder"); // its stages' cache
      prepareDir(values.out, "--out");
      const log = createLogger("world");
      // The backend `run` selects, so the zoo LMs this trains (and caches for later runs) train as fast and the same way.
      const backend = await selectBackend(preset.config.backend);
      log.info(`world: preset ${preset.name}, seed ${preset.config.seed}, backend ${backend.backend} (${backend.threads} thread)`);
      const data = await buildDataset(runDir(preset.name), preset.config, log);
      return { ...(await exportDataset(data, preset.config, values.out)), backend: backend.backend };
    },
  },
  presets: {
    options: {},
    run: async () => listPresets().map(({ name, file, config }) => ({ name, file, config })),
  },
  import: {
    options: { ...IMPORT_OPTIONS, out: { type: "string", short: "o" } },
    file: true,
    compact: true,
    run: async (values, file, note) => {
      if (typeof values.out !== "string") throw new UsageError("import: --out OUT.parquet is required");
      const summary = await writeImport(file, values.out, importOptions(values));
      note(siteHint(values.out));
      return summary;
    },
  },
  metrics: {
    options: IMPORT_OPTIONS,
    file: true,
    run: async (values, file) => describeFile(file, importOptions(values)),
  },
  prefetch: {
    options: { spec: { type: "string" } },
    text: true,
    run: async (values) => {
      if (typeof values.spec !== "string") throw new UsageError("prefetch: --spec FILE is required (run writes it for its helper)");
      const spec = readJson<HelperSpec>(values.spec);
      const config = validateConfig(mergeConfig(DEFAULTS, spec.config, values.spec), values.spec);
      await prefetchStages({ name: spec.name, file: spec.file, config }, dirname(resolve(values.spec)), createLogger("helper"));
      return "";
    },
  },
  serve: {
    options: { run: { type: "string" }, port: { type: "string" }, host: { type: "string" }, "api-key": { type: "string" } },
    compact: true,
    run: async (values) => {
      if (typeof values.run !== "string") throw new UsageError("serve: --run DIR is required");
      const port = typeof values.port === "string" ? (/^\d+$/.test(values.port) ? Number(values.port) : NaN) : undefined;
      const apiKey = (values["api-key"] as string | undefined) ?? (process.env.ALIGNER_API_KEY || undefined);
      const options = { run: values.run, port, host: values.host as string | undefined, apiKey, log: createLogger("serve") };
      return serveUntilSignal(options, (url) => process.stdout.write(`${url}\n`)).catch((error: unknown) => {
        throw error instanceof ServeError ? new UsageError(`serve: ${error.message}`) : error;
      });
    },
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
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: rest,
        options: { ...spec.options, help: { type: "boolean", short: "h" } },
        strict: true,
        allowPositionals: spec.file === true,
      }));
    } catch (error) {
      throw new UsageError(`${command}: ${(error as Error).message}`);
    }
    if (values.help) {
      out.write(HELP);
      return 0;
    }
    if (spec.file && positionals.length !== 1)
      throw new UsageError(`${command}: expected one FILE, got ${positionals.length} (see aligner --help)`);
    const result = await spec.run(values, positionals[0] ?? "", (line) => err.write(`aligner: ${line}\n`));
    out.write(spec.text ? `${String(result)}\n` : `${JSON.stringify(result, null, spec.compact ? undefined : 2)}\n`);
    return 0;
  } catch (error) {
    clearProgress(); // a progress bar left on the terminal would swallow the message's start
    const known =
      error instanceof UsageError || error instanceof ConfigError || error instanceof ImportError || error instanceof RunDirError;
    // Any other failed file-system call (a full disk, a folder made read-only mid-run): one line naming the path.
    const message = known ? (error as Error).message : (describeFsError(error) ?? (error as Error).stack ?? String(error));
    err.write(`aligner: ${message}\n`);
    return known ? 2 : 1;
  }
}
