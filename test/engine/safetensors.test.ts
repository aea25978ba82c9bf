import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type Tensor } from "../../loaders/engine/safetensors.js";

/** Assembles a file from a raw header object and data bytes, for crafting malformed inputs. */
function assemble(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

function readHeader(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

const TENSORS: Record<string, Tensor> = {
  "layer.weight": { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2.5, 3, 0.125, 1e-8, -0]) },
  "layer.bias": { dtype: "F32", shape: [3], data: Float32Array.from([Number.NaN, Infinity, -Infinity]) },
  "a.steps": { dtype: "I32", shape: [], data: Int32Array.from([-7]) },
};

describe("encodeSafetensors", () => {
  const bytes = encodeSafetensors(TENSORS, { format: "pt", run: "aligner-1" });

  it("starts with a little-endian u64 header length and a space-padded JSON header", () => {
    const { length, text } = readHeader(bytes);
    expect(length % 8).toBe(0);
    expect(text.startsWith("{")).toBe(true);
    expect(text.trimEnd().endsWith("}")).toBe(true);
    expect(text.length - text.trimEnd().length).toBeLessThan(8);
    expect(bytes.length).toBe(8 + length + 4 * 6 + 4 * 3 + 4);
  });

  it("lists metadata first, then tensors sorted by name with contiguous data_offsets", () => {
    const header = JSON.parse(readHeader(bytes).text);
    expect(Object.keys(header)).toEqual(["__metadata__", "a.steps", "layer.bias", "layer.weight"]);
    expect(header.__metadata__).toEqual({ format: "pt", run: "aligner-1" });
    expect(header["a.steps"]).toEqual({ dtype: "I32", shape: [], data_offsets: [0, 4] });
    expect(header["layer.bias"]).toEqual({ dtype: "F32", shape: [3], data_offsets: [4, 16] });
    expect(header["layer.weight"]).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: [16, 40] });
  });

  it("stores the raw little-endian values after the header", () => {
    const start = 8 + readHeader(bytes).length;
    const view = new DataView(bytes.buffer, bytes.byteOffset + start);
    expect(view.getInt32(0, true)).toBe(-7);
    expect(view.getFloat32(4 + 4, true)).toBe(Infinity);
    expect(view.getFloat32(16 + 4, true)).toBe(-2.5);
  });

  it("is deterministic regardless of key insertion order", () => {
    const reversed = Object.fromEntries(Object.entries(TENSORS).reverse());
    expect(encodeSafetensors(reversed, { format: "pt", run: "aligner-1" })).toEqual(bytes);
  });

  it("omits __metadata__ when there is none", () => {
    expect(Object.keys(JSON.parse(readHeader(encodeSafetensors(TENSORS)).text))).not.toContain("__metadata__");
  });

  it.each<[string, Record<string, Tensor>, RegExp]>([
    [
      "data shorter than the shape",
      { w: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } },
      /tensor "w": shape \[2, 2\] has 4 elements but data has 3/,
    ],
    [
      "a dtype that does not match the array",
      { w: { dtype: "I32", shape: [1], data: new Float32Array(1) } as unknown as Tensor },
      /tensor "w": dtype I32 needs a Int32Array/,
    ],
    ["a negative dimension", { w: { dtype: "F32", shape: [-1], data: new Float32Array(0) } }, /tensor "w": shape \[-1\]/],
    ["the reserved name", { __metadata__: { dtype: "F32", shape: [0], data: new Float32Array(0) } }, /reserved/],
  ])("rejects %s", (_name, tensors, message) => {
    expect(() => encodeSafetensors(tensors)).toThrow(message);
  });
});

describe("decodeSafetensors", () => {
  it.each<[string, Record<string, Tensor>, Record<string, string> | undefined]>([
    ["F32 and I32 tensors with metadata", TENSORS, { format: "pt" }],
    ["no tensors at all", {}, undefined],
    [
      "an empty tensor",
      { empty: { dtype: "F32", shape: [0, 5], data: new Float32Array(0) }, x: { dtype: "I32", shape: [1], data: Int32Array.from([9]) } },
      undefined,
    ],
    [
      "a subarray view",
      { view: { dtype: "F32", shape: [2], data: Float32Array.from([1, 2, 3, 4]).subarray(1, 3) } },
      { note: "ünïcode ✓" },
    ],
  ])("round-trips %s bit for bit", (_name, tensors, metadata) => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));
    expect(decoded.metadata).toEqual(metadata ?? {});
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const back = decoded.tensors[name] as Tensor;
      expect([back.dtype, back.shape]).toEqual([t.dtype, t.shape]);
      expect(back.data.constructor).toBe(t.data.constructor);
      expect(new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(
        new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      );
    }
  });

  it("decodes from an unaligned view into independent copies", () => {
    const bytes = encodeSafetensors(TENSORS);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const decoded = decodeSafetensors(shifted.subarray(3));
    shifted.fill(0);
    expect(Array.from((decoded.tensors["layer.weight"] as Tensor).data)).toEqual([1, -2.5, 3, 0.125, Math.fround(1e-8), -0]);
  });

  const f32 = (n: number) => new Uint8Array(4 * n);
  it.each<[string, () => Uint8Array, RegExp]>([
    ["fewer than 8 bytes", () => new Uint8Array(5), /model\.st: truncated: 5 bytes/],
    ["a header length past the end", () => assemble({}, f32(0), 1000n), /header length 1000 exceeds the \d+ bytes/],
    [
      "a header length beyond 2^53",
      () => assemble({}, f32(0), 2n ** 63n),
      /header length 9223372036854775808 exceeds the 100000000-byte cap/,
    ],
    ["a header that is not JSON", () => assemble({}, f32(0), 1n), /header is not valid UTF-8 JSON/],
    ["a header that is an array", () => assemble([1, 2]), /header must be a JSON object/],
    [
      "an unsupported dtype",
      () => assemble({ w: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }, f32(1)),
      /tensor "w": unsupported dtype "F16"/,
    ],
    ["a bad shape", () => assemble({ w: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, f32(1)), /tensor "w": shape \[1.5\]/],
    ["missing data_offsets", () => assemble({ w: { dtype: "F32", shape: [1] } }, f32(1)), /tensor "w": data_offsets undefined/],
    [
      "a span that disagrees with the shape",
      () => assemble({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32(2)),
      /tensor "w": shape \[3\] of F32 needs 12 bytes but data_offsets span 8/,
    ],
    [
      "offsets past the buffer (truncated data)",
      () => encodeSafetensors(TENSORS).subarray(0, -4),
      /tensor "layer.weight": data_offsets \[16, 40\] fall outside the 36-byte data buffer/,
    ],
    [
      "reversed offsets",
      () => assemble({ w: { dtype: "F32", shape: [0], data_offsets: [4, 0] } }, f32(1)),
      /tensor "w": data_offsets \[4, 0\] fall outside/,
    ],
    [
      "overlapping tensors",
      () =>
        assemble({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32(3)),
      /tensor "b" overlaps tensor "a"/,
    ],
    ["a hole in the buffer", () => assemble({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, f32(2)), /tensor "a" leaves a hole/],
    ["trailing bytes", () => assemble({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32(2)), /4 trailing bytes/],
    ["non-string metadata", () => assemble({ __metadata__: { epoch: 3 } }), /__metadata__ "epoch" must be a string/],
  ])("rejects %s with a clear error", (_name, make, message) => {
    expect(() => decodeSafetensors(make(), "model.st")).toThrow(message);
  });

  it("prefixes errors with the source name", () => {
    expect(() => decodeSafetensors(new Uint8Array(3), "runs/7/model.safetensors")).toThrow(/^runs\/7\/model\.safetensors: /);
  });
});

describe("writeSafetensors and readSafetensors", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "safetensors-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the encoded bytes without leaving temporary files and reads them back", async () => {
    const path = join(dir, "model.safetensors");
    await writeSafetensors(path, TENSORS, { step: "10" });
    expect(await readdir(dir)).toEqual(["model.safetensors"]);
    expect(new Uint8Array(await readFile(path))).toEqual(encodeSafetensors(TENSORS, { step: "10" }));
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ step: "10" });
    expect(Array.from((back.tensors["a.steps"] as Tensor).data)).toEqual([-7]);
  });

  it("names the file when its contents are malformed", async () => {
    const path = join(dir, "broken.safetensors");
    await writeFile(path, encodeSafetensors(TENSORS).subarray(0, 40));
    await expect(readSafetensors(path)).rejects.toThrow(`${path}: `);
  });
});
