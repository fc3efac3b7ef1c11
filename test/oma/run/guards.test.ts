import { describe, expect, it } from 'vitest';
import { NonFiniteSampleError, OmaError } from '../../../lib/oma/errors.js';
import { fddSpectrum } from '../../../lib/oma/fdd/spectrum.js';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { preprocessRecord } from '../../../lib/oma/run/preprocess.js';
import { ssiCov } from '../../../lib/oma/ssi/ssi.js';
import { randomArray } from '../support/assert-close.js';

/**
 * Input the engine must refuse or flag instead of returning an empty or wrong result: non-finite
 * samples, numerical failures, parameters beyond what the machine can hold, weak estimates.
 */
const noise = (channels: number, n: number, seed: number): Float64Array[] =>
  Array.from({ length: channels }, (_, c) => randomArray(n, seed + c));

describe('non-finite samples', () => {
  it('are an OmaError naming the channel and sample, in preprocessing and in every method', async () => {
    // Prepare
    const withNaN = noise(3, 4000, 1);
    (withNaN[1] as Float64Array)[1000] = Number.NaN;
    const withInf = noise(3, 4000, 1);
    (withInf[2] as Float64Array)[17] = Number.POSITIVE_INFINITY;
    // Act
    const errors = await Promise.all([
      preprocessRecord(withNaN, 100).catch((e: unknown) => e),
      ...(['fdd', 'efdd', 'ssi'] as const).map((method) =>
        analyzeRecord(withInf, 100, { method, fmax: 20 }).catch((e: unknown) => e),
      ),
    ]);
    // Assess
    const [pre, ...methods] = errors;
    expect(pre).toBeInstanceOf(NonFiniteSampleError);
    expect(pre).toBeInstanceOf(OmaError);
    expect(pre).toMatchObject({ channel: 1, sample: 1000, code: 'NON_FINITE_SAMPLE' });
    expect(String(pre)).toMatch(/channel 2 \(index 1\), sample 1000: NaN .*remove or interpolate/);
    for (const e of methods) expect(e).toMatchObject({ channel: 2, sample: 17 });
  });

  it('reach the kernels only when called directly, and then the failures are reported, not hidden', async () => {
    // Prepare
    const bad = noise(3, 4096, 2);
    (bad[0] as Float64Array)[100] = Number.NaN;
    // Act
    const spectrum = await fddSpectrum(bad, 100, { nperseg: 256 });
    const ident = await ssiCov(bad, 100, { br: 10, orderMax: 10 });
    // Assess: lines whose decomposition failed are counted and left zero (not the previous line)
    expect(spectrum.failedLines).toBe(spectrum.frequencies.length);
    expect(spectrum.values[0]?.every((v) => v === 0)).toBe(true);
    expect(ident.diagnostics?.map((d) => d.message).join('\n')).toMatch(/did not converge/);
    expect(ident.diagnostics?.[0]?.code).toBe('NOT_CONVERGED');
  });
});
