// The run's Aligner checkpoint file tokenizer.json, as the run wrote it (empty when the Playground is off; loaders/tables/playground.ts).
import { emit } from "../../../loaders/tables/site.js";
import { playgroundCheckpointFile } from "../../../loaders/tables/playground.js";

await emit(playgroundCheckpointFile("tokenizer.json"));
