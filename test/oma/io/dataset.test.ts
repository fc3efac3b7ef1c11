import { describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../../../lib/oma/errors.js';
import {
  type Dataset,
  datasetChunks,
  deserializeDataset,
  serializeDataset,
} from '../../../lib/oma/io/dataset.js';
import { expectArrayClose, randomArray } from '../support/assert-close.js';

const dataset: Dataset = {
  fs: 128,
  names: ['x', 'y', 'z'],
  units: ['m/s²', 'm/s²', 'g'],
  channels: [randomArray(1000, 1), randomArray(1000, 2), randomArray(1000, 3)],
  provenance: [
    { step: 'detrend', mode: 'linear' },
    { step: 'decimate', factor: 4, fsOut: 128 },
  ],
};

describe('binary dataset', () => {
  it('round-trips Float64 exactly and Float32 to single precision, with metadata', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      // Act
      const bytes = serializeDataset(dataset, dtype);
      const back = deserializeDataset(bytes);
      // Assess
      expect(back.dtype).toBe(dtype);
      expect(back.fs).toBe(128);
      expect(back.names).toEqual(['x', 'y', 'z']);
      expect(back.units).toEqual(['m/s²', 'm/s²', 'g']);
      expect(back.provenance).toEqual(dataset.provenance);
      dataset.channels.forEach((c, i) => {
        expectArrayClose(
          back.channels[i] ?? [],
          c,
          dtype === 'float64' ? 0 : 2 ** -24,
          `${dtype} channel ${i}`,
        );
      });
      expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('STGCDSET');
    }
  });

  it('streams the same bytes chunk by chunk, and reads from an unaligned buffer', () => {
    // Prepare
    const whole = serializeDataset(dataset, 'float64');
    const chunks = [...datasetChunks(dataset, 'float64')];
    const joined = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      joined.set(c, at);
      at += c.length;
    }
    const unaligned = new Uint8Array(whole.length + 3).subarray(3);
    unaligned.set(whole);
    // Act
    const back = deserializeDataset(unaligned);
    // Assess
    expect(joined).toEqual(whole);
    expectArrayClose(
      back.channels[2] ?? [],
      dataset.channels[2] ?? [],
      0,
      'channel from an unaligned buffer',
    );
  });

  it('rejects bad magic, unknown versions, truncation and a bad header with DatasetFormatError', () => {
    // Prepare
    const good = serializeDataset(dataset);
    const badMagic = good.slice();
    badMagic[0] = 0x41;
    const badVersion = good.slice();
    new DataView(badVersion.buffer).setUint32(8, 99, true);
    const truncated = good.slice(0, good.length - 4);
    const badHeader = good.slice();
    badHeader[16] = 0x20; // break the JSON's opening brace
    badHeader[17] = 0x7b;
    // Act / Assess
    for (const [bytes, message] of [
      [badMagic, /not a Stagecoach dataset/],
      [badVersion, /version 99/],
      [truncated, /the header implies/],
      [good.slice(0, 10), /at least 16 bytes/],
    ] as const) {
      expect(() => deserializeDataset(bytes)).toThrow(DatasetFormatError);
      expect(() => deserializeDataset(bytes)).toThrow(message);
    }
    expect(() => deserializeDataset(badHeader)).toThrow(DatasetFormatError);
  });
});
