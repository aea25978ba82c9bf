// The preset's `study_summary` table (loaders/experiment/schemas.ts) as an Arrow IPC stream: written by `aligner study`; 0 rows before one ran.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("study_summary"));
