// The run's `summary` table (loaders/experiment/schemas.ts) as an Arrow IPC stream.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("summary"));
