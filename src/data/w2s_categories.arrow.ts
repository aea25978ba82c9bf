// The run's weak-to-strong results per question category (loaders/experiment/schemas.ts W2S) as an Arrow IPC stream; empty when the preset
// did not run weak-to-strong.
import { emit, siteTable } from "../../loaders/tables/site.js";

await emit(siteTable("w2s_categories"));
