// The presets shipped in data/presets, one row per preset and setting, as an Arrow IPC stream.
import { flattenConfig, listPresets } from "../../loaders/config.js";
import { toArrowStream } from "../../loaders/tables.js";

const rows = listPresets().flatMap(({ name, config }) =>
  Object.entries(flattenConfig(config)).map(([key, value]) => ({ preset: name, key, value: String(value), number: typeof value === "number" ? value : null })),
);
process.stdout.write(toArrowStream("presets", rows, { preset: "string", key: "string", value: "string", number: "float" }));
