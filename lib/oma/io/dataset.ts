import { DatasetFormatError, InvalidOptionError } from '../errors.js';

/**
 * The compact binary dataset the preprocessing stage writes for the analysis stage:
 *
 *   offset 0   8 bytes  magic "STGCDSET"
 *   offset 8   uint32   format version (1), little-endian
 *   offset 12  uint32   header length H in bytes
 *   offset 16  H bytes  UTF-8 JSON header (DatasetHeader)
 *   padding to a multiple of 8 bytes
 *   data       channel after channel, `samples` values each, little-endian Float32 or Float64
 *
 * Channel-major data lets a reader map each channel as one typed array without copying.
 */
export const DATASET_MAGIC = 'STGCDSET';
export const DATASET_VERSION = 1;

export type Dtype = 'float32' | 'float64';

/** One preprocessing step, recorded so results can be traced to what was done to the data. */
export interface ProvenanceStep {
  readonly step: string;
  readonly [parameter: string]: string | number | boolean | readonly number[];
}

export interface DatasetHeader {
  readonly fs: number;
  readonly samples: number;
  readonly dtype: Dtype;
  readonly channels: readonly { readonly name: string; readonly unit: string }[];
  readonly provenance: readonly ProvenanceStep[];
}

export interface Dataset {
  readonly fs: number;
  readonly names: readonly string[];
  readonly units: readonly string[];
  readonly channels: readonly (Float64Array | Float32Array)[];
  readonly provenance: readonly ProvenanceStep[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function headerOf(d: Dataset, dtype: Dtype): DatasetHeader {
  const samples = d.channels[0]?.length ?? 0;
  if (d.channels.some((c) => c.length !== samples)) {
    throw new InvalidOptionError('channels', 'all channels of a dataset must have the same length');
  }
  if (d.names.length !== d.channels.length) {
    throw new InvalidOptionError('names', `${d.names.length} names for ${d.channels.length} channels`);
  }
  if (!(d.fs > 0)) throw new InvalidOptionError('fs', `sampling rate must be positive, got ${d.fs}`);
  return {
    fs: d.fs,
    samples,
    dtype,
    channels: d.names.map((name, i) => ({ name, unit: d.units[i] ?? '' })),
    provenance: d.provenance,
  };
}

function prelude(header: DatasetHeader): Uint8Array {
  if (!LITTLE_ENDIAN) throw new DatasetFormatError('datasets are little-endian; this platform is big-endian');
  const json = new TextEncoder().encode(JSON.stringify(header));
  const size = Math.ceil((16 + json.length) / 8) * 8;
  const out = new Uint8Array(size);
  out.set(new TextEncoder().encode(DATASET_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, DATASET_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, 16);
  return out;
}

function channelBytes(c: Float64Array | Float32Array, dtype: Dtype): Uint8Array {
  const typed =
    dtype === 'float64'
      ? c instanceof Float64Array
        ? c
        : Float64Array.from(c)
      : c instanceof Float32Array
        ? c
        : Float32Array.from(c);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/**
 * The dataset as a sequence of byte chunks (prelude, then one chunk per channel), for streaming
 * to storage without building the whole file in memory.
 */
export function* datasetChunks(d: Dataset, dtype: Dtype = 'float32'): Generator<Uint8Array> {
  yield prelude(headerOf(d, dtype));
  for (const c of d.channels) yield channelBytes(c, dtype);
}

/** The whole dataset in one buffer. */
export function serializeDataset(d: Dataset, dtype: Dtype = 'float32'): Uint8Array {
  const parts = [...datasetChunks(d, dtype)];
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads a dataset; channels are views into `bytes` when aligned, copies otherwise. */
export function deserializeDataset(bytes: Uint8Array): Dataset & { readonly dtype: Dtype } {
  if (bytes.length < 16)
    throw new DatasetFormatError(`a dataset needs at least 16 bytes, got ${bytes.length}`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== DATASET_MAGIC) throw new DatasetFormatError(`not a Stagecoach dataset (magic '${magic}')`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== DATASET_VERSION) {
    throw new DatasetFormatError(
      `dataset format version ${version} is not supported (expected ${DATASET_VERSION})`,
    );
  }
  const length = view.getUint32(12, true);
  if (16 + length > bytes.length) throw new DatasetFormatError('the dataset header is truncated');
  let header: DatasetHeader;
  try {
    header = parseHeader(JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))));
  } catch (error) {
    if (error instanceof DatasetFormatError) throw error;
    throw new DatasetFormatError('the dataset header is not valid JSON', { cause: error });
  }
  const start = Math.ceil((16 + length) / 8) * 8;
  const width = header.dtype === 'float64' ? 8 : 4;
  const perChannel = header.samples * width;
  const expected = start + perChannel * header.channels.length;
  if (bytes.length !== expected) {
    throw new DatasetFormatError(`dataset has ${bytes.length} bytes, the header implies ${expected}`);
  }
  const channels = header.channels.map((_, i) => {
    const from = bytes.byteOffset + start + i * perChannel;
    const aligned = from % width === 0;
    const src = aligned
      ? bytes.buffer
      : bytes.slice(start + i * perChannel, start + (i + 1) * perChannel).buffer;
    const offset = aligned ? from : 0;
    return header.dtype === 'float64'
      ? new Float64Array(src, offset, header.samples)
      : new Float32Array(src, offset, header.samples);
  });
  return {
    fs: header.fs,
    names: header.channels.map((c) => c.name),
    units: header.channels.map((c) => c.unit),
    channels,
    provenance: header.provenance,
    dtype: header.dtype,
  };
}

function parseHeader(value: unknown): DatasetHeader {
  const bad = (what: string): never => {
    throw new DatasetFormatError(`dataset header: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return bad('not an object');
  const h = value as Record<string, unknown>;
  const fs = h.fs;
  const samples = h.samples;
  const dtype = h.dtype;
  if (typeof fs !== 'number' || !(fs > 0)) bad('fs must be a positive number');
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 0)
    bad('samples must be an integer ≥ 0');
  if (dtype !== 'float32' && dtype !== 'float64') bad("dtype must be 'float32' or 'float64'");
  if (!Array.isArray(h.channels)) return bad('channels must be an array');
  const channels = h.channels.map((c: unknown) => {
    const o = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
    return { name: typeof o.name === 'string' ? o.name : '', unit: typeof o.unit === 'string' ? o.unit : '' };
  });
  const provenance = Array.isArray(h.provenance) ? (h.provenance as ProvenanceStep[]) : [];
  return { fs: fs as number, samples: samples as number, dtype: dtype as Dtype, channels, provenance };
}
