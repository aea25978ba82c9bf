// The preset's `study_summary` table as Parquet, for download (DuckDB CLI, pandas, polars).
import { emit, siteParquet } from "../../loaders/tables/site.js";

await emit(siteParquet("study_summary"));
