// The presets shipped in data/presets, one row per preset and setting, as an Arrow IPC stream.
import { presetsTable } from "../../loaders/tables/site.js";

process.stdout.write(presetsTable());
