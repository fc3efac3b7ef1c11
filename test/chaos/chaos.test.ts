import { describe, expect, it } from 'vitest';
import { soak } from './soak.js';
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

  it('soaks 500 four-stage jobs through random faults, crashes and duplicates without a loss', async () => {
    // Act
    const report = await soak({ jobs: 500, seed: 7, crashRate: 0.002 });
    // Assess
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      stuck: 0,
      false_dead_letters: 0,
      events_missing: 0,
      log_disorder: 0,
    });
    expect(report.faults).toBeGreaterThan(20);
    expect(report.crashes).toBeGreaterThan(0);
  });
});
