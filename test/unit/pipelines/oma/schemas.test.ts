import { describe, expect, it } from 'vitest';
import {
  CreateAnalysisSchema,
  FddParametersSchema,
  PreprocessingParametersSchema,
  SsiParametersSchema,
  StructureIdSchema,
  statusRank,
} from '../../../../lib/pipelines/oma/schemas.js';
import { analyzeOptions, checkToeplitzSize } from '../../../../lib/pipelines/oma/stage-analyze.js';

const messages = (result: { success: boolean; error?: { issues: { message: string }[] } }): string[] =>
  result.error?.issues.map((i) => i.message) ?? [];

describe('OMA parameters', () => {
  it('fill in the engine defaults for each type', () => {
    // Act
    const pre = PreprocessingParametersSchema.parse({});
    const fdd = FddParametersSchema.parse({ fmax: 20 });
    const ssi = SsiParametersSchema.parse({ fs: 200 });
    // Assess
    expect(pre).toEqual({ decimate: 'auto', detrend: 'linear' });
    expect(fdd).toEqual({
      decimate: 'auto',
      detrend: 'linear',
      fmax: 20,
      method: 'efdd',
      overlap: 0.5,
      uncertainty: true,
    });
    expect(ssi).toEqual({ decimate: 'auto', detrend: 'linear', fs: 200, order_step: 2, uncertainty: true });
  });

  it('reject unknown keys, bad values and inconsistent bands, naming the field', () => {
    // Act
    const unknown = SsiParametersSchema.safeParse({ nperseg: 1024 });
    const negative = FddParametersSchema.safeParse({ fmax: -1 });
    const band = SsiParametersSchema.safeParse({ fmin: 10, fmax: 5 });
    const decimate = PreprocessingParametersSchema.safeParse({ decimate: 0 });
    const filter = PreprocessingParametersSchema.safeParse({ filter: { type: 'bandpass', cutoff: 5 } });
    const orders = SsiParametersSchema.safeParse({ order_min: 80, order_max: 40 });
    const tooHigh = SsiParametersSchema.safeParse({ order_max: 500 });
    // Assess
    expect(unknown.success).toBe(false);
    expect(JSON.stringify(unknown.error?.issues)).toContain('nperseg');
    expect(negative.success).toBe(false);
    expect(messages(band)).toEqual(['fmin must be below fmax']);
    expect(decimate.success).toBe(false);
    expect(messages(filter)).toEqual([
      'a bandpass filter needs cutoff [low, high]; lowpass and highpass need one cutoff',
    ]);
    expect(messages(orders)).toEqual(['order_min must not exceed order_max']);
    expect(tooHigh.success).toBe(false);
  });

  it('accept a band-pass filter with two edges and an explicit decimation factor', () => {
    const parsed = PreprocessingParametersSchema.parse({
      decimate: 4,
      filter: { type: 'bandpass', cutoff: [0.5, 20] },
    });
    expect(parsed.filter).toEqual({ type: 'bandpass', cutoff: [0.5, 20], order: 4 });
    expect(parsed.decimate).toBe(4);
  });
});

describe('OMA analysis requests', () => {
  it('name the allowed types when the type is unknown or missing', () => {
    const unknown = CreateAnalysisSchema.safeParse({ type: 'MODAL' });
    const missing = CreateAnalysisSchema.safeParse({});
    expect(messages(unknown)).toEqual([
      'type must be one of PREPROCESSING, FDD, SSI, MULTI_SETUP (got "MODAL")',
    ]);
    expect(messages(missing)).toEqual(['type is required: one of PREPROCESSING, FDD, SSI, MULTI_SETUP']);
  });

  it('accept structure ids that are one storage-key segment, and nothing else', () => {
    expect(StructureIdSchema.safeParse('bridge-7.north_span').success).toBe(true);
    for (const bad of ['', '..', 'a/b', 'a b', 'x'.repeat(65)]) {
      expect(StructureIdSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('rank statuses so a run only moves forward', () => {
    expect(statusRank('READY')).toBeLessThan(statusRank('QUEUED'));
    expect(statusRank('QUEUED')).toBeLessThan(statusRank('RUNNING'));
    for (const end of ['DONE', 'ERROR', 'ABORTED'] as const) {
      expect(statusRank(end)).toBeGreaterThan(statusRank('RUNNING'));
    }
  });
});

describe('OMA engine options', () => {
  it('decimate a reused dataset by the analysis factor, and a dataset of this run not again', () => {
    // Prepare
    const ssi = SsiParametersSchema.parse({ decimate: 2, fmax: 20, br: 40, order_max: 60 });
    // Act
    const reused = analyzeOptions('SSI', ssi, false);
    const own = analyzeOptions('SSI', ssi, true);
    // Assess
    expect(reused).toEqual({
      method: 'ssi',
      decimate: 2,
      detrend: 'linear',
      fmax: 20,
      br: 40,
      orderMax: 60,
      orderStep: 2,
      uncertainty: true,
    });
    expect(own.decimate).toBe(1);
  });

  it('map FDD parameters to EFDD by default, or plain FDD', () => {
    expect(analyzeOptions('FDD', FddParametersSchema.parse({}), false).method).toBe('efdd');
    expect(
      analyzeOptions('FDD', FddParametersSchema.parse({ method: 'fdd', nperseg: 2048 }), false),
    ).toMatchObject({
      method: 'fdd',
      nperseg: 2048,
      overlap: 0.5,
    });
  });

  it('refuse block rows that make the Toeplitz matrix larger than the engine cap', () => {
    expect(() => checkToeplitzSize({ method: 'ssi', br: 300 }, 5)).not.toThrow();
    expect(() => checkToeplitzSize({ method: 'ssi', br: 301 }, 5)).toThrow(
      /1505-row block Toeplitz matrix; the most is 1500 \(br ≤ 300 for this dataset\)/,
    );
    expect(() => checkToeplitzSize({ method: 'ssi' }, 500)).not.toThrow();
  });
});
