// The API judge's verdicts beside the oracle's: the `judgements` table (loaders/experiment/schemas.ts) as
// an Arrow IPC stream; 0 rows for a run without an API judge.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("judgements"));
