// The run's test-split corrections as JSON Lines in the aligner-20K schema: question, answer (an
// upstream's) and correction (the annotator's, i.e. gold_correction), one object per line.
import { datasetJsonl, emit } from "../../loaders/tables/site.js";

await emit(datasetJsonl());
