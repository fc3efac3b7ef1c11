import { describe, expect, it } from 'vitest';
import { sweep } from './sweep.js';

// The fault-injection sweep at a size for every test run: each scenario, every fifth call index,
// each fault kind. `npm run chaos` sweeps every index and adds the soak.
describe('fault injection (embedded backend)', () => {
  it('loses, duplicates, strands and falsely dead-letters nothing, whatever call fails', async () => {
    // Act
    const report = await sweep({ stride: 5 });
    // Assess
    const broken = report.failures.map(
      (f) => `${f.scenario} / ${f.fired ?? 'no fault'}: ${f.verdict.details.join('; ')}`,
    );
    expect(broken).toEqual([]);
    expect(report.fault_points).toBeGreaterThan(report.scenarios * 3 * 4);
    expect(report.fired).toBeGreaterThan(report.fault_points / 2);
  });
});
