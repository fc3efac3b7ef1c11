import { CsvFormatError } from '../errors.js';

/**
 * Detection of a measurement CSV's layout from its first lines: delimiter (comma, semicolon,
 * tab or runs of whitespace), decimal separator (a comma is accepted when the delimiter is not
 * one), a header row (any non-numeric field in the first line), and a leading time column
 * (named like "time"/"t"/"timestamp", or strictly increasing with a constant step).
 */
export type Delimiter = ',' | ';' | '\t' | 'whitespace';

export interface CsvLayout {
  readonly delimiter: Delimiter;
  readonly decimalComma: boolean;
  readonly header: boolean;
  /** Column names of the data channels (time column excluded). */
  readonly names: string[];
  /** Total fields per row, time column included. */
  readonly fields: number;
  /** The first field is time (or a sample index) and not a channel. */
  readonly timeColumn: boolean;
  /** The time column is an integer sample index (it gives no sampling rate). */
  readonly indexColumn: boolean;
  /** Average bytes per line in the sample (to pre-size the columns). */
  readonly bytesPerLine: number;
  /** The time column's mean step over the sample (undefined without a time column). */
  readonly timeStep?: number | undefined;
  /**
   * How far (relative to `timeStep`) each step may deviate: 1 % when the sampled steps are
   * constant to within 1 %, else 0.5 — times printed with too few digits (steps 0.002/0.003 s at
   * 400 Hz) still differ by a whole step from a missing row.
   */
  readonly timeStepTolerance?: number | undefined;
}

export interface LayoutOptions {
  readonly delimiter?: 'auto' | Delimiter;
  readonly header?: 'auto' | boolean;
  readonly timeColumn?: 'auto' | boolean;
}

const NUMBER_DOT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NUMBER_COMMA = /^[+-]?(\d+,?\d*|,\d+)([eE][+-]?\d+)?$/;
const TIME_NAME = /^(t|time|times|timestamp|zeit|temps|tiempo|tempo|seconds?|sec)(\b|[\s_[(])/i;

/** A sample line with its 1-based line number in the file. */
export interface SampleLine {
  readonly line: number;
  readonly text: string;
}

/** Non-empty, non-comment lines from the start of the file (a BOM stripped). */
export function sampleLines(text: string, complete: boolean, max = 40): SampleLine[] {
  const raw = text.replace(/^\uFEFF/, '').split('\n');
  if (!complete) raw.pop(); // the last line may be cut by the chunk boundary
  const out: SampleLine[] = [];
  raw.forEach((t, i) => {
    const s = t.replace(/\r$/, '');
    if (out.length < max && s.trim() !== '' && !isComment(s)) out.push({ line: i + 1, text: s });
  });
  return out;
}

export function isComment(s: string): boolean {
  const t = s.trimStart();
  return t.startsWith('#') || t.startsWith('//');
}

export function splitFields(s: string, d: Delimiter): string[] {
  if (d === 'whitespace') return s.trim().split(/[ \t]+/);
  return s.split(d).map((f) => f.trim());
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).trim() : s;
}

function isNumber(s: string, decimalComma: boolean): boolean {
  return (decimalComma ? NUMBER_COMMA : NUMBER_DOT).test(unquote(s));
}

export function detectLayout(
  lines: readonly SampleLine[],
  sampleBytes: number,
  options: LayoutOptions = {},
): CsvLayout {
  const first = lines[0];
  if (first === undefined) throw new CsvFormatError(0, 0, 'the file is empty (no data rows)');
  const candidates: Delimiter[] =
    options.delimiter === undefined || options.delimiter === 'auto'
      ? ['\t', ';', ',', 'whitespace']
      : [options.delimiter];
  let chosen: { d: Delimiter; comma: boolean; fields: number } | undefined;
  for (const d of candidates) {
    // A decimal comma only goes with a semicolon or tab delimiter (the European CSV convention).
    for (const comma of d === ';' || d === '\t' ? [false, true] : [false]) {
      const data = lines.slice(1).length > 0 ? lines.slice(1) : lines;
      const counts = data.map((l) => splitFields(l.text, d));
      const n = counts[0]?.length ?? 0;
      const consistent = counts.every((f) => f.length === n && f.every((x) => isNumber(x, comma)));
      if (!consistent || (comma && n < 2)) continue;
      if (chosen === undefined || n > chosen.fields) chosen = { d, comma, fields: n };
    }
    if (chosen !== undefined && chosen.fields > 1) break;
  }
  if (chosen === undefined) {
    // Report the first line that fails under the most plausible delimiter.
    const d = candidates.find((c) => c !== 'whitespace' && first.text.includes(c)) ?? candidates[0] ?? ',';
    reportFirstProblem(lines, d);
    throw new CsvFormatError(
      first.line,
      0,
      'cannot recognise the column delimiter (comma, semicolon, tab or spaces)',
    );
  }
  const firstFields = splitFields(first.text, chosen.d);
  const looksLikeHeader = firstFields.some((f) => !isNumber(f, chosen.comma));
  const header = options.header === undefined || options.header === 'auto' ? looksLikeHeader : options.header;
  if (header && firstFields.length !== chosen.fields) {
    throw new CsvFormatError(
      first.line,
      0,
      `the header has ${firstFields.length} columns but the data rows have ${chosen.fields}`,
    );
  }
  if (!header && looksLikeHeader) {
    const bad = firstFields.findIndex((f) => !isNumber(f, chosen.comma));
    throw new CsvFormatError(first.line, bad + 1, `'${firstFields[bad]}' is not a number`);
  }
  const names = header
    ? firstFields.map((f, i) => unquote(f) || `ch${i + 1}`)
    : Array.from({ length: chosen.fields }, (_, i) => `ch${i + 1}`);
  const dataLines = header ? lines.slice(1) : lines;
  const firstColumn = dataLines.map((l) =>
    Number(unquote(splitFields(l.text, chosen.d)[0] ?? '').replace(',', '.')),
  );
  const step = constantStep(firstColumn);
  let timeColumn: boolean;
  if (options.timeColumn === undefined || options.timeColumn === 'auto') {
    timeColumn = chosen.fields > 1 && ((header && TIME_NAME.test(names[0] ?? '')) || step !== undefined);
  } else {
    timeColumn = options.timeColumn;
  }
  const indexColumn = timeColumn && step === 1 && firstColumn.every((v) => Number.isInteger(v));
  // Real bytes per sampled line (+1 for the LF): the columns are pre-sized from the file size by
  // this, so it must not count blank or comment lines the sample skipped (which once made it ~5×
  // too large and forced four grow-and-copy steps on a 480 MB file).
  let bytes = 0;
  for (const l of lines) bytes += Buffer.byteLength(l.text, 'utf8') + 1;
  return {
    delimiter: chosen.d,
    decimalComma: chosen.comma,
    header,
    names: timeColumn ? names.slice(1) : names,
    fields: chosen.fields,
    timeColumn,
    indexColumn,
    bytesPerLine: lines.length > 0 ? bytes / lines.length : sampleBytes,
    ...(timeColumn ? sampledStep(firstColumn, step) : {}),
  };
}

/** The sample's mean time step and the tolerance on each step (see CsvLayout). */
function sampledStep(
  values: readonly number[],
  constant: number | undefined,
): { timeStep?: number; timeStepTolerance?: number } {
  if (constant !== undefined) return { timeStep: constant, timeStepTolerance: 0.01 };
  if (
    values.length < 3 ||
    values.some((v, i) => !Number.isFinite(v) || (i > 0 && !(v > (values[i - 1] as number))))
  )
    return {};
  const mean = ((values[values.length - 1] as number) - (values[0] as number)) / (values.length - 1);
  return mean > 0 ? { timeStep: mean, timeStepTolerance: 0.5 } : {};
}

/** The common step if the values increase with a constant step (≥ 3 values), else undefined. */
function constantStep(values: readonly number[]): number | undefined {
  if (values.length < 3 || values.some((v) => !Number.isFinite(v))) return undefined;
  const first = values[0] as number;
  const step = ((values[values.length - 1] as number) - first) / (values.length - 1);
  if (!(step > 0)) return undefined;
  for (let i = 1; i < values.length; i++) {
    const d = (values[i] as number) - (values[i - 1] as number);
    // Printed times carry rounding: allow 1 % of the step.
    if (Math.abs(d - step) > 0.01 * step) return undefined;
  }
  return step;
}

/** Throws for the first ragged row or non-numeric cell in the sample, if any. */
function reportFirstProblem(lines: readonly SampleLine[], d: Delimiter): void {
  const data = lines.slice(1);
  const expected = splitFields(lines[0]?.text ?? '', d).length;
  for (const l of data) {
    const f = splitFields(l.text, d);
    if (f.length !== expected) {
      throw new CsvFormatError(
        l.line,
        Math.min(f.length, expected) + 1,
        `expected ${expected} columns, found ${f.length}`,
      );
    }
    const bad = f.findIndex((x) => !isNumber(x, false) && !isNumber(x, true));
    if (bad >= 0) {
      const cell = f[bad] ?? '';
      throw new CsvFormatError(l.line, bad + 1, cell === '' ? 'empty cell' : `'${cell}' is not a number`);
    }
  }
}
