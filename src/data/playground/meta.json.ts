// What the Playground needs to correct as the run did, whether it is on, and the bytes the Aligner adds (loaders/tables/playground.ts).
import { emit } from "../../../loaders/tables/site.js";
import { playgroundMeta } from "../../../loaders/tables/playground.js";

await emit(playgroundMeta());
