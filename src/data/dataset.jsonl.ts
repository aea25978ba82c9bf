// The run's test-split corrections as JSON Lines in the aligner-20K schema: question, answer (an
// upstream's) and correction (the annotator's, i.e. gold_correction), one object per line.
import { siteTable } from "../../loaders/run.js";
import { fromArrow } from "../../loaders/tables.js";

for (const { question, answer, gold_correction } of fromArrow(await siteTable("corrections"))) {
  process.stdout.write(`${JSON.stringify({ question, answer, correction: gold_correction })}\n`);
}
