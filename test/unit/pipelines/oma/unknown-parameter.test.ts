import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../../../lib/core/ports/contract.js';
import { parametersSchema } from '../../../../lib/pipelines/oma/schemas.js';

describe('parametersSchema', () => {
  it('names an unknown parameter and the valid ones, with every other problem at once', () => {
    // Act
    const typo = parametersSchema('SSI').safeParse({ fmx: 20 });
    const both = parametersSchema('FDD').safeParse({ fmax: 'x', nperseg: 1024, bogus: 1 });
    const fine = parametersSchema('SSI').safeParse({ fmax: 20 });
    // Assess
    expect(typo.success ? '' : formatIssues(typo.error)).toBe(
      'fmx: unknown parameter (valid: fs, decimate, detrend, fmax, fmin, br, order_min, order_max, order_step, uncertainty)',
    );
    expect(both.success ? '' : formatIssues(both.error)).toMatch(
      /^bogus: unknown parameter \(valid: fs, decimate, detrend, fmax, fmin, method, nperseg, overlap, uncertainty\); fmax: /,
    );
    expect(fine.success && fine.data).toEqual({
      decimate: 'auto',
      detrend: 'linear',
      fmax: 20,
      order_step: 2,
      uncertainty: true,
    });
  });
});
