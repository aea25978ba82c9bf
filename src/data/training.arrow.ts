// The run's `training` table (loaders/experiment/schemas.ts) as an Arrow IPC stream.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("training"));
