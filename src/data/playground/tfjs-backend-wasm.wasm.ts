// TensorFlow.js's wasm backend (plain build, for browsers without wasm SIMD), served by the site.
import { emit } from "../../../loaders/tables/site.js";
import { tfjsWasm } from "../../../loaders/tables/playground-bundle.js";

await emit(Promise.resolve(tfjsWasm("plain")));
