// The run's `corrections` table (loaders/types.ts) as an Arrow IPC stream.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("corrections"));
