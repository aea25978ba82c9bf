// Every dataset imported with `aligner import FILE --out $ALIGNER_IMPORTS/NAME.parquet` (default
// runs/imports/), measured per row: the `imported` table (loaders/experiment/schemas.ts) as an Arrow IPC stream.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("imported"));
