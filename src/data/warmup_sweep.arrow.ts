// The run's `warmup_sweep` table (loaders/experiment/schemas.ts) as an Arrow IPC stream.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("warmup_sweep"));
