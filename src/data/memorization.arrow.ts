// The run's memorization check (loaders/experiment/memorization.ts) as an Arrow IPC stream; per category and shift
// the share of test golds and Aligner outputs found verbatim among the training corrections.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("memorization"));
