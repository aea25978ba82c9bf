/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian u64
 * header length N, N bytes of JSON header padded with spaces to a multiple of 8, then the raw
 * little-endian byte buffer. The header maps each tensor name to { dtype, shape, data_offsets }
 * (offsets relative to the buffer) and may hold "__metadata__": { string: string }.
 *
 * We write tensors sorted by name with contiguous offsets, so equal inputs give equal bytes, and
 * decode defensively: every malformed input throws an Error naming the source and the tensor.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "./files.js";

export type Tensor = { dtype: "F32"; shape: number[]; data: Float32Array } | { dtype: "I32"; shape: number[]; data: Int32Array };
export type Dtype = Tensor["dtype"];
export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** The reference implementation's cap on the header size. */
export const MAX_HEADER_BYTES = 100_000_000;
const _METADATA_KEY = "__metadata__";
const _BYTES_PER_ELEMENT: Record<Dtype, number> = { F32: 4, I32: 4 };

function _assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error("safetensors: big-endian hosts are not supported");
}

function _elementCount(shape: readonly unknown[]): number {
  return shape.reduce<number>((n, d) => n * (d as number), 1);
}

function _isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Serializes tensors (sorted by name, contiguous offsets) and optional string metadata. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  _assertLittleEndian();
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") throw new TypeError(`safetensors: metadata "${key}" must be a string`);
    }
    header[_METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name] as Tensor;
    const where = `safetensors: tensor "${name}"`;
    if (name === _METADATA_KEY) throw new Error(`${where}: the name is reserved for metadata`);
    const expected = dtype === "F32" ? Float32Array : dtype === "I32" ? Int32Array : undefined;
    if (!expected) throw new Error(`${where}: unsupported dtype ${String(dtype)} (supported: F32, I32)`);
    if (!(data instanceof expected)) throw new TypeError(`${where}: dtype ${dtype} needs a ${expected.name}`);
    if (!_isShape(shape)) throw new Error(`${where}: shape ${JSON.stringify(shape)} must be non-negative integers`);
    if (_elementCount(shape) !== data.length) {
      throw new Error(`${where}: shape [${shape.join(", ")}] has ${_elementCount(shape)} elements but data has ${data.length}`);
    }
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength); // pad with spaces
  let at = 8 + headerLength;
  for (const name of names) {
    const { data } = tensors[name] as Tensor;
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return bytes;
}

/** Parses and validates safetensors bytes; `source` (e.g. the file path) prefixes every error. */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors"): Safetensors {
  _assertLittleEndian();
  if (bytes.length < 8) throw new Error(`${source}: truncated: ${bytes.length} bytes, need at least 8 for the header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) throw new Error(`${source}: header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte cap`);
  if (declared > BigInt(bytes.length - 8)) {
    throw new Error(`${source}: header length ${declared} exceeds the ${bytes.length - 8} bytes after it (truncated file?)`);
  }
  const headerLength = Number(declared);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new Error(`${source}: header is not valid UTF-8 JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new Error(`${source}: header must be a JSON object`);
  const buffer = bytes.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === _METADATA_KEY) {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new Error(`${source}: __metadata__ must be an object`);
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== "string") throw new Error(`${source}: __metadata__ "${key}" must be a string, got ${JSON.stringify(value)}`);
        metadata[key] = value;
      }
      continue;
    }
    const where = `${source}: tensor "${name}"`;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== "F32" && dtype !== "I32") throw new Error(`${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: F32, I32)`);
    if (!_isShape(shape)) throw new Error(`${where}: shape ${JSON.stringify(shape)} must be an array of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new Error(`${where}: data_offsets ${JSON.stringify(offsets)} must be [begin, end] non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > buffer.length) {
      throw new Error(`${where}: data_offsets [${begin}, ${end}] fall outside the ${buffer.length}-byte data buffer`);
    }
    const expected = _elementCount(shape) * _BYTES_PER_ELEMENT[dtype];
    if (end - begin !== expected) {
      throw new Error(`${where}: shape [${shape.join(", ")}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
    }
    const copy = buffer.slice(begin, end).buffer; // aligned copy, detached from the input
    tensors[name] = dtype === "F32" ? { dtype, shape, data: new Float32Array(copy) } : { dtype, shape, data: new Int32Array(copy) };
    spans.push({ name, begin, end });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = "";
  for (const { name, begin, end } of spans) {
    if (begin < covered) throw new Error(`${source}: tensor "${name}" overlaps tensor "${previous}" (bytes ${begin}..${covered})`);
    if (begin > covered) throw new Error(`${source}: tensor "${name}" leaves a hole in the data buffer (bytes ${covered}..${begin})`);
    covered = end;
    previous = name;
  }
  if (covered !== buffer.length) throw new Error(`${source}: ${buffer.length - covered} trailing bytes after the last tensor`);
  return { tensors, metadata };
}

/** Writes a .safetensors file via a temporary name and a rename, so readers never see half a file. */
export async function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a .safetensors file; errors name the file. */
export async function readSafetensors(path: string): Promise<Safetensors> {
  return decodeSafetensors(new Uint8Array(await readFile(path)), path);
}
