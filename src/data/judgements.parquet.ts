// The run's `judgements` table as Parquet, for download (DuckDB CLI, pandas, polars); 0 rows without an API judge.
import { emit, siteParquet } from "../../loaders/tables/site.js";

await emit(siteParquet("judgements"));
