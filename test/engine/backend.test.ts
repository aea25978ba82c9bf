import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { defaultBackendRequest, selectBackend } from "../../loaders/engine/backend.js";

describe("selectBackend", () => {
  afterAll(async () => {
    await selectBackend("wasm");
  });

  it("falls back to wasm with SIMD and reports one thread when tfjs-node is absent", async () => {
    const info = await selectBackend("auto");
    expect(info.backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(1);
    expect(info.versions.tfjs).toBe(tf.version.tfjs);
    expect(info.versions["tfjs-backend-wasm"]).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("selects the cpu backend on request", async () => {
    const info = await selectBackend("cpu");
    expect(info).toMatchObject({ backend: "cpu", threads: 1, simd: false });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("throws a clear error when the requested tensorflow backend is missing", async () => {
    await expect(selectBackend("tensorflow")).rejects.toThrow(/tfjs-node/);
  });

  it("reads its default from ALIGNER_BACKEND", () => {
    const saved = process.env.ALIGNER_BACKEND;
    try {
      process.env.ALIGNER_BACKEND = "cpu";
      expect(defaultBackendRequest()).toBe("cpu");
      delete process.env.ALIGNER_BACKEND;
      expect(defaultBackendRequest()).toBe("auto");
      process.env.ALIGNER_BACKEND = "gpu";
      expect(() => defaultBackendRequest()).toThrow(/ALIGNER_BACKEND/);
    } finally {
      if (saved === undefined) delete process.env.ALIGNER_BACKEND;
      else process.env.ALIGNER_BACKEND = saved;
    }
  });
});
