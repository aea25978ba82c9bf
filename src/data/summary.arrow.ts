// The run's `summary` table (loaders/types.ts) as an Arrow IPC stream.
import { emit, siteTable } from "../../loaders/run.js";

await emit(siteTable("summary"));
