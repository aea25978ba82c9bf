// The world's items for the oracle in the Playground: id, question, intent, facts, category, split.
import { emit } from "../../../loaders/tables/site.js";
import { playgroundItems } from "../../../loaders/tables/playground.js";

await emit(playgroundItems());
