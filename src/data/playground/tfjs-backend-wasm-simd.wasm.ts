// TensorFlow.js's wasm backend (SIMD build), served by the site for the Playground's worker.
import { emit } from "../../../loaders/tables/site.js";
import { tfjsWasm } from "../../../loaders/tables/playground-bundle.js";

await emit(Promise.resolve(tfjsWasm("simd")));
