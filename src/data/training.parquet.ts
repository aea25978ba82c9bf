// The run's `training` table as Parquet, for download (DuckDB CLI, pandas, polars).
import { emit, siteParquet } from "../../loaders/run.js";

await emit(siteParquet("training"));
