// The run's `warmup_sweep` table (loaders/types.ts) as an Arrow IPC stream.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("warmup_sweep"));
