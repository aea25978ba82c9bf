// The Playground's Web Worker: the engine's own model, tokenizer and decoding, bundled for the browser.
import { emit } from "../../../loaders/tables/site.js";
import { bundlePlaygroundWorker } from "../../../loaders/tables/playground-bundle.js";

await emit(bundlePlaygroundWorker());
