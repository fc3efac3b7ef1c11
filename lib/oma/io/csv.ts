import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { CsvFormatError, InvalidOptionError } from '../errors.js';
import {
  type CsvLayout,
  type Delimiter,
  detectLayout,
  type LayoutOptions,
  sampleLines,
} from './csv-detect.js';
import { ByteNumberParser } from './csv-number.js';

/**
 * Streaming reader for multichannel measurement CSV files. The bytes are parsed as they arrive
 * (the file is never held as one string): the first 64 KiB decide the layout (csv-detect.ts),
 * then every line is parsed field by field straight from the byte buffer (csv-number.ts) into
 * typed-array columns pre-sized from the file size. A time column is checked row by row (every
 * step equal to the sampled step within 1 %, so a gap of missing rows cannot silently change the
 * sampling rate) and reduced to its first/last values, which give the sampling rate; it is not
 * stored.
 */
export interface CsvReadOptions extends LayoutOptions {
  /**
   * Sampling rate in Hz; overrides the time column's (a warning says so when they differ by more
   * than 1 %).
   */
  readonly fs?: number;
  /** Element type of the channel arrays. @default 'float64' */
  readonly dtype?: 'float64' | 'float32';
  /** Fewer data rows than this is an error. @default 16 */
  readonly minSamples?: number;
}

export type Channel = Float64Array | Float32Array;

export interface CsvMeasurement {
  readonly channels: Channel[];
  readonly names: string[];
  /** From the options, or from the time column; undefined if neither. */
  readonly fs: number | undefined;
  /** The sampling rate the time column gives (undefined without one), even when `fs` overrides it. */
  readonly timeFs?: number | undefined;
  readonly rows: number;
  readonly layout: CsvLayout;
  readonly warnings: string[];
}

const CHUNK = 4 << 20;
const SAMPLE_BYTES = 64 << 10;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;

/** Reads a CSV measurement from a file path or a byte stream. */
export async function readCsv(
  source: string | Readable,
  options: CsvReadOptions = {},
  control: RunControl | Checkpoint = {},
): Promise<CsvMeasurement> {
  if (options.fs !== undefined && !(options.fs > 0)) {
    throw new InvalidOptionError('fs', `sampling rate must be positive, got ${options.fs}`);
  }
  const checkpoint = toCheckpoint(control);
  if (typeof source === 'string') {
    const handle = await open(source, 'r');
    try {
      const size = (await handle.stat()).size;
      const reader = new CsvReader(options, size);
      const buf = Buffer.allocUnsafe(CHUNK);
      let done = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) break;
        reader.push(buf.subarray(0, bytesRead));
        done += bytesRead;
        await checkpoint.tick(size > 0 ? done / size : 0, 'reading CSV');
      }
      return reader.finish();
    } finally {
      await handle.close();
    }
  }
  const reader = new CsvReader(options, 0);
  for await (const chunk of source) {
    reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
    await checkpoint.tick(undefined, 'reading CSV');
  }
  return reader.finish();
}

/** Push-style parser; `push` chunks in order, then `finish`. */
export class CsvReader {
  private layout: CsvLayout | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private carry = new Uint8Array(1024);
  private carryLength = 0;
  private line = 0;
  private rows = 0;
  private columns: Channel[] = [];
  private capacity = 0;
  private readonly parser = new ByteNumberParser();
  private delimiterByte = 44;
  private whitespace = false;
  private timeFirst = Number.NaN;
  private timePrev = Number.NaN;
  /** Expected time step and the tolerance on each step (see `time`). */
  private timeStep = Number.NaN;
  private timeTolerance = Number.NaN;
  /** Bytes of the lines parsed so far (to size the columns when the estimate runs out). */
  private parsedBytes = 0;
  private readonly warnings: string[] = [];
  private atStart = true;
  private headerSeen = false;

  constructor(
    private readonly options: CsvReadOptions,
    private readonly sizeHint: number,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.layout === undefined) {
      this.pending.push(chunk.slice());
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < SAMPLE_BYTES) return;
      this.start(false);
      return;
    }
    this.consume(chunk, false);
  }

  finish(): CsvMeasurement {
    if (this.layout === undefined) this.start(true);
    if (this.carryLength > 0) {
      const rest = this.carry.subarray(0, this.carryLength);
      this.carryLength = 0;
      this.parseLine(rest, 0, rest.length);
    }
    const layout = this.layout as CsvLayout;
    const min = this.options.minSamples ?? 16;
    if (this.rows < min) {
      throw new CsvFormatError(
        0,
        0,
        `the file has ${this.rows} data rows; at least ${min} samples are needed`,
      );
    }
    let timeFs: number | undefined;
    if (layout.timeColumn && !layout.indexColumn) {
      const span = this.timePrev - this.timeFirst;
      // Printed times carry rounding, so fs is only good to ~1e-10: keep 12 significant digits
      // (400.0000000000001 → 400).
      timeFs = span > 0 ? Number(((this.rows - 1) / span).toPrecision(12)) : undefined;
    }
    const fs = this.options.fs ?? timeFs;
    if (
      this.options.fs !== undefined &&
      timeFs !== undefined &&
      Math.abs(this.options.fs / timeFs - 1) > 0.01
    ) {
      this.warnings.push(
        `the sampling rate given (${this.options.fs} Hz) overrides the time column's (${timeFs} Hz): every frequency scales by ${(this.options.fs / timeFs).toPrecision(4)}; leave the rate out to use the time column`,
      );
    }
    // Views, not copies: a copy would briefly double the columns' memory at the very end.
    const channels = this.columns.map((c) => (c.length === this.rows ? c : c.subarray(0, this.rows)));
    this.columns = [];
    return { channels, names: layout.names, fs, timeFs, rows: this.rows, layout, warnings: this.warnings };
  }

  private start(complete: boolean): void {
    const all = Buffer.concat(this.pending);
    this.pending = [];
    const text = all.subarray(0, Math.min(all.length, SAMPLE_BYTES)).toString('utf8');
    const sample = sampleLines(text, complete && all.length <= SAMPLE_BYTES);
    const layout = detectLayout(sample, Math.min(all.length, SAMPLE_BYTES), this.options);
    this.layout = layout;
    this.delimiterByte =
      layout.delimiter === 'whitespace'
        ? SPACE
        : (layout.delimiter as Exclude<Delimiter, 'whitespace'>).charCodeAt(0);
    this.whitespace = layout.delimiter === 'whitespace';
    this.parser.decimal = layout.decimalComma ? 44 : 46;
    const estimate =
      this.sizeHint > 0 ? Math.ceil((this.sizeHint / layout.bytesPerLine) * 1.02) + 1024 : 65536;
    if (layout.timeStep !== undefined && layout.timeStepTolerance !== undefined) {
      this.timeStep = layout.timeStep;
      this.timeTolerance = layout.timeStepTolerance * layout.timeStep;
    }
    this.allocate(estimate);
    this.consume(all, complete);
  }

  private allocate(capacity: number): void {
    const width = this.layout?.names.length ?? 0;
    const make = (n: number): Channel =>
      this.options.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    if (this.columns.length === 0) {
      this.columns = Array.from({ length: width }, () => make(capacity));
    } else {
      this.columns = this.columns.map((old) => {
        const grown = make(capacity);
        grown.set(old.subarray(0, this.rows));
        return grown;
      });
    }
    this.capacity = capacity;
  }

  /** Parses all complete lines of `chunk`; keeps an incomplete last line in `carry`. */
  private consume(chunk: Uint8Array, final: boolean): void {
    let pos = 0;
    const n = chunk.length;
    if (this.atStart && n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) pos = 3;
    this.atStart = false;
    if (this.carryLength > 0) {
      const nl = chunk.indexOf(LF, pos);
      const take = nl < 0 ? n : nl;
      this.appendCarry(chunk, pos, take);
      if (nl < 0) return;
      const joined = this.carry.subarray(0, this.carryLength);
      this.carryLength = 0;
      this.parseLine(joined, 0, joined.length);
      pos = nl + 1;
    }
    while (pos < n) {
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) {
        if (final) {
          this.parseLine(chunk, pos, n);
        } else {
          this.appendCarry(chunk, pos, n);
        }
        return;
      }
      this.parseLine(chunk, pos, nl);
      pos = nl + 1;
    }
  }

  private appendCarry(src: Uint8Array, from: number, to: number): void {
    const need = this.carryLength + (to - from);
    if (need > this.carry.length) {
      const bigger = new Uint8Array(Math.max(need, 2 * this.carry.length));
      bigger.set(this.carry.subarray(0, this.carryLength));
      this.carry = bigger;
    }
    this.carry.set(src.subarray(from, to), this.carryLength);
    this.carryLength = need;
  }

  /** Parses one line buf[from, to) (without its LF). */
  private parseLine(buf: Uint8Array, from: number, to: number): void {
    this.line++;
    let end = to;
    if (end > from && buf[end - 1] === CR) end--;
    let p = from;
    while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
    if (p === end) return; // blank line
    const c0 = buf[p];
    if (c0 === 35 || (c0 === 47 && buf[p + 1] === 47)) return; // # or // comment
    const layout = this.layout as CsvLayout;
    if (layout.header && !this.headerSeen) {
      this.headerSeen = true;
      return;
    }
    this.parsedBytes += to - from + 1;
    if (this.rows === this.capacity) this.allocate(this.grownCapacity());
    const fields = layout.fields;
    const offset = layout.timeColumn ? 1 : 0;
    const parser = this.parser;
    const delim = this.delimiterByte;
    const ws = this.whitespace;
    const row = this.rows;
    for (let f = 0; f < fields; f++) {
      if (f > 0) {
        // Expect a delimiter (for whitespace: at least one blank).
        if (ws) {
          const before = p;
          while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
          if (p === before && p < end)
            this.fail(f, `'${this.cellText(buf, from, end, f - 1)}' is not a number`);
          if (p === end) this.fail(f + 1, `expected ${fields} columns, found ${f}`);
        } else {
          if (p >= end) this.fail(f + 1, `expected ${fields} columns, found ${f}`);
          if (buf[p] !== delim) this.fail(f, `'${this.cellText(buf, from, end, f - 1)}' is not a number`);
          p++;
          while (p < end && buf[p] === SPACE) p++;
        }
      }
      let quoted = false;
      if (buf[p] === QUOTE) {
        quoted = true;
        p++;
      }
      const next = p < end ? parser.parse(buf, p, end) : -1;
      if (next < 0) {
        const text = this.cellText(buf, from, end, f);
        this.fail(f + 1, text === '' ? 'empty cell' : `'${text}' is not a number`);
      }
      p = next;
      if (quoted) {
        if (buf[p] !== QUOTE) this.fail(f + 1, `'${this.cellText(buf, from, end, f)}' is not a number`);
        p++;
      }
      if (!ws) while (p < end && buf[p] === SPACE) p++;
      const v = parser.value;
      if (f < offset) this.time(v);
      else (this.columns[f - offset] as Channel)[row] = v;
    }
    while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
    if (p < end) {
      if (!ws && buf[p] !== delim)
        this.fail(fields, `'${this.cellText(buf, from, end, fields - 1)}' is not a number`);
      this.fail(fields + 1, `expected ${fields} columns, found more`);
    }
    this.rows++;
  }

  /**
   * Capacity when the estimate ran out: with a known file size, the rows still to come at the
   * bytes per row seen so far (+2 %); for a stream, 1.5×.
   */
  private grownCapacity(): number {
    const rest = this.sizeHint - this.parsedBytes;
    if (this.sizeHint > 0 && rest > 0 && this.rows > 0) {
      const perRow = this.parsedBytes / this.rows;
      return this.capacity + Math.ceil((rest / perRow) * 1.02) + 1024;
    }
    return Math.ceil(this.capacity * 1.5) + 1024;
  }

  /**
   * Checks the time of the current row. fs = (N − 1)/(t_last − t_first) assumes equal steps, so a
   * gap (missing rows) or a repeated row would silently change every frequency: each step must
   * equal the sample's mean step within 1 % — or within half a step when the sampled steps
   * already varied (times printed with too few digits), since a missing row is a whole step off.
   * Without a sample step (a file of a few rows) the first step is the reference.
   */
  private time(t: number): void {
    if (this.rows === 0) {
      this.timeFirst = t;
      this.timePrev = t;
      return;
    }
    const step = t - this.timePrev;
    if (!(step > 0)) {
      throw new CsvFormatError(this.line, 1, `time ${t} does not increase (previous row: ${this.timePrev})`);
    }
    if (Number.isNaN(this.timeStep)) {
      this.timeStep = step;
      this.timeTolerance = 0.5 * step;
    } else if (Math.abs(step - this.timeStep) > this.timeTolerance) {
      throw new CsvFormatError(
        this.line,
        1,
        `time step ${formatStep(step)} s, expected ${formatStep(this.timeStep)} s (previous row: ${this.timePrev}): missing or duplicated rows; the analysis needs equally spaced samples`,
      );
    }
    this.timePrev = t;
  }

  /** Text of field `index` (0-based) of the line, for error messages. */
  private cellText(buf: Uint8Array, from: number, end: number, index: number): string {
    const text = Buffer.from(buf.subarray(from, end)).toString('utf8');
    const layout = this.layout as CsvLayout;
    const parts =
      layout.delimiter === 'whitespace' ? text.trim().split(/[ \t]+/) : text.split(layout.delimiter);
    return (parts[index] ?? '').trim().slice(0, 40);
  }

  private fail(column: number, problem: string): never {
    throw new CsvFormatError(this.line, column, problem);
  }
}

/** A time step for messages: 6 significant digits, without float noise (0.00500000001 → 0.005). */
function formatStep(step: number): string {
  return String(Number(step.toPrecision(6)));
}
