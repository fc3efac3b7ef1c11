import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvFormatError, OmaError } from '../../../lib/oma/errors.js';
import { type CsvReadOptions, readCsv } from '../../../lib/oma/io/csv.js';
import { ByteNumberParser } from '../../../lib/oma/io/csv-number.js';
import { writeCsv } from '../../../lib/oma/io/csv-writer.js';
import { expectArrayClose, expectAtMost, expectClose, testRandom } from '../support/assert-close.js';

const dir = mkdtempSync(join(tmpdir(), 'stagecoach-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stream delivering `text` in chunks of `size` bytes (exercises lines split across chunks). */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

/** Rows of a two-channel record with a time column at 50 Hz. */
function rows(n: number, delimiter: string, newline = '\n', decimal = '.'): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const cells = [(i / 50).toFixed(2), (Math.sin(i) * 1.5).toFixed(6), (-2.25e-3 * i).toExponential(4)];
    s += cells.map((c) => c.replace('.', decimal)).join(delimiter) + newline;
  }
  return s;
}

async function expectCsvError(
  source: string | Readable,
  options: CsvReadOptions,
  line: number,
  column: number,
  text: RegExp,
): Promise<void> {
  const error = await readCsv(source, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CsvFormatError);
  expect(error).toBeInstanceOf(OmaError);
  if (!(error instanceof CsvFormatError)) return;
  expect({ line: error.line, column: error.column }).toEqual({ line, column });
  expect(error.message).toMatch(text);
  expect(error.code).toBe('CSV_FORMAT');
  expect(error.context).toEqual({ line, column });
}

describe('readCsv layouts', () => {
  for (const [name, delimiter] of [
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
    ['spaces', '   '],
  ] as const) {
    it(`reads ${name}-delimited data with a header and a time column, deriving fs`, async () => {
      // Prepare
      const text = `time${delimiter}acc_x${delimiter}acc_y\n${rows(40, delimiter)}`;
      // Act
      const m = await readCsv(chunked(text, 13));
      // Assess
      expect(m.names).toEqual(['acc_x', 'acc_y']);
      expect(m.rows).toBe(40);
      expectClose(m.fs ?? 0, 50, 1e-9, 'fs from the time column');
      expectClose(m.channels[0]?.[3] ?? 0, Number((Math.sin(3) * 1.5).toFixed(6)), 0, 'channel value');
      expectClose(m.channels[1]?.[39] ?? 0, Number((-2.25e-3 * 39).toExponential(4)), 0, 'channel value');
    });
  }

  it('reads a headerless file without a time column; fs comes from the options', async () => {
    // Prepare
    const r = testRandom(3);
    const values = Array.from({ length: 30 }, () => [r(), r(), r()]);
    const text = values.map((v) => v.join(',')).join('\n');
    // Act
    const m = await readCsv(Readable.from([text]), { fs: 100 });
    // Assess
    expect(m.names).toEqual(['ch1', 'ch2', 'ch3']);
    expect(m.layout.header).toBe(false);
    expect(m.layout.timeColumn).toBe(false);
    expect(m.fs).toBe(100);
    expectArrayClose(
      m.channels[2] ?? [],
      values.map((v) => v[2] as number),
      0,
      'third channel',
    );
  });

  it('handles CRLF line ends, a BOM, comment and blank lines, and a last line without newline', async () => {
    // Prepare
    const text = `\uFEFF# exported by a logger\r\n\r\nt;a;b\r\n${rows(20, ';', '\r\n').trimEnd()}`;
    // Act
    const m = await readCsv(chunked(text, 5));
    // Assess
    expect(m.rows).toBe(20);
    expect(m.names).toEqual(['a', 'b']);
    expectClose(m.fs ?? 0, 50, 1e-9, 'fs');
  });

  it('accepts a decimal comma with semicolon delimiters and quoted numbers', async () => {
    // Prepare
    const text = `"time";"x";"y"\n${rows(20, ';', '\n', ',')}`;
    // Act
    const m = await readCsv(Readable.from([text]));
    // Assess
    expect(m.layout.decimalComma).toBe(true);
    expectClose(m.channels[0]?.[5] ?? 0, Number((Math.sin(5) * 1.5).toFixed(6)), 0, 'decimal-comma value');
  });

  it('reads a file path into Float32 columns when asked', async () => {
    // Prepare
    const path = join(dir, 'f32.csv');
    writeFileSync(path, `a,b\n${Array.from({ length: 50 }, (_, i) => `${i * 0.5},${-i}`).join('\n')}\n`);
    // Act
    const m = await readCsv(path, { dtype: 'float32', timeColumn: false, fs: 10 });
    // Assess
    expect(m.channels[0]).toBeInstanceOf(Float32Array);
    expect(m.channels[0]?.[49]).toBe(24.5);
  });

  it('round-trips through writeCsv (7 significant digits, time column)', async () => {
    // Prepare
    const r = testRandom(11);
    const channels = [
      Float64Array.from({ length: 300 }, () => r() * 1e-3),
      Float64Array.from({ length: 300 }, () => r() * 50),
    ];
    const path = join(dir, 'roundtrip.csv');
    await writeCsv(path, channels, { fs: 256, names: ['north', 'east'] });
    // Act
    const m = await readCsv(path);
    // Assess
    expect(m.names).toEqual(['north', 'east']);
    expectClose(m.fs ?? 0, 256, 1e-6 * 256, 'fs (times are printed to 1 µs)');
    for (let c = 0; c < 2; c++) {
      const src = channels[c] as Float64Array;
      const got = m.channels[c] as Float64Array;
      for (let i = 0; i < src.length; i++) {
        const x = src[i] as number;
        expectClose(got[i] as number, x, 6e-7 * Math.abs(x), `channel ${c} sample ${i}`);
      }
    }
  });
});

/** Rows i ∈ [from, to) of `rows`' record, time printed with `digits` decimals at `fs` Hz. */
function rowsAt(from: number, to: number, fs = 50, digits = 2): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${(i / fs).toFixed(digits)},${(Math.sin(i) * 1.5).toFixed(6)}\n`;
  return s;
}

describe('readCsv time column and sizing', () => {
  it('rejects a gap in the time column instead of deriving a wrong fs from the span', async () => {
    // Prepare: 50 Hz, rows 300..349 (one second) deleted
    const text = `t,a\n${rowsAt(0, 300)}${rowsAt(350, 600)}`;
    // Act / Assess: the row after the gap (line 302: header + 300 rows + 1) is named
    await expectCsvError(
      chunked(text, 1000),
      {},
      302,
      1,
      /time step 1.02 s, expected 0.02 s .*missing or duplicated rows/,
    );
  });

  it('rejects a gap in an integer sample-index column', async () => {
    const text = `${Array.from({ length: 40 }, (_, i) => `${i},${Math.sin(i)}`).join('\n')}\n41,0.5\n`;
    await expectCsvError(Readable.from([text]), { fs: 10 }, 41, 1, /time step 2 s, expected 1 s/);
  });

  it('accepts times rounded to fewer digits than the step needs, and still catches a missing row', async () => {
    // Prepare: 400 Hz printed to 1 ms, so steps alternate 0.002 / 0.003 s
    const ok = `time,a\n${rowsAt(0, 2000, 400, 3)}`;
    const gap = `time,a\n${rowsAt(0, 1000, 400, 3)}${rowsAt(1001, 2000, 400, 3)}`;
    // Act
    const m = await readCsv(chunked(ok, 4096));
    // Assess
    expectClose(m.fs ?? 0, 400, 0.5, 'fs from rounded times');
    await expectCsvError(chunked(gap, 4096), {}, 1002, 1, /missing or duplicated rows/);
  });

  it('warns when a given fs contradicts the time column, and keeps both rates', async () => {
    // Act
    const m = await readCsv(Readable.from([`t,a\n${rowsAt(0, 100)}`]), { fs: 100 });
    // Assess
    expect(m.fs).toBe(100);
    expectClose(m.timeFs ?? 0, 50, 1e-9, 'fs of the time column');
    expect(m.warnings.join('\n')).toMatch(/given \(100 Hz\) overrides the time column's \(50 Hz\)/);
    const same = await readCsv(Readable.from([`t,a\n${rowsAt(0, 100)}`]), { fs: 50 });
    expect(same.warnings).toEqual([]);
  });

  it('estimates the bytes per line from the sampled lines themselves (pre-sizing the columns)', async () => {
    // Prepare: > 64 KiB after a comment block, so the layout sample is a small part of the file
    const path = join(dir, 'sizing.csv');
    const body = rowsAt(0, 6000);
    writeFileSync(path, `# logger export\n# ${'x'.repeat(200)}\nt,a\n${body}`);
    const actual = Buffer.byteLength(body) / 6000;
    // Act
    const m = await readCsv(path);
    // Assess
    expect(m.rows).toBe(6000);
    expectAtMost(Math.abs(m.layout.bytesPerLine / actual - 1), 0.1, 'relative error of bytes per line');
    // (the first lines' times are shorter than the later ones', so the estimate errs high)
    expectAtMost((m.channels[0]?.buffer.byteLength ?? 0) / 8, 1.25 * 6000 + 1024, 'column capacity');
  });
});

describe('readCsv errors name the line and column', () => {
  it('a ragged row (too few cells)', async () => {
    const text = `t,a,b\n${rows(10, ',')}0.2,1.0\n${rows(5, ',')}`;
    await expectCsvError(chunked(text, 17), {}, 12, 3, /expected 3 columns, found 2/);
  });

  it('a ragged row (too many cells)', async () => {
    const text = `t,a,b\n${rows(10, ',')}0.2,1.0,2.0,3.0\n${rows(5, ',')}`;
    await expectCsvError(Readable.from([text]), {}, 12, 4, /expected 3 columns, found 4/);
  });

  it('a ragged row or bad cell far into a large file (past the layout sample), read in chunks', async () => {
    const head = `t,a,b\n${rows(3000, ',')}`;
    await expectCsvError(
      chunked(`${head}60.0,1.0\n${rows(5, ',')}`, 4096),
      {},
      3002,
      3,
      /expected 3 columns, found 2/,
    );
    await expectCsvError(
      chunked(`${head}60.0,1.0,2.0,3.0\n`, 4096),
      {},
      3002,
      4,
      /expected 3 columns, found more/,
    );
    await expectCsvError(chunked(`${head}60.0,1.0,x1\n`, 4096), {}, 3002, 3, /'x1' is not a number/);
    await expectCsvError(chunked(`${head}60.0,,1\n`, 4096), {}, 3002, 2, /empty cell/);
    await expectCsvError(chunked(`${head}60.0,1.5e,1\n`, 4096), {}, 3002, 2, /'1.5e' is not a number/);
  });

  it('a non-numeric cell', async () => {
    const text = `t,a,b\n${rows(30, ',')}0.6,abc,1\n`;
    await expectCsvError(Readable.from([text]), {}, 32, 2, /'abc' is not a number/);
  });

  it('an empty cell', async () => {
    const text = `a,b\n${'1,2\n'.repeat(20)}3,\n`;
    await expectCsvError(Readable.from([text]), { fs: 1 }, 22, 2, /empty cell/);
  });

  it('too few samples', async () => {
    await expectCsvError(Readable.from(['a,b\n1,2\n3,4\n']), { fs: 1 }, 0, 0, /2 data rows; at least 16/);
  });

  it('an empty file', async () => {
    await expectCsvError(Readable.from(['']), {}, 0, 0, /empty/);
  });

  it('a time column that does not increase', async () => {
    const text = `time,a\n0.0,1\n0.1,2\n0.2,3\n0.2,4\n${'0.5,1\n'.repeat(20)}`;
    await expectCsvError(Readable.from([text]), {}, 5, 1, /does not increase/);
  });
});

describe('ByteNumberParser', () => {
  it('parses exactly like Number() for decimal and scientific forms', () => {
    // Prepare
    const r = testRandom(5);
    const texts = [
      '0',
      '-0.5',
      '+3',
      '.25',
      '5.',
      '1e3',
      '-2.5E-7',
      '123456789012345678',
      '0.000000000000000000000123',
      '9007199254740993',
      '1.7976931348623157e308',
    ];
    for (let i = 0; i < 2000; i++) {
      const v = r() * 10 ** Math.round(r() * 12);
      texts.push(v.toString(), v.toExponential(6), v.toFixed(4), v.toPrecision(17));
    }
    const parser = new ByteNumberParser();
    for (const t of texts) {
      const bytes = Buffer.from(`${t},`);
      // Act
      const end = parser.parse(bytes, 0, bytes.length);
      // Assess
      expect(end, `end of '${t}'`).toBe(t.length);
      expect(parser.value, `value of '${t}'`).toBe(Number(t));
    }
  });
});
