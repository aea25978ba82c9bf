// The `imported` table as Parquet, for download (DuckDB CLI, pandas, polars).
import { emit, siteParquet } from "../../loaders/run.js";

await emit(siteParquet("imported"));
