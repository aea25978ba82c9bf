// correctAnswersOn: the Aligner's corrections with decoding batches spread over 2 threads equal
// correctAnswers' (greedy, with and without the copy candidate, two rounds).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeWorkerPool, createWorkerPool, type WorkerPool } from "../../loaders/engine/dataparallel.js";
import { silentLogger } from "../../loaders/engine/log.js";
import { createModel, disposeModel, type GPT } from "../../loaders/engine/model.js";
import type { Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { correctAnswers } from "../../loaders/experiment/aligner.js";
import { correctAnswersOn } from "../../loaders/experiment/correct-on.js";
import { useBackend } from "../_tf.js";

// Any character as one of ids 4–35, decoded as a letter: enough of a tokenizer for a random model.
const CHARS = {
  encode: (text: string) => [...text].map((c) => 4 + (c.charCodeAt(0) % 32)),
  decode: (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + ((i - 4) % 26))).join(""),
} as unknown as Tokenizer;
const PAIRS = Array.from({ length: 13 }, (_, i) => ({ question: `q${i}?`, answer: "abcdefgh".slice(0, 1 + (i % 7)) }));

describe("correctAnswersOn", () => {
  let model: GPT;
  let pool: WorkerPool;
  beforeAll(async () => {
    await useBackend("wasm");
    model = createModel({ vocabSize: 40, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 96 }, { seed: 3 });
    pool = await createWorkerPool(model, 2);
  }, 60_000);
  afterAll(async () => {
    await closeWorkerPool(pool);
    disposeModel(model);
  });

  it.each([false, true])("gives correctAnswers' rounds and greedy texts on 2 threads (copy candidate %s)", async (copyCandidate) => {
    const options = {
      decoding: { temperature: 0, topK: 0, topP: 1, maxNewTokens: 5, batchSize: 3, seed: 42 },
      rounds: 2,
      log: silentLogger,
      copyCandidate,
    };
    const one = correctAnswers(model, CHARS, PAIRS, "aligner-v1.0", options);
    const spread = await correctAnswersOn(pool, model, CHARS, PAIRS, "aligner-v1.0", options);
    expect(spread).toEqual(one);
    expect(one.rounds[1]!.length).toBe(PAIRS.length);
  });
});
